using System.Net;
using System.Text.Json;
using DevMentor.Core.Caching;
using DevMentor.Core.RateLimiting;
using DevMentor.Functions.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using static DevMentor.Functions.Tests.Caching.RedisTesting;

namespace DevMentor.Functions.Tests.Caching;

/// <summary>
/// The cache and the rate-limit counters on a real 3-node Redis Cluster (three primaries, as the
/// platform blueprint runs it), with two service instances sharing it and one database. Keys are
/// spread over the nodes by their slots; every operation touches one key, so none spans slots.
/// </summary>
public sealed class RedisClusterTests
{
    private static readonly TimeSpan Ttl = TimeSpan.FromMinutes(5);

    [Fact]
    public async Task Entries_spread_over_every_node_and_a_removal_on_one_instance_is_seen_by_the_other()
    {
        var cluster = await TestRedisCluster.SharedAsync();
        var prefix = Unique();
        var database = await TestPostgres.CreateDatabaseAsync("cluster-cache");
        await using var first = await TestApp.StartAsync(database, Settings(cluster.ConnectionString, prefix));
        await using var second = await TestApp.StartAsync(database, Settings(cluster.ConnectionString, prefix));
        await using var admin = await RedisAdmin.ConnectAsync(cluster.ConnectionString);
        var a = Assert.IsType<RedisCache>(first.Services.GetRequiredService<ICache>());
        var b = second.Services.GetRequiredService<ICache>();

        for (var i = 0; i < 30; i++)
        {
            await a.SetAsync($"item:{i}", Bytes($"v1-{i}"), Ttl, CancellationToken.None);
        }

        for (var i = 0; i < 30; i++)
        {
            Assert.Equal($"v1-{i}", Text(await b.GetAsync($"item:{i}", CancellationToken.None)));
        }

        // Each primary holds some of them (30 keys missing a node by chance: about 1 in 70,000).
        var byNode = await admin.KeysByNodeAsync($"{prefix}cache:*");
        Assert.Equal(3, byNode.Count);
        Assert.All(byNode.Values, Assert.NotEmpty);
        Assert.Equal(30, byNode.Values.Sum(keys => keys.Count));

        // Whichever node holds an entry, a removal on one instance is seen by the other at once.
        for (var i = 0; i < 30; i += 2)
        {
            await a.RemoveAsync($"item:{i}", CancellationToken.None);
            Assert.Null(await b.GetAsync($"item:{i}", CancellationToken.None));
        }

        await b.SetAsync("item:0", Bytes("v2-0"), Ttl, CancellationToken.None);
        Assert.Equal("v2-0", Text(await a.GetAsync("item:0", CancellationToken.None)));
        Assert.Equal("v1-1", Text(await a.GetAsync("item:1", CancellationToken.None)));
        Assert.Equal(16, (await admin.KeysByNodeAsync($"{prefix}cache:*")).Values.Sum(keys => keys.Count));
        var ttl = await admin.TimeToLiveMsAsync($"{prefix}cache:item:1");
        Assert.InRange(ttl, (long)(Ttl - TimeSpan.FromSeconds(30)).TotalMilliseconds, (long)Ttl.TotalMilliseconds);
    }

    [Fact]
    public async Task Rate_limit_counters_on_every_node_are_shared_by_two_instances()
    {
        var cluster = await TestRedisCluster.SharedAsync();
        var prefix = Unique();
        var database = await TestPostgres.CreateDatabaseAsync("cluster-ratelimit");
        await using var first = await TestApp.StartAsync(database, Settings(cluster.ConnectionString, prefix));
        await using var second = await TestApp.StartAsync(database, Settings(cluster.ConnectionString, prefix));
        await using var admin = await RedisAdmin.ConnectAsync(cluster.ConnectionString);
        var a = Assert.IsType<RedisRateLimitCounters>(first.Services.GetRequiredService<IRateLimitCounters>());
        var b = second.Services.GetRequiredService<IRateLimitCounters>();
        var window = TimeSpan.FromHours(1);

        for (var client = 0; client < 30; client++)
        {
            var counts = new List<long>();
            foreach (var counter in new[] { a, b, a })
            {
                counts.Add((await counter.IncrementAsync($"user:client-{client}", window, CancellationToken.None)).Count);
            }

            Assert.Equal([1, 2, 3], counts);
        }

        var byNode = await admin.KeysByNodeAsync($"{prefix}ratelimit:*");
        Assert.All(byNode.Values, Assert.NotEmpty); // the counters live on all three nodes
        Assert.Equal(30, byNode.Values.Sum(keys => keys.Count));

        // Many concurrent increments from both instances lose none, and the key expires with its window.
        await Task.WhenAll(Enumerable.Range(0, 200).Select(i => (i % 2 == 0 ? a : b).IncrementAsync("burst", window, CancellationToken.None)));
        var last = await a.IncrementAsync("burst", window, CancellationToken.None);
        Assert.Equal(201, last.Count);
        var burstKey = Assert.Single((await admin.KeysByNodeAsync($"{prefix}ratelimit:*:burst:*")).Values.SelectMany(keys => keys));
        var expiresIn = await admin.TimeToLiveMsAsync(burstKey);
        Assert.InRange(expiresIn, 1, (long)(last.ResetAt - DateTimeOffset.UtcNow + TimeSpan.FromSeconds(10)).TotalMilliseconds);
    }

