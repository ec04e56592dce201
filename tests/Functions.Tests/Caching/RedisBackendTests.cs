using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using DevMentor.Core.Caching;
using DevMentor.Core.RateLimiting;
using DevMentor.Functions.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace DevMentor.Functions.Tests.Caching;

/// <summary>
/// The cache and the rate-limit counters on a real Redis, with several service instances sharing it
/// and one database, as in production; and what happens while Redis is away.
/// </summary>
public sealed class RedisBackendTests
{
    private static readonly TimeSpan Ttl = TimeSpan.FromMinutes(5);

    [Fact]
    public async Task A_write_on_one_instance_invalidates_the_entry_another_instance_holds()
    {
        var redis = await TestRedis.SharedAsync();
        var database = await TestPostgres.CreateDatabaseAsync("redis-invalidation");
        var settings = RedisSettings(redis, prefix: Unique());
        await using var first = await TestApp.StartAsync(database, settings);
        await using var second = await TestApp.StartAsync(database, settings);
        var firstCache = first.Services.GetRequiredService<ICache>();
        var secondCache = second.Services.GetRequiredService<ICache>();
        Assert.IsType<RedisCache>(firstCache);

        await firstCache.SetAsync("project:42", Bytes("v1"), Ttl, CancellationToken.None);
        Assert.Equal("v1", Text(await secondCache.GetAsync("project:42", CancellationToken.None)));

        // The write path on the first instance: store, then invalidate the shared entry.
        await firstCache.RemoveAsync("project:42", CancellationToken.None);

        Assert.Null(await secondCache.GetAsync("project:42", CancellationToken.None));
        await secondCache.SetAsync("project:42", Bytes("v2"), Ttl, CancellationToken.None);
        Assert.Equal("v2", Text(await firstCache.GetAsync("project:42", CancellationToken.None)));
    }

