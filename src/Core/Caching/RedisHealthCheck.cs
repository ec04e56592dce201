using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace DevMentor.Core.Caching;

/// <summary>
/// Readiness for Redis. The service keeps answering without Redis, so an outage is Degraded
/// (HTTP 200, named in the report), never Unhealthy.
/// </summary>
public sealed class RedisHealthCheck(RedisConnection redis) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var latency = await redis.PingAsync(cancellationToken);
        return latency is { } ping
            ? HealthCheckResult.Healthy($"{redis.Description}, ping {ping.TotalMilliseconds:0.#} ms")
            : new HealthCheckResult(HealthStatus.Degraded, $"{redis.Description} is unreachable: cache bypassed, rate limits counted per instance");
    }
}