    [Fact]
    public async Task Through_the_api_two_instances_on_the_cluster_share_the_project_cache_and_one_rate_limit()
    {
        var cluster = await TestRedisCluster.SharedAsync();
        var prefix = Unique();
        var settings = TestAuth.Settings(("RateLimits:Enabled", "true"), ("RateLimits:PerUser", "8"));
        foreach (var (key, value) in Settings(cluster.ConnectionString, prefix))
        {
            settings[key] = value;
        }

        var database = await TestPostgres.CreateDatabaseAsync("cluster-api");
        await using var a = await TestApp.StartAsync(database, settings);
        await using var b = await TestApp.StartAsync(database, settings);
        await using var admin = await RedisAdmin.ConnectAsync(cluster.ConnectionString);
        using var create = await a.Client.SendAsync(TestAuth.Request(HttpMethod.Post, "/projects", "ines", """{"name": "Cached on the cluster", "description": "v1"}"""));
        Assert.Equal(HttpStatusCode.Created, create.StatusCode);
        var id = JsonDocument.Parse(await create.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString()!;
        var redisKey = $"{prefix}cache:project:v1:{Guid.Parse(id):N}";

        var remaining = new List<string>();
        using (var read = await a.Client.SendAsync(TestAuth.Request(HttpMethod.Get, $"/projects/{id}", "ines")))
        {
            Assert.Equal(HttpStatusCode.OK, read.StatusCode);
            remaining.Add(read.Headers.GetValues("RateLimit-Remaining").Single());
        }

        Assert.Contains("v1", await admin.GetAsync(redisKey), StringComparison.Ordinal);
        using (var write = await b.Client.SendAsync(TestAuth.Request(HttpMethod.Patch, $"/projects/{id}", "ines", """{"description": "v2"}""")))
        {
            Assert.Equal(HttpStatusCode.OK, write.StatusCode);
            remaining.Add(write.Headers.GetValues("RateLimit-Remaining").Single());
        }

        Assert.Null(await admin.GetAsync(redisKey)); // B's write removed the entry A filled, on whichever node holds it
        foreach (var app in new[] { a, b, a, b })
        {
            using var read = await app.Client.SendAsync(TestAuth.Request(HttpMethod.Get, $"/projects/{id}", "ines"));
            Assert.Equal(HttpStatusCode.OK, read.StatusCode);
            Assert.Equal("v2", JsonDocument.Parse(await read.Content.ReadAsStringAsync()).RootElement.GetProperty("description").GetString());
            remaining.Add(read.Headers.GetValues("RateLimit-Remaining").Single());
        }

        Assert.Contains("v2", await admin.GetAsync(redisKey), StringComparison.Ordinal);
        // One count for both instances: 8 per window (the create counted too).
        Assert.Equal(["6", "5", "4", "3", "2", "1"], remaining);
        using (var last = await b.Client.SendAsync(TestAuth.Request(HttpMethod.Get, $"/projects/{id}", "ines")))
        {
            Assert.Equal(HttpStatusCode.OK, last.StatusCode);
        }

        using var limited = await a.Client.SendAsync(TestAuth.Request(HttpMethod.Get, $"/projects/{id}", "ines"));
        Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
    }

    [Fact]
    public async Task Readiness_names_the_cluster_and_its_nodes()
    {
        var cluster = await TestRedisCluster.SharedAsync();
        await using var app = await TestApp.StartAsync(await TestPostgres.CreateDatabaseAsync("cluster-ready"), Settings(cluster.ConnectionString, Unique()));

        var (status, body) = await WaitForReadinessAsync(app, "Healthy", TimeSpan.FromSeconds(15));

        Assert.Equal(HttpStatusCode.OK, status);
        var check = body.GetProperty("checks").GetProperty("redis");
        Assert.Equal("Healthy", check.GetProperty("status").GetString());
        var description = check.GetProperty("description").GetString()!;
        Assert.StartsWith("Redis at " + string.Join(", ", cluster.Nodes.Select(n => $"127.0.0.1:{n.Port}")), description, StringComparison.Ordinal);
        Assert.Contains("Redis Cluster of 3 nodes", description, StringComparison.Ordinal);
    }
}
