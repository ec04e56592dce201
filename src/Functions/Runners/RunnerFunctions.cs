using DevMentor.Core.Builds.Artifacts;
using DevMentor.Core.Builds.Results;
using DevMentor.Core.Pipelines;
using DevMentor.Core.Pipelines.Runners;
using DevMentor.Functions.Composition;
using DevMentor.Functions.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace DevMentor.Functions.Runners;

/// <summary>
/// The runner API: DevMentor.Runner processes register with the registration token, then claim,
/// heartbeat, log and complete steps with their own runner token (not user credentials).
/// The attempt number in every call is the fencing token: a runner whose lease is gone gets 409.
/// </summary>
public static class RunnerFunctions
{
    public const int MaxWaitSeconds = 30;

    public static IEndpointRouteBuilder MapRunnerFunctions(this IEndpointRouteBuilder routes)
    {
        // Runner tokens are checked here, so user authentication does not apply.
        // Runner-token auth, not user auth; heartbeats and long polls would trip per-IP user limits.
        var group = routes.MapGroup("/runners").WithTags("Runners").AllowAnonymous().DisableRateLimiting();
        group.MapPost("/register", RegisterAsync).WithName("RegisterRunner");
        group.MapPost("/jobs/next", NextAsync).WithName("ClaimRunnerJob");
        group.MapPost("/jobs/{stepId:guid}/heartbeat", HeartbeatAsync).WithName("RunnerJobHeartbeat");
        group.MapPost("/jobs/{stepId:guid}/log", LogAsync).WithName("RunnerJobLog");
        group.MapPost("/jobs/{stepId:guid}/complete", CompleteAsync).WithName("RunnerJobComplete");
        group.MapPost("/jobs/{stepId:guid}/tests", TestsAsync).WithName("RunnerJobTests");
        group.MapPut("/jobs/{stepId:guid}/artifacts", ArtifactAsync).WithName("RunnerJobArtifact")
            .WithRequestBodyLimit(BuildResults.MaxArtifactBytes);
        return routes;
    }

    public static async Task<Results<Created<RegisterRunnerResponse>, ProblemHttpResult>> RegisterAsync(
        RegisterRunnerRequest request, PipelineSettings settings, RunnerRegistry registry, CancellationToken cancellationToken)
    {
        if (settings.RegistrationToken is null)
        {
            return Problem(StatusCodes.Status403Forbidden, "Runner registration is disabled", "Set Runners:RegistrationToken on the service to let runners register.");
        }

        if (!RunnerRegistry.RegistrationTokenMatches(settings.RegistrationToken, request.RegistrationToken))
        {
            return Problem(StatusCodes.Status401Unauthorized, "Invalid registration token", "registrationToken does not match the service's Runners:RegistrationToken.");
        }

        var name = request.Name?.Trim();
        if (string.IsNullOrEmpty(name) || name.Length > 100)
        {
            return Problem(StatusCodes.Status400BadRequest, "Invalid runner name", "name: 1-100 characters.", ProblemTypes.ValidationFailed);
        }

        var labels = (request.Labels ?? []).Select(l => l?.Trim() ?? "").ToList();
        if (labels.Count > 50 || labels.Any(l => l.Length is 0 or > 64))
        {
            return Problem(StatusCodes.Status400BadRequest, "Invalid runner labels", "labels: at most 50, each 1-64 characters.", ProblemTypes.ValidationFailed);
        }

        var (runner, token) = await registry.RegisterAsync(name, labels, cancellationToken);
        return TypedResults.Created($"/runners/{runner.Id}", new RegisterRunnerResponse(runner.Id, runner.Name, runner.Labels, token));
    }

    public static async Task<Results<Ok<RunnerJob>, NoContent, ProblemHttpResult>> NextAsync(
        HttpContext context, int? wait, RunnerRegistry registry, PipelineEngine engine, CancellationToken cancellationToken)
    {
        if (await AuthenticateAsync(context, registry, cancellationToken) is not { } runner)
        {
            return Unauthorized();
        }

        if (wait is < 0 or > MaxWaitSeconds)
        {
            return Problem(StatusCodes.Status400BadRequest, "Invalid wait", $"wait: from 0 to {MaxWaitSeconds} seconds.", ProblemTypes.ValidationFailed);
        }

        var step = await engine.ClaimAsync(runner.Owner, runner.Labels, TimeSpan.FromSeconds(wait ?? 0), cancellationToken);
        return step is null ? TypedResults.NoContent() : TypedResults.Ok(RunnerJob.From(step));
    }

    public static async Task<Results<Ok<HeartbeatResponse>, ProblemHttpResult>> HeartbeatAsync(
        HttpContext context, Guid stepId, HeartbeatRequest request, RunnerRegistry registry, PipelineEngine engine, CancellationToken cancellationToken)
    {
        if (await AuthenticateAsync(context, registry, cancellationToken) is not { } runner)
        {
            return Unauthorized();
        }

        var result = await engine.HeartbeatAsync(stepId, request.Attempt, runner.Owner, cancellationToken);
        return result.Action switch
        {
            HeartbeatAction.Continue => TypedResults.Ok(new HeartbeatResponse("continue", result.LeaseExpiresAt)),
            HeartbeatAction.Cancel => TypedResults.Ok(new HeartbeatResponse("cancel", null)),
            _ => LeaseLost(stepId, request.Attempt),
        };
    }

