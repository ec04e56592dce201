using DevMentor.Functions.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace DevMentor.Functions.Health;

public static class HealthFunctions
{
    /// <summary>Tag of the checks /health/ready runs: the database and every configured backend.</summary>
    public const string ReadyTag = "ready";

    public static IEndpointRouteBuilder MapHealthFunctions(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/health").WithTags("Health").AllowAnonymous();
        group.MapGet("", Liveness).WithName("Health");
        group.MapGet("/ready", ReadinessAsync).WithName("HealthReady");
        return routes;
    }

    /// <summary>Liveness touches no dependency: a restart would not fix a database outage.</summary>
    public static Ok<LivenessResponse> Liveness() => TypedResults.Ok(new LivenessResponse("Healthy"));

    public static async Task<Results<Ok<HealthResponse>, JsonHttpResult<HealthResponse>>> ReadinessAsync(
        HealthCheckService health, HttpContext context, CancellationToken cancellationToken)
    {
        var report = await health.CheckHealthAsync(check => check.Tags.Contains(ReadyTag), cancellationToken);
        var checks = report.Entries.ToDictionary(
            e => e.Key,
            e => new HealthCheckEntry(e.Value.Status.ToString(), e.Value.Description, (long)e.Value.Duration.TotalMilliseconds));
        var body = new HealthResponse(report.Status.ToString(), checks);
        if (report.Status == HealthStatus.Unhealthy)
        {
            context.Response.Headers.RetryAfter = "10";
            return TypedResults.Json(body, AppJsonContext.Default.HealthResponse, statusCode: StatusCodes.Status503ServiceUnavailable);
        }

        return TypedResults.Ok(body);
    }
}

public sealed record LivenessResponse(string Status);

public sealed record HealthResponse(string Status, IReadOnlyDictionary<string, HealthCheckEntry>? Checks);

public sealed record HealthCheckEntry(string Status, string? Description, long DurationMs);
