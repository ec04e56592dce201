using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using StackExchange.Redis;

namespace DevMentor.Core.Caching;

/// <summary>
/// Readiness for Redis: a PING to every node the client knows (a cluster's too, found by the
/// library) and one keyed read through the normal routing, which a cluster that lost a slot's node
/// answers with CLUSTERDOWN although its other nodes still answer PING. The service keeps answering
/// without Redis, so an outage is Degraded (HTTP 200, naming Redis and the node), never Unhealthy.
/// </summary>
public sealed class RedisHealthCheck(RedisConnection redis) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (redis.Multiplexer is not { } multiplexer)
        {
            redis.Start();
            return Unreachable("not connected yet");
        }

        var servers = multiplexer.GetServers();
        var pings = servers.Select(server => ProbeAsync(RedisConnection.Format(server.EndPoint), () => server.PingAsync(), cancellationToken)).ToList();
        var read = ProbeAsync("read", async () =>
        {
            var watch = Stopwatch.StartNew();
            await multiplexer.GetDatabase().KeyExistsAsync(redis.KeyPrefix + "ready");
            return watch.Elapsed;
        }, cancellationToken);
        var results = await Task.WhenAll([.. pings, read]);

        var failures = results.Where(r => r.Error is not null).Select(r => $"{r.Name}: {r.Error}").ToList();
        if (failures.Count > 0)
        {
            return Unreachable(string.Join("; ", failures));
        }

        var slowest = results.Max(r => r.Latency).TotalMilliseconds.ToString("0.#", CultureInfo.InvariantCulture);
        var cluster = servers.Any(s => s.ServerType == ServerType.Cluster);
        return HealthCheckResult.Healthy(cluster
            ? $"{redis.Description}, Redis Cluster of {servers.Length} nodes, slowest ping {slowest} ms"
            : $"{redis.Description}, ping {slowest} ms");
    }

    private HealthCheckResult Unreachable(string details) =>
        new(HealthStatus.Degraded, $"{redis.Description} is unreachable ({details}): cache bypassed, rate limits counted per instance");

    private async Task<(string Name, TimeSpan Latency, string? Error)> ProbeAsync(string name, Func<Task<TimeSpan>> probe, CancellationToken cancellationToken)
    {
        Task<TimeSpan>? task = null;
        try
        {
            task = probe();
            return (name, await task.WaitAsync(redis.Options.OperationTimeout, cancellationToken), null);
        }
        catch (Exception e) when (e is TimeoutException or RedisException)
        {
            _ = task?.ContinueWith(static t => _ = t.Exception, TaskContinuationOptions.OnlyOnFaulted);
            return (name, TimeSpan.Zero, redis.Describe(e));
        }
    }
}