    public static async Task<Results<NoContent, ProblemHttpResult>> LogAsync(
        HttpContext context, Guid stepId, LogRequest request, RunnerRegistry registry, PipelineEngine engine, CancellationToken cancellationToken)
    {
        if (await AuthenticateAsync(context, registry, cancellationToken) is not { } runner)
        {
            return Unauthorized();
        }

        if (request.Text is null)
        {
            return Problem(StatusCodes.Status400BadRequest, "Invalid log chunk", "text is required.", ProblemTypes.ValidationFailed);
        }

        return await engine.AppendLogAsync(stepId, request.Attempt, runner.Owner, request.Text, cancellationToken)
            ? TypedResults.NoContent()
            : LeaseLost(stepId, request.Attempt);
    }

    public static async Task<Results<Ok<CompleteResponse>, ProblemHttpResult>> CompleteAsync(
        HttpContext context, Guid stepId, CompleteRequest request, RunnerRegistry registry, PipelineEngine engine, CancellationToken cancellationToken)
    {
        if (await AuthenticateAsync(context, registry, cancellationToken) is not { } runner)
        {
            return Unauthorized();
        }

        if (!RunnerOutcomes.TryParse(request.Outcome, out var kind))
        {
            return Problem(StatusCodes.Status400BadRequest, "Invalid outcome", "outcome: succeeded, failed, timed_out, canceled or error.", ProblemTypes.ValidationFailed);
        }

        if (kind == StepResultKind.Failed && request.ExitCode is null or 0)
        {
            return Problem(StatusCodes.Status400BadRequest, "Invalid outcome", "a failed step needs its non-zero exitCode.", ProblemTypes.ValidationFailed);
        }

        var claimNext = request.ClaimNext ? new ClaimRequest(runner.Owner, runner.Labels) : null;
        var done = await engine.CompleteAsync(stepId, request.Attempt, runner.Owner, new StepResult(kind, request.ExitCode, request.Error, request.Outputs, request.Plan), claimNext, cancellationToken);
        if (done is null)
        {
            return Problem(StatusCodes.Status404NotFound, "No such step", $"Step {stepId} does not exist.");
        }

        var outcome = done.Outcome;
        return outcome.Accepted
            ? TypedResults.Ok(new CompleteResponse(outcome.StepStatus.ToWire(), outcome.RunStatus.ToWire(), outcome.RunFinished, outcome.RetryIn is { } r ? (long)r.TotalMilliseconds : null,
                done.Next is { } next ? RunnerJob.From(next) : null))
            : LeaseLost(stepId, request.Attempt);
    }

    public static async Task<Results<NoContent, ProblemHttpResult>> TestsAsync(
        HttpContext context, Guid stepId, TestsRequest request, RunnerRegistry registry, BuildResults results, CancellationToken cancellationToken)
    {
        if (await AuthenticateAsync(context, registry, cancellationToken) is not { } runner)
        {
            return Unauthorized();
        }

        if (request.Summary?.Items is null || request.Summary.Items.Any(t => t is null || t.Suite is null || t.Name is null))
        {
            return Problem(StatusCodes.Status400BadRequest, "Invalid test results", "summary with items [{suite, name, outcome, durationMs, message}] is required.", ProblemTypes.ValidationFailed);
        }

        return await results.RecordTestsAsync(stepId, request.Attempt, runner.Owner, request.Summary, cancellationToken)
            ? TypedResults.NoContent()
            : LeaseLost(stepId, request.Attempt);
    }

    public static async Task<Results<Ok<ArtifactInfo>, ProblemHttpResult>> ArtifactAsync(
        HttpContext context, Guid stepId, int? attempt, string? name, RunnerRegistry registry, BuildResults results, CancellationToken cancellationToken)
    {
        if (await AuthenticateAsync(context, registry, cancellationToken) is not { } runner)
        {
            return Unauthorized();
        }

        var problem = attempt is null ? "attempt is required." : ArtifactNames.Check(name);
        if (problem is not null || attempt is not { } fence)
        {
            return Problem(StatusCodes.Status400BadRequest, "Invalid artifact upload", problem ?? "attempt is required.", ProblemTypes.ValidationFailed);
        }

        var stored = await results.StoreArtifactAsync(stepId, fence, runner.Owner, name!, context.Request.Body, cancellationToken);
        return stored is null ? LeaseLost(stepId, fence) : TypedResults.Ok(stored);
    }

    private static async Task<RegisteredRunner?> AuthenticateAsync(HttpContext context, RunnerRegistry registry, CancellationToken cancellationToken)
    {
        var header = context.Request.Headers.Authorization.ToString();
        return header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) && header.Length > 7
            ? await registry.AuthenticateAsync(header[7..].Trim(), cancellationToken)
            : null;
    }

    private static ProblemHttpResult Unauthorized() =>
        Problem(StatusCodes.Status401Unauthorized, "Runner token required", "Send Authorization: Bearer <runner token> from POST /runners/register.");

    private static ProblemHttpResult LeaseLost(Guid stepId, int attempt) =>
        Problem(StatusCodes.Status409Conflict, "Lease lost", $"Attempt {attempt} of step {stepId} no longer holds the step's lease; stop working on it.");

    private static ProblemHttpResult Problem(int status, string title, string detail, string? type = null) =>
        TypedResults.Problem(statusCode: status, title: title, detail: detail, type: type ?? ProblemTypes.ForStatus(status));
}
