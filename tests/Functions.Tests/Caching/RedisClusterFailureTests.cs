using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text.Json;
using DevMentor.Core.Caching;
using DevMentor.Core.RateLimiting;
using DevMentor.Functions.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using StackExchange.Redis;
using static DevMentor.Functions.Tests.Caching.RedisTesting;

namespace DevMentor.Functions.Tests.Caching;

/// <summary>
/// What happens to the service when its Redis Cluster changes under it: a node killed and
/// restarted under load, a slot moved to another node, every node locking the service out. Each
/// test starts its own cluster.
/// </summary>
public sealed class RedisClusterFailureTests
{
    private static readonly TimeSpan Ttl = TimeSpan.FromMinutes(5);

    [Fact]
    public async Task A_node_restarted_under_load_leaves_every_answer_correct_and_the_counters_shared_again()
    {
        // A short node timeout, so the cluster declares the killed node failed (CLUSTERDOWN on every
        // node) within seconds and the test sees that phase too.
        await using var cluster = await TestRedisCluster.StartAsync("restart", nodeTimeout: TimeSpan.FromSeconds(2));
        var settings = TestAuth.Settings(("RateLimits:Enabled", "true"), ("RateLimits:PerUser", "1000000"));
        foreach (var (key, value) in Settings(cluster.ConnectionString, "restart:"))
        {
            settings[key] = value;
        }

        var database = await TestPostgres.CreateDatabaseAsync("cluster-restart");
        await using var a = await TestApp.StartAsync(database, settings);
        await using var b = await TestApp.StartAsync(database, settings);
        var ids = new List<string>();
        for (var i = 0; i < 6; i++)
        {
            using var create = await a.Client.SendAsync(TestAuth.Request(HttpMethod.Post, "/projects", "kai", $$"""{"name": "Under load {{i}}", "description": "v0"}"""));
            Assert.Equal(HttpStatusCode.Created, create.StatusCode);
            ids.Add(JsonDocument.Parse(await create.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString()!);
        }

        using var load = new Load([a, b], ids);
        var running = load.RunAsync();
        try
        {
            await load.WaitForReadsAsync(50);
            var victim = cluster.Nodes[1];
            victim.Stop(); // SIGKILL: its slots' keys are unreachable, then the cluster is down
            load.Phase = "node down";
            var (_, degraded) = await WaitForReadinessAsync(a, "Degraded", TimeSpan.FromSeconds(30));
            Assert.Contains("Redis at", degraded.GetProperty("checks").GetProperty("redis").GetProperty("description").GetString(), StringComparison.Ordinal);
            await WaitForClusterFailAsync(cluster.Nodes[0].Port, TimeSpan.FromSeconds(30));
            load.Phase = "cluster down";
            await load.WaitForReadsAsync(load.Reads + 50);

            await victim.StartAsync(TimeSpan.FromSeconds(30)); // same port, same nodes.conf, no data
            load.Phase = "recovering";
            await cluster.WaitUntilOkAsync(TimeSpan.FromSeconds(60));
            await WaitForReadinessAsync(a, "Healthy", TimeSpan.FromSeconds(30));
            await WaitForReadinessAsync(b, "Healthy", TimeSpan.FromSeconds(30));
            load.Phase = "recovered";
            await load.WaitForReadsAsync(load.Reads + 50);
        }
        finally
        {
            await load.StopAsync(running);
        }

        Assert.True(load.Failures.IsEmpty, $"{load.Failures.Count} wrong answers, e.g. {string.Join(" | ", load.Failures.Take(5))}");
        Assert.All(new[] { "node down", "cluster down", "recovered" }, phase => Assert.True(load.ReadsIn(phase) > 0, $"no reads while {phase}"));
        Assert.True(load.Writes > 0);

        // After recovery the two instances count together again, on every node (the restarted one too).
        await using var admin = await RedisAdmin.ConnectAsync(cluster.ConnectionString);
        var first = a.Services.GetRequiredService<IRateLimitCounters>();
        var second = b.Services.GetRequiredService<IRateLimitCounters>();
        for (var client = 0; client < 30; client++)
        {
            var counts = new List<long>();
            foreach (var counter in new[] { first, second, first })
            {
                counts.Add((await counter.IncrementAsync($"user:after-{client}", TimeSpan.FromHours(1), CancellationToken.None)).Count);
            }

            Assert.Equal([1, 2, 3], counts);
        }

        var byNode = await admin.KeysByNodeAsync("restart:ratelimit:*:user:after-*");
        Assert.NotEmpty(byNode[$"127.0.0.1:{cluster.Nodes[1].Port}"]);
        Assert.Equal(30, byNode.Values.Sum(keys => keys.Count));
    }

    [Fact]
    public async Task A_slot_moved_to_another_node_is_followed_and_its_entries_stay_readable()
    {
        await using var cluster = await TestRedisCluster.StartAsync("moved");
        await using var app = await TestApp.StartAsync(await TestPostgres.CreateDatabaseAsync("cluster-moved"), Settings(cluster.ConnectionString, "moved:"));
        await using var admin = await RedisAdmin.ConnectAsync(cluster.ConnectionString);
        var cache = app.Services.GetRequiredService<ICache>();
        var counters = app.Services.GetRequiredService<IRateLimitCounters>();
        await cache.SetAsync("moving", Bytes("here"), Ttl, CancellationToken.None);
        Assert.Equal("here", Text(await cache.GetAsync("moving", CancellationToken.None))); // the service now knows the old owner

        RedisKey key = "moved:cache:moving";
        var slot = admin.Multiplexer.HashSlot(key);
        var source = admin.Multiplexer.GetServer(key);
        var target = admin.Primaries.First(s => !s.EndPoint.Equals(source.EndPoint));
        var sourceId = (string)(await source.ExecuteAsync("CLUSTER", "MYID"))!;
        var targetId = (string)(await target.ExecuteAsync("CLUSTER", "MYID"))!;

        // The documented resharding steps for one slot: import, migrate the keys, hand the slot over.
        await target.ExecuteAsync("CLUSTER", "SETSLOT", slot, "IMPORTING", sourceId);
        await source.ExecuteAsync("CLUSTER", "SETSLOT", slot, "MIGRATING", targetId);
        var keys = (RedisKey[])(await source.ExecuteAsync("CLUSTER", "GETKEYSINSLOT", slot, 100))!;
        var targetEndPoint = (System.Net.IPEndPoint)target.EndPoint;
        await source.ExecuteAsync("MIGRATE", [targetEndPoint.Address.ToString(), targetEndPoint.Port, "", 0, 5000, "KEYS", .. keys.Select(k => (object)k)]);
        foreach (var server in new[] { target, source }.Concat(admin.Primaries.Where(s => !s.EndPoint.Equals(source.EndPoint) && !s.EndPoint.Equals(target.EndPoint))))
        {
            await server.ExecuteAsync("CLUSTER", "SETSLOT", slot, "NODE", targetId);
        }

        Assert.Equal(1L, (long)await target.ExecuteAsync("CLUSTER", "COUNTKEYSINSLOT", slot));
        Assert.Equal(0L, (long)await source.ExecuteAsync("CLUSTER", "COUNTKEYSINSLOT", slot));

        // The service still asks the old owner first, is told MOVED, and follows it: a hit, not a miss.
        Assert.Equal("here", Text(await cache.GetAsync("moving", CancellationToken.None)));
        await cache.SetAsync("moving", Bytes("there"), Ttl, CancellationToken.None);
        Assert.Equal("there", await admin.GetAsync(key!));
        await cache.RemoveAsync("moving", CancellationToken.None);
        Assert.Null(await admin.GetAsync(key!));
        Assert.Equal(1, (await counters.IncrementAsync("after-move", TimeSpan.FromHours(1), CancellationToken.None)).Count);
        Assert.Equal(2, (await counters.IncrementAsync("after-move", TimeSpan.FromHours(1), CancellationToken.None)).Count);
    }

    [Fact]
    public async Task After_an_outage_with_too_many_missed_removals_every_cache_entry_on_every_node_is_removed()
    {
        await using var cluster = await TestRedisCluster.StartAsync("overflow");
        await using var app = await TestApp.StartAsync(await TestPostgres.CreateDatabaseAsync("cluster-overflow"), Settings(cluster.ConnectionString, "overflow:"));
        await using var admin = await RedisAdmin.ConnectAsync(cluster.ConnectionString);
        // The service's connection, with a cache that gives up remembering single keys after 5.
        await using var cache = new RedisCache(app.Services.GetRequiredService<RedisConnection>(), NullLogger<RedisCache>.Instance, maxPendingRemovals: 5);
        var counters = app.Services.GetRequiredService<IRateLimitCounters>();
        for (var i = 0; i < 30; i++)
        {
            await cache.SetAsync($"item:{i}", Bytes("old"), Ttl, CancellationToken.None);
        }

        Assert.Equal(1, (await counters.IncrementAsync("kept", TimeSpan.FromHours(1), CancellationToken.None)).Count);
        Assert.All((await admin.KeysByNodeAsync("overflow:cache:*")).Values, Assert.NotEmpty);

        // Every node locks the service out and keeps its data.
        await admin.OnEveryNodeAsync("CONFIG", "SET", "requirepass", "locked-out");
        await admin.OnEveryNodeAsync("CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes");
        await WaitForReadinessAsync(app, "Degraded", TimeSpan.FromSeconds(30));
        for (var i = 0; i < 10; i++)
        {
            await cache.RemoveAsync($"item:{i}", CancellationToken.None);
        }

        Assert.Equal(-1, cache.PendingRemovals); // past the limit: the whole cache is to be removed
        Assert.Equal(30, (await admin.KeysByNodeAsync("overflow:cache:*")).Values.Sum(keys => keys.Count));

        await admin.OnEveryNodeAsync("CONFIG", "SET", "requirepass", "");
        var watch = Stopwatch.StartNew();
        while ((await admin.KeysByNodeAsync("overflow:cache:*")).Values.Sum(keys => keys.Count) > 0 && watch.Elapsed < TimeSpan.FromSeconds(30))
        {
            await Task.Delay(200);
        }

        Assert.All((await admin.KeysByNodeAsync("overflow:cache:*")).Values, Assert.Empty); // entries never removed one by one too
        Assert.Equal(0, cache.PendingRemovals);
        Assert.Equal("1", await admin.GetAsync(Assert.Single((await admin.KeysByNodeAsync("overflow:ratelimit:*")).Values.SelectMany(k => k)))); // counters untouched
        await cache.SetAsync("item:1", Bytes("new"), Ttl, CancellationToken.None);
        Assert.Equal("new", Text(await cache.GetAsync("item:1", CancellationToken.None)));
    }

    private static async Task WaitForClusterFailAsync(int port, TimeSpan timeout)
    {
        var watch = Stopwatch.StartNew();
        string info;
        while (!(info = await TestRedisCluster.ClusterInfoAsync(port)).Contains("cluster_state:fail", StringComparison.Ordinal))
        {
            Assert.True(watch.Elapsed < timeout, $"the cluster did not notice the lost node within {timeout}: {info}");
            await Task.Delay(200);
        }
    }

    /// <summary>
    /// Readers and one writer against both instances until stopped. A read must answer 200 with a
    /// version at least as new as the last write acknowledged before it started (never stale, never
    /// an error); anything else is recorded with the phase it happened in.
    /// </summary>
    private sealed class Load(TestApp[] apps, IReadOnlyList<string> ids) : IDisposable
    {
        private readonly int[] _acknowledged = new int[ids.Count];
        private readonly ConcurrentDictionary<string, int> _readsByPhase = new();
        private readonly CancellationTokenSource _stop = new();
        private int _reads;
        private int _writes;

        public volatile string Phase = "before";

        public ConcurrentQueue<string> Failures { get; } = new();

        public int Reads => Volatile.Read(ref _reads);

        public int Writes => Volatile.Read(ref _writes);

        public int ReadsIn(string phase) => _readsByPhase.GetValueOrDefault(phase);

        public Task RunAsync() => Task.WhenAll(Enumerable.Range(0, 4).Select(ReadLoopAsync).Append(WriteLoopAsync()));

        public async Task WaitForReadsAsync(int reads)
        {
            var watch = Stopwatch.StartNew();
            while (Reads < reads && Failures.Count < 100)
            {
                Assert.True(watch.Elapsed < TimeSpan.FromSeconds(60), $"only {Reads} reads in a minute");
                await Task.Delay(50);
            }
        }

        public async Task StopAsync(Task running)
        {
            await _stop.CancelAsync();
            await running;
        }

        public void Dispose() => _stop.Dispose();

        private async Task ReadLoopAsync(int reader)
        {
            for (var n = reader; !_stop.IsCancellationRequested; n++)
            {
                var project = n % ids.Count;
                var phase = Phase;
                var expected = Volatile.Read(ref _acknowledged[project]);
                using var response = await apps[n % apps.Length].Client.SendAsync(TestAuth.Request(HttpMethod.Get, $"/projects/{ids[project]}", "kai"));
                var body = await response.Content.ReadAsStringAsync();
                if (response.StatusCode != HttpStatusCode.OK)
                {
                    Failures.Enqueue($"{phase}: GET {(int)response.StatusCode} {body}");
                    continue;
                }

                var description = JsonDocument.Parse(body).RootElement.GetProperty("description").GetString()!;
                if (int.Parse(description[1..], System.Globalization.CultureInfo.InvariantCulture) < expected)
                {
                    Failures.Enqueue($"{phase}: read {description} after v{expected} was acknowledged");
                }

                Interlocked.Increment(ref _reads);
                _readsByPhase.AddOrUpdate(phase, 1, (_, count) => count + 1);
            }
        }

        private async Task WriteLoopAsync()
        {
            for (var n = 0; !_stop.IsCancellationRequested; n++)
            {
                var project = n % ids.Count;
                var version = _acknowledged[project] + 1;
                using var response = await apps[(n + 1) % apps.Length].Client.SendAsync(
                    TestAuth.Request(HttpMethod.Patch, $"/projects/{ids[project]}", "kai", $$"""{"description": "v{{version}}"}"""));
                if (response.StatusCode != HttpStatusCode.OK)
                {
                    Failures.Enqueue($"{Phase}: PATCH {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
                    continue;
                }

                Volatile.Write(ref _acknowledged[project], version);
                Interlocked.Increment(ref _writes);
                await Task.Delay(20);
            }
        }
    }
}
