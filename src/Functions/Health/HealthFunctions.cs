using DevMentor.Functions.Json;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace DevMentor.Functions.Health;

/// <summary>Liveness and readiness probes: anonymous and never rate-limited (a throttled probe would restart a healthy instance).</summary>
[AllowAnonymous]
[DisableRateLimiting]
[Tags("Health")]
public sealed class HealthFunctions(HealthCheckService health)
{
    /// <summary>Tag of the checks /health/ready runs: the database and every configured backend.</summary>
    public const string ReadyTag = "ready";

    /// <summary>Liveness touches no dependency: a restart would not fix a database outage.</summary>
    [Function("Health")]
    public static IResult Liveness([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "health")] HttpRequest request) =>
        TypedResults.Ok(new LivenessResponse("Healthy"));

    [Function("HealthReady")]
    public async Task<IResult> ReadinessAsync([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "health/ready")] HttpRequest request, CancellationToken cancellationToken)
    {
        var report = await health.CheckHealthAsync(check => check.Tags.Contains(ReadyTag), cancellationToken);
        var checks = report.Entries.ToDictionary(
            e => e.Key,
            e => new HealthCheckEntry(e.Value.Status.ToString(), e.Value.Description, (long)e.Value.Duration.TotalMilliseconds));
        var body = new HealthResponse(report.Status.ToString(), checks);
        if (report.Status == HealthStatus.Unhealthy)
        {
            request.HttpContext.Response.Headers.RetryAfter = "10";
            return TypedResults.Json(body, AppJsonContext.Default.HealthResponse, statusCode: StatusCodes.Status503ServiceUnavailable);
        }

        return TypedResults.Json(body, AppJsonContext.Default.HealthResponse);
    }
}

public sealed record LivenessResponse(string Status);

public sealed record HealthResponse(string Status, IReadOnlyDictionary<string, HealthCheckEntry>? Checks);

public sealed record HealthCheckEntry(string Status, string? Description, long DurationMs);
