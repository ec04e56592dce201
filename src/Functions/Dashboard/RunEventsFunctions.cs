using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using DevMentor.Core.Analytics;
using DevMentor.Core.Projects;
using DevMentor.Core.Security;
using DevMentor.Functions.Http;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Azure.Functions.Worker;

namespace DevMentor.Functions.Dashboard;

/// <summary>
/// Live run status as server-sent events (text/event-stream) for the dashboard: one <c>run</c> event
/// per status change (id = the change's cursor, data = the run), a <c>heartbeat</c> event when
/// nothing happened for a while, and resume from <c>Last-Event-ID</c> (header, or <c>lastEventId</c>
/// in the query for clients that cannot set it). Project members only.
/// </summary>
[Tags("Dashboard")]
public sealed class RunEventsFunctions(RunEventsService events)
{
    public const string MediaType = "text/event-stream";

    [Function("StreamRunEvents")]
    [DisableRateLimiting] // one long request, not many: the limiter counts requests
    public async Task<IResult> StreamAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "projects/{id}/runs/events")] HttpRequest request, string id, CancellationToken cancellationToken)
    {
        var raw = request.Headers["Last-Event-ID"] is { Count: > 0 } header ? header.ToString() : request.Query["lastEventId"].ToString();
        long? lastEventId = null;
        if (raw.Length > 0)
        {
            if (!long.TryParse(raw, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed))
            {
                return OutcomeResults.Problem(Outcome<bool>.Invalid(new Dictionary<string, string[]> { ["Last-Event-ID"] = ["The id of an event this stream sent (digits)."] }));
            }

            lastEventId = parsed;
        }

        var outcome = await events.AuthorizeAsync(Caller.From(request.HttpContext.User), id, cancellationToken);
        return outcome.Succeeded ? new EventStream(events.StreamAsync(outcome.Value, lastEventId, request.HttpContext.RequestAborted)) : OutcomeResults.Problem(outcome);
    }

    /// <summary>Writes and flushes each event as it comes; ends quietly when the client goes away.</summary>
    private sealed class EventStream(IAsyncEnumerable<RunStreamItem> items) : IResult
    {
        public async Task ExecuteAsync(HttpContext httpContext)
        {
            var response = httpContext.Response;
            response.ContentType = MediaType + "; charset=utf-8";
            response.Headers.CacheControl = "no-cache";
            response.Headers["X-Accel-Buffering"] = "no";
            var aborted = httpContext.RequestAborted;
            try
            {
                await response.StartAsync(aborted);
                await response.WriteAsync("retry: 2000\n\n", aborted); // how long EventSource waits before reconnecting
                await response.Body.FlushAsync(aborted);
                await foreach (var item in items.WithCancellation(aborted))
                {
                    var text = item.Run is { } run
                        ? $"id: {run.Cursor.ToString(CultureInfo.InvariantCulture)}\nevent: run\ndata: {JsonSerializer.Serialize(RunEventResource.From(run), RunEventsJsonContext.Default.RunEventResource)}\n\n"
                        : "event: heartbeat\ndata: {}\n\n";
                    await response.WriteAsync(text, aborted);
                    await response.Body.FlushAsync(aborted);
                }
            }
            catch (OperationCanceledException) when (aborted.IsCancellationRequested)
            {
                // The client went away.
            }
        }
    }
}

/// <summary>The data of a <c>run</c> event.</summary>
public sealed record RunEventResource(
    Guid RunId, int Number, string Status, string? Branch, string Trigger, string? Commit, DateTimeOffset CreatedAt, DateTimeOffset? StartedAt, DateTimeOffset? FinishedAt)
{
    public static RunEventResource From(RunStatusEvent e) => new(e.RunId, e.Number, e.Status, e.Branch, e.Trigger, e.Commit, e.CreatedAt, e.StartedAt, e.FinishedAt);
}

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(RunEventResource))]
public sealed partial class RunEventsJsonContext : JsonSerializerContext;
