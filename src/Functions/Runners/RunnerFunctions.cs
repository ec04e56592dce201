using System.Globalization;
using DevMentor.Core.Pipelines.Artifacts;
using DevMentor.Core.Pipelines.Results;
using DevMentor.Core.Pipelines;
using DevMentor.Core.Pipelines.Runners;
using DevMentor.Functions.Composition;
using DevMentor.Functions.Http;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Azure.Functions.Worker;

namespace DevMentor.Functions.Runners;

/// <summary>
/// The runner API: DevMentor.Runner processes register with the registration token, then claim,
/// heartbeat, log and complete steps with their own runner token (not user credentials).
/// The attempt number in every call is the fencing token: a runner whose lease is gone gets 409.
/// Runner tokens are checked here, so user authentication does not apply; heartbeats and long
/// polls would trip per-IP user limits, so they are not rate-limited.
/// </summary>
[AllowAnonymous]
[DisableRateLimiting]
[Tags("Runners")]
public sealed class RunnerFunctions(PipelineSettings settings, RunnerRegistry registry, PipelineEngine engine, BuildResults results)
{
    public const int MaxWaitSeconds = 30;

    [Function("RegisterRunner")]
    public async Task<IResult> RegisterAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "runners/register")] HttpRequest request, CancellationToken cancellationToken)
    {
        var (body, problem) = await JsonRequest.ReadAsync(request, PipelineJsonContext.Default.RegisterRunnerRequest, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        if (settings.RegistrationToken is null)
        {
            return Problem(StatusCodes.Status403Forbidden, "Runner registration is disabled", "Set Runners:RegistrationToken on the service to let runners register.");
        }

        if (!RunnerRegistry.RegistrationTokenMatches(settings.RegistrationToken, body!.RegistrationToken))
        {
            return Problem(StatusCodes.Status401Unauthorized, "Invalid registration token", "registrationToken does not match the service's Runners:RegistrationToken.");
        }

        var name = body.Name?.Trim();
        if (string.IsNullOrEmpty(name) || name.Length > 100)
        {
            return Problem(StatusCodes.Status400BadRequest, "Invalid runner name", "name: 1-100 characters.", ProblemTypes.ValidationFailed);
        }

        var labels = (body.Labels ?? []).Select(l => l?.Trim() ?? "").ToList();
        if (labels.Count > 50 || labels.Any(l => l.Length is 0 or > 64))
        {
            return Problem(StatusCodes.Status400BadRequest, "Invalid runner labels", "labels: at most 50, each 1-64 characters.", ProblemTypes.ValidationFailed);
        }

        var (runner, token) = await registry.RegisterAsync(name, labels, cancellationToken);
        return TypedResults.Created($"/runners/{runner.Id}", new RegisterRunnerResponse(runner.Id, runner.Name, runner.Labels, token));
    }

    /// <summary>
    /// For an autoscaler (the Container Apps job's KEDA metrics-api scaler reads <c>queued</c>): the claimable steps,
    /// the oldest one's wait and the labels they require. The bearer is the registration token, which the scaler holds
    /// anyway (it can only register runners); a runner token is not accepted.
    /// </summary>
    [Function("RunnerQueue")]
    public async Task<IResult> QueueAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "runners/queue")] HttpRequest request, CancellationToken cancellationToken)
    {
        if (settings.RegistrationToken is null)
        {
            return Problem(StatusCodes.Status403Forbidden, "Runner registration is disabled", "Set Runners:RegistrationToken on the service; the queue is read with it.");
        }

        var header = request.Headers.Authorization.ToString();
        var presented = header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? header[7..].Trim() : null;
        if (!RunnerRegistry.RegistrationTokenMatches(settings.RegistrationToken, presented))
        {
            return Problem(StatusCodes.Status401Unauthorized, "Registration token required", "Send Authorization: Bearer <Runners:RegistrationToken>.");
        }

        var stats = await engine.QueueStatsAsync(cancellationToken);
        return TypedResults.Ok(new RunnerQueueResponse(stats.Queued, stats.OldestWaitingSeconds, stats.ByLabel));
    }

    [Function("ClaimRunnerJob")]
    public async Task<IResult> NextAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "runners/jobs/next")] HttpRequest request, CancellationToken cancellationToken)
    {
        if (await AuthenticateAsync(request, cancellationToken) is not { } runner)
        {
            return Unauthorized();
        }

        if (!TryQueryInt(request, "wait", out var wait) || wait is < 0 or > MaxWaitSeconds)
        {
            return Problem(StatusCodes.Status400BadRequest, "Invalid wait", $"wait: from 0 to {MaxWaitSeconds} seconds.", ProblemTypes.ValidationFailed);
        }

        var step = await engine.ClaimAsync(runner.Owner, runner.Labels, TimeSpan.FromSeconds(wait ?? 0), cancellationToken);
        return step is null ? TypedResults.NoContent() : TypedResults.Ok(RunnerJob.From(step));
    }

    [Function("RunnerJobHeartbeat")]
    public async Task<IResult> HeartbeatAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "runners/jobs/{stepId:guid}/heartbeat")] HttpRequest request, Guid stepId,
        CancellationToken cancellationToken)
    {
        if (await AuthenticateAsync(request, cancellationToken) is not { } runner)
        {
            return Unauthorized();
        }

        var (heartbeat, problem) = await JsonRequest.ReadAsync(request, PipelineJsonContext.Default.HeartbeatRequest, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        var result = await engine.HeartbeatAsync(stepId, heartbeat!.Attempt, runner.Owner, cancellationToken);
        return result.Action switch
        {
            HeartbeatAction.Continue => TypedResults.Ok(new HeartbeatResponse("continue", result.LeaseExpiresAt)),
            HeartbeatAction.Cancel => TypedResults.Ok(new HeartbeatResponse("cancel", null)),
            _ => LeaseLost(stepId, heartbeat.Attempt),
        };
    }

    [Function("RunnerJobLog")]
    public async Task<IResult> LogAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "runners/jobs/{stepId:guid}/log")] HttpRequest request, Guid stepId,
        CancellationToken cancellationToken)
    {
        if (await AuthenticateAsync(request, cancellationToken) is not { } runner)
        {
            return Unauthorized();
        }

        var (log, problem) = await JsonRequest.ReadAsync(request, PipelineJsonContext.Default.LogRequest, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        if (log!.Text is null)
        {
            return Problem(StatusCodes.Status400BadRequest, "Invalid log chunk", "text is required.", ProblemTypes.ValidationFailed);
        }

        return await engine.AppendLogAsync(stepId, log.Attempt, runner.Owner, log.Text, cancellationToken)
            ? TypedResults.NoContent()
            : LeaseLost(stepId, log.Attempt);
    }

    [Function("RunnerJobComplete")]
    public async Task<IResult> CompleteAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "runners/jobs/{stepId:guid}/complete")] HttpRequest request, Guid stepId,
        CancellationToken cancellationToken)
    {
        if (await AuthenticateAsync(request, cancellationToken) is not { } runner)
        {
            return Unauthorized();
        }

        var (completion, problem) = await JsonRequest.ReadAsync(request, PipelineJsonContext.Default.CompleteRequest, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        if (!RunnerOutcomes.TryParse(completion!.Outcome, out var kind))
        {
            return Problem(StatusCodes.Status400BadRequest, "Invalid outcome", "outcome: succeeded, failed, timed_out, canceled or error.", ProblemTypes.ValidationFailed);
        }

        if (kind == StepResultKind.Failed && completion.ExitCode is null or 0)
        {
            return Problem(StatusCodes.Status400BadRequest, "Invalid outcome", "a failed step needs its non-zero exitCode.", ProblemTypes.ValidationFailed);
        }

        var claimNext = completion.ClaimNext ? new ClaimRequest(runner.Owner, runner.Labels) : null;
        var result = new StepResult(kind, completion.ExitCode, completion.Error, completion.Outputs, completion.Plan);
        var done = await engine.CompleteAsync(stepId, completion.Attempt, runner.Owner, result, claimNext, cancellationToken);
        if (done is null)
        {
            return Problem(StatusCodes.Status404NotFound, "No such step", $"Step {stepId} does not exist.");
        }

        var outcome = done.Outcome;
        return outcome.Accepted
            ? TypedResults.Ok(new CompleteResponse(outcome.StepStatus.ToWire(), outcome.RunStatus.ToWire(), outcome.RunFinished, null,
                done.Next is { } next ? RunnerJob.From(next) : null))
            : LeaseLost(stepId, completion.Attempt);
    }

    [Function("RunnerJobTests")]
    public async Task<IResult> TestsAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "runners/jobs/{stepId:guid}/tests")] HttpRequest request, Guid stepId,
        CancellationToken cancellationToken)
    {
        if (await AuthenticateAsync(request, cancellationToken) is not { } runner)
        {
            return Unauthorized();
        }

        var (tests, problem) = await JsonRequest.ReadAsync(request, PipelineJsonContext.Default.TestsRequest, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        if (tests!.Summary?.Items is null || tests.Summary.Items.Any(t => t is null || t.Suite is null || t.Name is null))
        {
            return Problem(StatusCodes.Status400BadRequest, "Invalid test results", "summary with items [{suite, name, outcome, durationMs, message}] is required.", ProblemTypes.ValidationFailed);
        }

        return await results.RecordTestsAsync(stepId, tests.Attempt, runner.Owner, tests.Summary, cancellationToken)
            ? TypedResults.NoContent()
            : LeaseLost(stepId, tests.Attempt);
    }

    [Function("RunnerJobArtifact")]
    [RequestSizeLimit(BuildResults.MaxArtifactBytes)]
    public async Task<IResult> ArtifactAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "put", Route = "runners/jobs/{stepId:guid}/artifacts")] HttpRequest request, Guid stepId,
        CancellationToken cancellationToken)
    {
        if (await AuthenticateAsync(request, cancellationToken) is not { } runner)
        {
            return Unauthorized();
        }

        var name = request.Query["name"] is { Count: > 0 } names ? names.ToString() : null;
        var problem = !TryQueryInt(request, "attempt", out var attempt) ? "attempt: a whole number."
            : attempt is null ? "attempt is required."
            : ArtifactNames.Check(name);
        if (problem is not null || attempt is not { } fence)
        {
            return Problem(StatusCodes.Status400BadRequest, "Invalid artifact upload", problem ?? "attempt is required.", ProblemTypes.ValidationFailed);
        }

        var stored = await results.StoreArtifactAsync(stepId, fence, runner.Owner, name!, request.Body, cancellationToken);
        return stored is null ? LeaseLost(stepId, fence) : TypedResults.Ok(stored);
    }

    private async Task<RegisteredRunner?> AuthenticateAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        var header = request.Headers.Authorization.ToString();
        return header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) && header.Length > 7
            ? await registry.AuthenticateAsync(header[7..].Trim(), cancellationToken)
            : null;
    }

    /// <returns>False when the parameter is there but not a whole number; the value is null when it is absent.</returns>
    private static bool TryQueryInt(HttpRequest request, string name, out int? value)
    {
        value = null;
        var raw = request.Query[name].ToString();
        if (raw.Length == 0)
        {
            return true;
        }

        if (!int.TryParse(raw, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var parsed))
        {
            return false;
        }

        value = parsed;
        return true;
    }

    private static ProblemHttpResult Unauthorized() =>
        Problem(StatusCodes.Status401Unauthorized, "Runner token required", "Send Authorization: Bearer <runner token> from POST /runners/register.");

    private static ProblemHttpResult LeaseLost(Guid stepId, int attempt) =>
        Problem(StatusCodes.Status409Conflict, "Lease lost", $"Attempt {attempt} of step {stepId} no longer holds the step's lease; stop working on it.");

    private static ProblemHttpResult Problem(int status, string title, string detail, string? type = null) =>
        TypedResults.Problem(statusCode: status, title: title, detail: detail, type: type ?? ProblemTypes.ForStatus(status));
}
