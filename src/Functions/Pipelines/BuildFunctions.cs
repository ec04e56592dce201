using System.Globalization;
using System.Text.Json;
using DevMentor.Core.Pipelines.Results;
using DevMentor.Core.Pipelines;
using DevMentor.Core.Pipelines.Orchestration;
using DevMentor.Core.Projects;
using DevMentor.Core.Security;
using DevMentor.Functions.Http;
using Microsoft.Azure.Functions.Worker;

namespace DevMentor.Functions.Pipelines;

/// <summary>
/// The build functions: start (202 + status URL at once), list, read, cancel, retry and logs of a
/// project's runs. Developers may start, cancel and retry; viewers may read.
/// </summary>
[Tags("Builds")]
public sealed class BuildFunctions(BuildService builds, TestResultStore tests, RunOrchestrations orchestrations)
{
    public const string IdempotencyKeyHeader = "Idempotency-Key";
    public const int MaxIdempotencyKeyLength = 200;

    [Function("BuildProject")]
    public async Task<IResult> StartAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "projects/{id}/build")] HttpRequest request, string id, CancellationToken cancellationToken)
    {
        var context = request.HttpContext;
        if (IdempotencyKey(context) is not { } key)
        {
            return JsonRequest.BadRequest($"{IdempotencyKeyHeader} must be at most {MaxIdempotencyKeyLength} printable ASCII characters.");
        }

        var body = new BuildBody(null, null, null, null);
        // An empty POST builds the default branch; a body must be a JSON object.
        if (context.Request.ContentLength is > 0 || context.Request.Headers.TransferEncoding.Count > 0 || !string.IsNullOrEmpty(context.Request.ContentType))
        {
            var (json, problem) = await JsonRequest.ReadAsync(context.Request, cancellationToken);
            if (problem is not null)
            {
                return problem;
            }

            try
            {
                body = json!.Node is System.Text.Json.Nodes.JsonObject
                    ? json.Node.Deserialize(BuildsJsonContext.Default.BuildBody)!
                    : null!;
            }
            catch (JsonException e)
            {
                return Invalid("", $"The body must be {{\"branch\", \"commit\", \"deploy\", \"environment\"}}: {e.Message}");
            }

            if (body is null)
            {
                return Invalid("", "The body must be a JSON object {\"branch\": …} or {\"commit\": …}.");
            }
        }

        var outcome = await builds.StartAsync(Caller.From(context.User), id, new BuildRequest(body.Branch, body.Commit, body.Deploy ?? false, body.Environment),
            key.Length == 0 ? null : key, cancellationToken);
        if (!outcome.Succeeded)
        {
            return OutcomeResults.Problem(outcome);
        }

        var started = BuildUris.Started(outcome.Value!.Project.Id, outcome.Value.Run);
        if (outcome.Value.Run.Replayed)
        {
            context.Response.Headers["Idempotent-Replayed"] = "true";
        }

        return TypedResults.Accepted(started.StatusUri, started);
    }

    [Function("ListBuilds")]
    public async Task<IResult> ListAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "projects/{id}/builds")] HttpRequest request, string id, CancellationToken cancellationToken)
    {
        var context = request.HttpContext;
        var query = request.Query;
        var errors = new Dictionary<string, string[]>();
        var limit = 20;
        if (query["limit"].ToString() is { Length: > 0 } rawLimit && (!int.TryParse(rawLimit, NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit is < 1 or > 100))
        {
            errors["limit"] = ["A whole number from 1 to 100."];
        }

        int? before = null;
        if (query["cursor"].ToString() is { Length: > 0 } rawCursor)
        {
            if (int.TryParse(rawCursor, NumberStyles.None, CultureInfo.InvariantCulture, out var cursor) && cursor > 0)
            {
                before = cursor;
            }
            else
            {
                errors["cursor"] = ["Use the nextCursor of the previous page."];
            }
        }

        RunStatus? status = null;
        if (query["status"].ToString() is { Length: > 0 } rawStatus)
        {
            if (PipelineStatusNames.TryParseRun(rawStatus, out var parsed))
            {
                status = parsed;
            }
            else
            {
                errors["status"] = ["One of queued, running, succeeded, failed, canceled, timed_out."];
            }
        }

        var branch = query["branch"].ToString() is { Length: > 0 } rawBranch ? rawBranch : null;
        if (branch is { Length: > 255 })
        {
            errors["branch"] = ["At most 255 characters."];
        }

        if (errors.Count > 0)
        {
            return OutcomeResults.Problem(Outcome<bool>.Invalid(errors));
        }

        var outcome = await builds.ListAsync(Caller.From(context.User), id, status, branch, limit, before, cancellationToken);
        return outcome.Succeeded
            ? TypedResults.Json(BuildUris.Page(outcome.Value!.Project.Id, outcome.Value.Page), BuildsJsonContext.Default.BuildPage)
            : OutcomeResults.Problem(outcome);
    }

    [Function("GetBuild")]
    public async Task<IResult> GetAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "projects/{id}/builds/{runId:guid}")] HttpRequest request, string id, Guid runId, CancellationToken cancellationToken)
    {
        var context = request.HttpContext;
        var outcome = await builds.GetAsync(Caller.From(context.User), id, runId, cancellationToken);
        return outcome.Succeeded
            ? TypedResults.Json(BuildUris.Run(outcome.Value!.Run, await tests.SummaryAsync(runId, cancellationToken), await orchestrations.GetAsync(runId, cancellationToken)),
                BuildsJsonContext.Default.BuildRun)
            : OutcomeResults.Problem(outcome);
    }

    [Function("CancelBuild")]
    public async Task<IResult> CancelAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "projects/{id}/builds/{runId:guid}/cancel")] HttpRequest request, string id, Guid runId, CancellationToken cancellationToken)
    {
        var context = request.HttpContext;
        var outcome = await builds.CancelAsync(Caller.From(context.User), id, runId, cancellationToken);
        return outcome.Succeeded
            ? TypedResults.Json(BuildUris.Run(outcome.Value!.Run), BuildsJsonContext.Default.BuildRun)
            : OutcomeResults.Problem(outcome);
    }

    [Function("RetryBuild")]
    public async Task<IResult> RetryAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "projects/{id}/builds/{runId:guid}/retry")] HttpRequest request, string id, Guid runId, CancellationToken cancellationToken)
    {
        var context = request.HttpContext;
        if (IdempotencyKey(context) is not { } key)
        {
            return JsonRequest.BadRequest($"{IdempotencyKeyHeader} must be at most {MaxIdempotencyKeyLength} printable ASCII characters.");
        }

        var outcome = await builds.RetryAsync(Caller.From(context.User), id, runId, key.Length == 0 ? null : key, cancellationToken);
        if (!outcome.Succeeded)
        {
            return OutcomeResults.Problem(outcome);
        }

        var started = BuildUris.Started(outcome.Value!.Project.Id, outcome.Value.Run);
        return TypedResults.Accepted(started.StatusUri, started);
    }

    [Function("GetBuildLogs")]
    public Task<IResult> LogsAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "projects/{id}/builds/{runId:guid}/logs")] HttpRequest request, string id, Guid runId, CancellationToken cancellationToken) =>
        TextAsync(builds.LogsAsync(Caller.From(request.HttpContext.User), id, runId, null, cancellationToken));

    [Function("GetBuildStepLogs")]
    public async Task<IResult> StepLogsAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "projects/{id}/builds/{runId:guid}/steps/{step}/logs")] HttpRequest request, string id, Guid runId, string step, CancellationToken cancellationToken)
    {
        var context = request.HttpContext;
        var follow = request.Query["follow"] is { Count: > 0 } values ? values.ToString() : null;
        // Read as text so a wrong value gets a problem naming the parameter, not the binder's bare 400.
        var following = false;
        if (follow is not null && !bool.TryParse(follow, out following))
        {
            return OutcomeResults.Problem(Outcome<string>.Invalid(new Dictionary<string, string[]> { ["follow"] = ["true or false."] }));
        }

        if (!following)
        {
            return await TextAsync(builds.LogsAsync(Caller.From(context.User), id, runId, step, cancellationToken));
        }

        var outcome = await builds.FollowLogsAsync(Caller.From(context.User), id, runId, step, FollowPoll, cancellationToken);
        return outcome.Succeeded ? new StreamedText(outcome.Value!) : OutcomeResults.Problem(outcome);
    }

    private static readonly TimeSpan FollowPoll = TimeSpan.FromMilliseconds(250);

    /// <summary>Writes and flushes each piece as it comes (chunked text/plain): a client sees a running step's log live.</summary>
    private sealed class StreamedText(IAsyncEnumerable<string> pieces) : IResult
    {
        public async Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.ContentType = "text/plain; charset=utf-8";
            httpContext.Response.Headers.CacheControl = "no-cache";
            httpContext.Response.Headers["X-Accel-Buffering"] = "no";
            var aborted = httpContext.RequestAborted;
            try
            {
                await httpContext.Response.StartAsync(aborted);
                await foreach (var piece in pieces.WithCancellation(aborted))
                {
                    await httpContext.Response.WriteAsync(piece, aborted);
                    await httpContext.Response.Body.FlushAsync(aborted);
                }
            }
            catch (OperationCanceledException) when (aborted.IsCancellationRequested)
            {
                // The client went away: nothing to answer.
            }
        }
    }

    private static async Task<IResult> TextAsync(Task<Outcome<string>> read)
    {
        var outcome = await read;
        return outcome.Succeeded ? TypedResults.Text(outcome.Value!, "text/plain; charset=utf-8") : OutcomeResults.Problem(outcome);
    }

    /// <returns>The key ("" when absent), or null when it is malformed.</returns>
    private static string? IdempotencyKey(HttpContext context)
    {
        var key = context.Request.Headers[IdempotencyKeyHeader].ToString();
        return key.Length > MaxIdempotencyKeyLength || key.Any(c => c is < ' ' or > '~') ? null : key;
    }

    private static IResult Invalid(string field, string message) =>
        OutcomeResults.Problem(Outcome<bool>.Invalid(new Dictionary<string, string[]> { [field] = [message] }));
}
