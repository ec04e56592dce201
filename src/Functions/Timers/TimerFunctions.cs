using System.Net;
using System.Text.Json;
using System.Text.Json.Serialization;
using DevMentor.Core.Scheduling;
using DevMentor.Functions.Http;
using DevMentor.Functions.Json;

namespace DevMentor.Functions.Timers;

/// <summary>Marks the endpoint through which the Azure Functions host fires a timer function.</summary>
public sealed record TimerFunctionMetadata(TimerRegistration Timer);

/// <summary>
/// The custom-handler side of timer triggers: the Functions host POSTs /{FunctionName} with
/// {Data, Metadata} and expects {Outputs, Logs, ReturnValue}. Only the host may do that, so the
/// caller must be on loopback and send the host's invocation id header.
/// </summary>
public static class TimerFunctions
{
    public const string InvocationIdHeader = "X-Azure-Functions-InvocationId";

    public static IEndpointRouteBuilder MapTimerFunctions(this IEndpointRouteBuilder routes, TimerCatalog catalog)
    {
        foreach (var timer in catalog.Timers)
        {
            routes.MapPost("/" + timer.Name, (HttpContext context, TimerExecutor executor, TimerRunStore runs, TimeProvider clock) =>
                    InvokeAsync(timer, context, executor, runs, clock))
                .WithName(timer.Name)
                .WithMetadata(new TimerFunctionMetadata(timer))
                .ExcludeFromDescription()
                .AllowAnonymous();
        }

        return routes;
    }

    private static async Task<IResult> InvokeAsync(TimerRegistration timer, HttpContext context, TimerExecutor executor, TimerRunStore runs, TimeProvider clock)
    {
        var remote = context.Connection.RemoteIpAddress;
        var invocationId = context.Request.Headers[InvocationIdHeader].ToString();
        if (remote is null || !IPAddress.IsLoopback(remote) || string.IsNullOrWhiteSpace(invocationId))
        {
            return TypedResults.Problem(
                statusCode: StatusCodes.Status403Forbidden,
                type: ProblemTypes.Forbidden,
                title: "Timer functions are invoked by the Azure Functions host only",
                detail: $"Requests must come from loopback with an {InvocationIdHeader} header.");
        }

        TimerInvocationRequest? request;
        try
        {
            request = await JsonSerializer.DeserializeAsync(context.Request.Body, AppJsonContext.Default.TimerInvocationRequest, context.RequestAborted);
        }
        catch (JsonException e)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, type: ProblemTypes.BadRequest,
                title: "Malformed timer invocation", detail: e.Message);
        }

        var isPastDue = request?.Data is { } data && data.TryGetValue("timer", out var timerData) &&
            timerData.ValueKind == JsonValueKind.Object && timerData.TryGetProperty("IsPastDue", out var pastDue) &&
            pastDue.ValueKind == JsonValueKind.True;

        // The host already runs each occurrence on one instance; the row is for history and for the
        // rare redelivery of the same invocation, which is acknowledged without running twice.
        var now = clock.GetUtcNow();
        var occurrence = new DateTimeOffset(now.Ticks - (now.Ticks % TimeSpan.TicksPerSecond), TimeSpan.Zero);
        var invocation = new TimerInvocation(occurrence, isPastDue, "functions-host");
        var logs = new List<string>();
        if (!await runs.TryClaimAsync(timer.Name, occurrence, TimerExecutor.InstanceId, isPastDue, context.RequestAborted))
        {
            logs.Add($"{timer.Name}: occurrence {occurrence:O} already ran; not run again.");
            return TypedResults.Json(new TimerInvocationResponse(new Dictionary<string, JsonElement>(), logs, null), AppJsonContext.Default.TimerInvocationResponse);
        }

        var error = await executor.RunClaimedAsync(timer, invocation, context.RequestAborted);
        logs.Add(error is null
            ? $"{timer.Name} ran for {occurrence:O} (invocation {invocationId}, past due: {isPastDue})."
            : $"{timer.Name} failed for {occurrence:O} (invocation {invocationId}): {error}");
        return TypedResults.Json(
            new TimerInvocationResponse(new Dictionary<string, JsonElement>(), logs, null),
            AppJsonContext.Default.TimerInvocationResponse,
            statusCode: error is null ? StatusCodes.Status200OK : StatusCodes.Status500InternalServerError);
    }
}

/// <summary>What the Functions host sends a custom handler (PascalCase, as the host writes it).</summary>
public sealed record TimerInvocationRequest(
    [property: JsonPropertyName("Data")] Dictionary<string, JsonElement>? Data,
    [property: JsonPropertyName("Metadata")] Dictionary<string, JsonElement>? Metadata);

/// <summary>What a custom handler answers the Functions host.</summary>
public sealed record TimerInvocationResponse(
    [property: JsonPropertyName("Outputs")] Dictionary<string, JsonElement> Outputs,
    [property: JsonPropertyName("Logs")] IReadOnlyList<string> Logs,
    [property: JsonPropertyName("ReturnValue"), JsonIgnore(Condition = JsonIgnoreCondition.Never)] JsonElement? ReturnValue);