    [Fact]
    public async Task Through_the_api_a_project_one_instance_cached_in_redis_is_removed_by_a_write_on_the_other()
    {
        var redis = await TestRedis.SharedAsync();
        var prefix = Unique();
        var settings = TestAuth.Settings();
        foreach (var (key, value) in RedisSettings(redis, prefix))
        {
            settings[key] = value;
        }

        var database = await TestPostgres.CreateDatabaseAsync("redis-projects");
        await using var a = await TestApp.StartAsync(database, settings);
        await using var b = await TestApp.StartAsync(database, settings);
        await using var raw = await RedisAdmin.ConnectAsync(redis);
        using var create = await a.Client.SendAsync(TestAuth.Request(HttpMethod.Post, "/projects", "uma", """{"name": "Cached in Redis", "description": "v1"}"""));
        Assert.Equal(HttpStatusCode.Created, create.StatusCode);
        var id = JsonDocument.Parse(await create.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString()!;
        var redisKey = $"{prefix}cache:project:v1:{Guid.Parse(id):N}";

        using (var read = await a.Client.SendAsync(TestAuth.Request(HttpMethod.Get, $"/projects/{id}", "uma")))
        {
            Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        }

        Assert.Contains("v1", await raw.GetAsync(redisKey), StringComparison.Ordinal); // instance A filled the shared entry
        // For five minutes (the platform blueprint's TTL), counted down by Redis.
        var ttl = await raw.TimeToLiveMsAsync(redisKey);
        Assert.InRange(ttl, (long)(Ttl - TimeSpan.FromSeconds(30)).TotalMilliseconds, (long)Ttl.TotalMilliseconds);

        using var write = await b.Client.SendAsync(TestAuth.Request(HttpMethod.Patch, $"/projects/{id}", "uma", """{"description": "v2"}"""));
        Assert.Equal(HttpStatusCode.OK, write.StatusCode);

        Assert.Null(await raw.GetAsync(redisKey)); // instance B's write removed it for everyone
        using var after = await a.Client.SendAsync(TestAuth.Request(HttpMethod.Get, $"/projects/{id}", "uma"));
        Assert.Equal("v2", JsonDocument.Parse(await after.Content.ReadAsStringAsync()).RootElement.GetProperty("description").GetString());
        Assert.Contains("v2", await raw.GetAsync(redisKey), StringComparison.Ordinal);

        // The other writes remove it too: a collaborator change, and archiving.
        using (var grant = await b.Client.SendAsync(TestAuth.Request(HttpMethod.Put, $"/projects/{id}/collaborators/val", "uma", """{"role": "viewer"}""")))
        {
            Assert.Equal(HttpStatusCode.Created, grant.StatusCode);
        }

        Assert.Null(await raw.GetAsync(redisKey));
        using (var asVal = await a.Client.SendAsync(TestAuth.Request(HttpMethod.Get, $"/projects/{id}", "val")))
        {
            Assert.Equal(HttpStatusCode.OK, asVal.StatusCode);
        }

        Assert.Contains("\"val\"", await raw.GetAsync(redisKey), StringComparison.Ordinal);
        using (var archive = await b.Client.SendAsync(TestAuth.Request(HttpMethod.Delete, $"/projects/{id}", "uma")))
        {
            Assert.Equal(HttpStatusCode.NoContent, archive.StatusCode);
        }

        Assert.Null(await raw.GetAsync(redisKey));
        using var archived = await a.Client.SendAsync(TestAuth.Request(HttpMethod.Get, $"/projects/{id}", "uma"));
        Assert.NotEqual(JsonValueKind.Null, JsonDocument.Parse(await archived.Content.ReadAsStringAsync()).RootElement.GetProperty("archivedAt").ValueKind);
    }

    [Fact]
    public async Task Cache_entries_expire_after_their_time_to_live()
    {
        var redis = await TestRedis.SharedAsync();
        var prefix = Unique();
        await using var app = await TestApp.StartAsync(await TestPostgres.CreateDatabaseAsync("redis-ttl"), RedisSettings(redis, prefix));
        await using var raw = await RedisAdmin.ConnectAsync(redis);
        var cache = app.Services.GetRequiredService<ICache>();

        await cache.SetAsync("short", Bytes("x"), TimeSpan.FromSeconds(2), CancellationToken.None);

        var remaining = await raw.TimeToLiveMsAsync($"{prefix}cache:short");
        Assert.InRange(remaining, 1, 2000); // Redis expires it, not a timer of ours
        var watch = Stopwatch.StartNew();
        while (await cache.GetAsync("short", CancellationToken.None) is not null && watch.Elapsed < TimeSpan.FromSeconds(15))
        {
            await Task.Delay(100);
        }

        Assert.Null(await cache.GetAsync("short", CancellationToken.None));
    }

    [Fact]
    public async Task Rate_limit_counters_are_shared_by_two_instances()
    {
        var redis = await TestRedis.SharedAsync();
        var database = await TestPostgres.CreateDatabaseAsync("redis-ratelimit");
        var settings = RedisSettings(redis, prefix: Unique());
        await using var first = await TestApp.StartAsync(database, settings);
        await using var second = await TestApp.StartAsync(database, settings);
        var a = first.Services.GetRequiredService<IRateLimitCounters>();
        var b = second.Services.GetRequiredService<IRateLimitCounters>();
        Assert.IsType<RedisRateLimitCounters>(a);
        var window = TimeSpan.FromHours(1);

        var counts = new List<long>();
        for (var i = 0; i < 3; i++)
        {
            counts.Add((await a.IncrementAsync("ip:203.0.113.7", window, CancellationToken.None)).Count);
            counts.Add((await b.IncrementAsync("ip:203.0.113.7", window, CancellationToken.None)).Count);
        }

        Assert.Equal([1, 2, 3, 4, 5, 6], counts);
        var other = await b.IncrementAsync("ip:198.51.100.1", window, CancellationToken.None);
        Assert.Equal(1, other.Count);

        // Both instances agree on when the window ends: the clock-aligned hour.
        var resetA = (await a.IncrementAsync("ip:203.0.113.7", window, CancellationToken.None)).ResetAt;
        var resetB = (await b.IncrementAsync("ip:203.0.113.7", window, CancellationToken.None)).ResetAt;
        Assert.Equal(resetA, resetB);
        Assert.Equal(0, resetA.UtcTicks % window.Ticks);

        // Many concurrent increments from both instances lose none.
        await Task.WhenAll(Enumerable.Range(0, 200).Select(i => (i % 2 == 0 ? a : b).IncrementAsync("burst", window, CancellationToken.None)));
        Assert.Equal(201, (await a.IncrementAsync("burst", window, CancellationToken.None)).Count);
    }

    [Fact]
    public async Task Readiness_names_redis_when_it_is_configured()
    {
        var redis = await TestRedis.SharedAsync();
        await using var app = await TestApp.StartAsync(await TestPostgres.CreateDatabaseAsync("redis-ready"), RedisSettings(redis, prefix: Unique()));

        var (status, body) = await WaitForReadinessAsync(app, "Healthy", TimeSpan.FromSeconds(15));

        Assert.Equal(HttpStatusCode.OK, status);
        var check = body.GetProperty("checks").GetProperty("redis");
        Assert.Equal("Healthy", check.GetProperty("status").GetString());
        Assert.Contains($"Redis at 127.0.0.1:{redis.Port}", check.GetProperty("description").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task With_redis_stopped_the_service_keeps_answering_degraded_and_recovers_when_it_returns()
    {
        await using var redis = await TestRedis.StartAsync("outage"); // our own: this test stops it
        var database = await TestPostgres.CreateDatabaseAsync("redis-outage");
        await using var app = await TestApp.StartAsync(database, RedisSettings(redis, prefix: "outage:"));
        var cache = app.Services.GetRequiredService<ICache>();
        var counters = app.Services.GetRequiredService<IRateLimitCounters>();
        await WaitForReadinessAsync(app, "Healthy", TimeSpan.FromSeconds(15));
        await cache.SetAsync("k", Bytes("before"), Ttl, CancellationToken.None);
        Assert.Equal("before", Text(await cache.GetAsync("k", CancellationToken.None)));
        Assert.Equal(1, (await counters.IncrementAsync("client", TimeSpan.FromHours(1), CancellationToken.None)).Count);

        redis.Stop();

        var (status, body) = await WaitForReadinessAsync(app, "Degraded", TimeSpan.FromSeconds(15));
        Assert.Equal(HttpStatusCode.OK, status);
        var check = body.GetProperty("checks").GetProperty("redis");
        Assert.Equal("Degraded", check.GetProperty("status").GetString());
        Assert.Contains("Redis", check.GetProperty("description").GetString(), StringComparison.Ordinal);
        Assert.Equal("Healthy", body.GetProperty("checks").GetProperty("database").GetProperty("status").GetString());

        // Requests are still answered: the cache is a miss, counting goes on in-process. With the
        // connection known to be down, no operation waits for Redis's timeout (not timed here: a
        // hung Redis, where the timeout is what ends the wait, has a test of its own).
        Assert.False(app.Services.GetRequiredService<RedisConnection>().IsConnected);
        using (var health = await app.Client.GetAsync("/health"))
        {
            Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        }

        Assert.Null(await cache.GetAsync("k", CancellationToken.None));
        await cache.SetAsync("k", Bytes("during"), Ttl, CancellationToken.None);
        await cache.RemoveAsync("k", CancellationToken.None);
        var fallback = new List<long>();
        for (var i = 0; i < 3; i++)
        {
            fallback.Add((await counters.IncrementAsync("client", TimeSpan.FromHours(1), CancellationToken.None)).Count);
        }

        Assert.Equal([1, 2, 3], fallback);

        await redis.StartAsync(TimeSpan.FromSeconds(30)); // same port, empty

        (status, body) = await WaitForReadinessAsync(app, "Healthy", TimeSpan.FromSeconds(30));
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("Healthy", body.GetProperty("checks").GetProperty("redis").GetProperty("status").GetString());
        await cache.SetAsync("k", Bytes("after"), Ttl, CancellationToken.None);
        Assert.Equal("after", Text(await cache.GetAsync("k", CancellationToken.None)));
        Assert.Equal(1, (await counters.IncrementAsync("client-after", TimeSpan.FromHours(1), CancellationToken.None)).Count);
    }

    [Fact]
    public async Task Through_the_api_with_redis_stopped_projects_are_served_from_the_database_and_rate_limits_count_in_process()
    {
        await using var redis = await TestRedis.StartAsync("api-outage"); // our own: this test stops it
        var settings = TestAuth.Settings(("RateLimits:Enabled", "true"), ("RateLimits:PerUser", "4"));
        foreach (var (key, value) in RedisSettings(redis, prefix: "api:"))
        {
            settings[key] = value;
        }

        await using var app = await TestApp.StartAsync(await TestPostgres.CreateDatabaseAsync("redis-api-outage"), settings);
        await using var raw = await RedisAdmin.ConnectAsync(redis);
        await WaitForReadinessAsync(app, "Healthy", TimeSpan.FromSeconds(15));
        using var create = await app.Client.SendAsync(TestAuth.Request(HttpMethod.Post, "/projects", "olga", """{"name": "Outage", "description": "v1"}"""));
        Assert.Equal(HttpStatusCode.Created, create.StatusCode);
        var id = JsonDocument.Parse(await create.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString()!;
        using (var cached = await app.Client.SendAsync(TestAuth.Request(HttpMethod.Get, $"/projects/{id}", "olga")))
        {
            Assert.Equal(HttpStatusCode.OK, cached.StatusCode);
            Assert.Equal("2", cached.Headers.GetValues("RateLimit-Remaining").Single()); // counted in Redis: 2 of 4
        }

        Assert.Contains("v1", await raw.GetAsync($"api:cache:project:v1:{Guid.Parse(id):N}"), StringComparison.Ordinal);

        redis.Stop();
        await WaitForReadinessAsync(app, "Degraded", TimeSpan.FromSeconds(15));

        // A write and the reads after it are answered from the database, and each is counted in this instance.
        var remaining = new List<string>();
        using (var write = await app.Client.SendAsync(TestAuth.Request(HttpMethod.Patch, $"/projects/{id}", "olga", """{"description": "v2"}""")))
        {
            Assert.Equal(HttpStatusCode.OK, write.StatusCode);
            remaining.Add(write.Headers.GetValues("RateLimit-Remaining").Single());
        }

        for (var i = 0; i < 3; i++)
        {
            using var read = await app.Client.SendAsync(TestAuth.Request(HttpMethod.Get, $"/projects/{id}", "olga"));
            Assert.Equal(HttpStatusCode.OK, read.StatusCode);
            Assert.Equal("v2", JsonDocument.Parse(await read.Content.ReadAsStringAsync()).RootElement.GetProperty("description").GetString());
            remaining.Add(read.Headers.GetValues("RateLimit-Remaining").Single());
        }

        Assert.Equal(["3", "2", "1", "0"], remaining); // a fresh in-process window: the limit still holds per instance
        using (var limited = await app.Client.SendAsync(TestAuth.Request(HttpMethod.Get, $"/projects/{id}", "olga")))
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
            Assert.Equal("application/problem+json", limited.Content.Headers.ContentType?.MediaType);
        }

        await redis.StartAsync(TimeSpan.FromSeconds(30)); // same port, empty: the shared count starts again
        await WaitForReadinessAsync(app, "Healthy", TimeSpan.FromSeconds(30));
        using var after = await app.Client.SendAsync(TestAuth.Request(HttpMethod.Get, $"/projects/{id}", "olga"));
        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
        Assert.Equal("3", after.Headers.GetValues("RateLimit-Remaining").Single());
        Assert.Equal("v2", JsonDocument.Parse(await after.Content.ReadAsStringAsync()).RootElement.GetProperty("description").GetString());

        // The cache is in use again (a read may first wait for the outage's missed removal to be replayed).
        await using var rawAfter = await RedisAdmin.ConnectAsync(redis);
        string? entry = null;
        for (var i = 0; i < 3 && entry is null; i++)
        {
            using var read = await app.Client.SendAsync(TestAuth.Request(HttpMethod.Get, $"/projects/{id}", "olga"));
            Assert.Equal(HttpStatusCode.OK, read.StatusCode);
            await Task.Delay(200);
            entry = await rawAfter.GetAsync($"api:cache:project:v1:{Guid.Parse(id):N}");
        }

        Assert.Contains("v2", entry, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Two_instances_behind_one_redis_enforce_one_rate_limit_over_http()
    {
        var redis = await TestRedis.SharedAsync();
        var settings = TestAuth.Settings(("RateLimits:Enabled", "true"), ("RateLimits:PerUser", "3"));
        foreach (var (key, value) in RedisSettings(redis, prefix: Unique()))
        {
            settings[key] = value;
        }

        var database = await TestPostgres.CreateDatabaseAsync("redis-ratelimit-http");
        await using var a = await TestApp.StartAsync(database, settings);
        await using var b = await TestApp.StartAsync(database, settings);

        var statuses = new List<HttpStatusCode>();
        foreach (var app in new[] { a, b, a, b })
        {
            using var response = await app.Client.SendAsync(TestAuth.Request(HttpMethod.Get, "/projects", "pia"));
            statuses.Add(response.StatusCode);
        }

        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests], statuses);
    }

    [Fact]
    public async Task A_hung_redis_times_out_each_operation_and_the_service_falls_back_until_it_answers_again()
    {
        await using var redis = await TestRedis.StartAsync("hung"); // our own: this test freezes it
        var settings = RedisSettings(redis, prefix: "hung:");
        settings["Redis:OperationTimeoutMs"] = "2000";
        await using var app = await TestApp.StartAsync(await TestPostgres.CreateDatabaseAsync("redis-hung"), settings);
        await using var raw = await RedisAdmin.ConnectAsync(redis);
        var cache = app.Services.GetRequiredService<ICache>();
        var counters = app.Services.GetRequiredService<IRateLimitCounters>();
        await WaitForReadinessAsync(app, "Healthy", TimeSpan.FromSeconds(15));
        await cache.SetAsync("k", Bytes("kept"), Ttl, CancellationToken.None);
        Assert.Equal(1, (await counters.IncrementAsync("client", TimeSpan.FromHours(1), CancellationToken.None)).Count);
        Assert.Equal("kept", await raw.GetAsync("hung:cache:k"));
        Assert.Equal(2, await raw.Primaries[0].DatabaseSizeAsync()); // both went to Redis: the entry and the counter

        redis.Pause(); // the connection stays open; nothing answers
        try
        {
            Assert.Null(await cache.GetAsync("k", CancellationToken.None)); // given up after the operation timeout: a miss
            Assert.Equal(1, (await counters.IncrementAsync("client", TimeSpan.FromHours(1), CancellationToken.None)).Count); // in-process, not Redis's 2
            var (status, body) = await WaitForReadinessAsync(app, "Degraded", TimeSpan.FromSeconds(15));
            Assert.Equal(HttpStatusCode.OK, status);
            Assert.Contains($"Redis at 127.0.0.1:{redis.Port} is unreachable", body.GetProperty("checks").GetProperty("redis").GetProperty("description").GetString(), StringComparison.Ordinal);
        }
        finally
        {
            redis.Resume();
        }

        await WaitForReadinessAsync(app, "Healthy", TimeSpan.FromSeconds(30));
        var deadline = Stopwatch.StartNew();
        byte[]? value;
        while ((value = await cache.GetAsync("k", CancellationToken.None)) is null && deadline.Elapsed < TimeSpan.FromSeconds(15))
        {
            await Task.Delay(200); // until the connection the library gave up on is replaced
        }

        Assert.Equal("kept", Text(value)); // the entry was in Redis all along

        // Redis's count again, not the in-process one: the increment given up on during the freeze
        // was already on its way, so Redis may have applied it once it woke (2 before this one, or 1).
        var count = (await counters.IncrementAsync("client", TimeSpan.FromHours(1), CancellationToken.None)).Count;
        var counterKey = Assert.Single(Assert.Single((await raw.KeysByNodeAsync("hung:ratelimit:*")).Values));
        Assert.Equal(count.ToString(System.Globalization.CultureInfo.InvariantCulture), await raw.GetAsync(counterKey));
        Assert.InRange(count, 2, 3);
    }

    [Fact]
    public async Task A_service_started_while_redis_is_down_starts_degraded_and_shares_once_redis_arrives()
    {
        await using var redis = await TestRedis.StartAsync("late");
        redis.Stop(); // the port is known, nothing listens on it yet
        var settings = RedisSettings(redis, prefix: "late:");
        settings["Redis:ConnectTimeoutMs"] = "500";
        await using var app = await TestApp.StartAsync(await TestPostgres.CreateDatabaseAsync("redis-late"), settings);
        var counters = app.Services.GetRequiredService<IRateLimitCounters>();

        var (status, _) = await WaitForReadinessAsync(app, "Degraded", TimeSpan.FromSeconds(15));
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(1, (await counters.IncrementAsync("client", TimeSpan.FromHours(1), CancellationToken.None)).Count);
        Assert.Equal(2, (await counters.IncrementAsync("client", TimeSpan.FromHours(1), CancellationToken.None)).Count);

        await redis.StartAsync(TimeSpan.FromSeconds(30));

        await WaitForReadinessAsync(app, "Healthy", TimeSpan.FromSeconds(30));
        Assert.Equal(1, (await counters.IncrementAsync("client", TimeSpan.FromHours(1), CancellationToken.None)).Count); // Redis's count, from scratch
        await using var raw = await RedisAdmin.ConnectAsync(redis);
        Assert.Equal(1, await raw.Primaries[0].DatabaseSizeAsync());
    }

    [Fact]
    public async Task An_invalidation_missed_while_redis_was_unreachable_is_replayed_so_no_instance_reads_the_old_entry()
    {
        await using var redis = await TestRedis.StartAsync("partition"); // our own: this test locks clients out
        var database = await TestPostgres.CreateDatabaseAsync("redis-partition");
        var settings = RedisSettings(redis, prefix: "partition:");
        await using var writer = await TestApp.StartAsync(database, settings);
        await using var reader = await TestApp.StartAsync(database, settings);
        var writerCache = writer.Services.GetRequiredService<ICache>();
        var readerCache = reader.Services.GetRequiredService<ICache>();
        await writerCache.SetAsync("project:7", Bytes("old"), Ttl, CancellationToken.None);
        Assert.Equal("old", Text(await readerCache.GetAsync("project:7", CancellationToken.None)));

        // A partition that keeps Redis's data: every client is cut off and cannot get back in.
        await using var admin = await RedisAdmin.ConnectAsync(redis);
        await admin.OnEveryNodeAsync("CONFIG", "SET", "requirepass", "locked-out");
        await admin.OnEveryNodeAsync("CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes");
        await WaitForReadinessAsync(writer, "Degraded", TimeSpan.FromSeconds(15));

        await writerCache.RemoveAsync("project:7", CancellationToken.None); // the write's invalidation cannot reach Redis
        Assert.Equal("old", await admin.GetAsync("partition:cache:project:7")); // so the old entry is still there

        await admin.OnEveryNodeAsync("CONFIG", "SET", "requirepass", "");
        await WaitForReadinessAsync(writer, "Healthy", TimeSpan.FromSeconds(30));

        // The writer never served the entry it failed to remove, and replays the removal once Redis is back.
        Assert.Null(await writerCache.GetAsync("project:7", CancellationToken.None));
        var deadline = Stopwatch.StartNew();
        string? inRedis;
        do
        {
            await Task.Delay(100);
            inRedis = await admin.GetAsync("partition:cache:project:7");
        }
        while (inRedis is not null && deadline.Elapsed < TimeSpan.FromSeconds(15));

        Assert.Null(inRedis);
        await WaitForReadinessAsync(reader, "Healthy", TimeSpan.FromSeconds(30));
        Assert.Null(await readerCache.GetAsync("project:7", CancellationToken.None));
    }

    private static Dictionary<string, string?> RedisSettings(ChildServer redis, string prefix) => RedisTesting.Settings(TestRedis.ConnectionString(redis), prefix);

    private static Task<(HttpStatusCode Status, JsonElement Body)> WaitForReadinessAsync(TestApp app, string expected, TimeSpan timeout) =>
        RedisTesting.WaitForReadinessAsync(app, expected, timeout);

    private static string Unique() => RedisTesting.Unique();

    private static byte[] Bytes(string text) => RedisTesting.Bytes(text);

    private static string? Text(byte[]? bytes) => RedisTesting.Text(bytes);
}
