using System.Net;
using DevMentor.Core.Security;
using DevMentor.Functions.Tests.Infrastructure;
using DevMentor.Functions.Tests.Projects;
using Microsoft.Extensions.DependencyInjection;

namespace DevMentor.Functions.Tests.Security;

/// <summary>
/// Validated API keys are cached on every instance; a revocation on one instance is effective
/// there at once and on every other within <see cref="ApiKeyStore.CacheLifetime"/> (1 s). The
/// instances' clock is a hand-moved one, so what the test shows does not depend on how fast it runs.
/// </summary>
public sealed class ApiKeyCacheTests
{
    private const string AdminKey = "api-key-cache-bootstrap-admin-key-0123";

    [Fact]
    public async Task A_key_revoked_on_one_instance_stops_working_on_another_sharing_the_database_within_one_second()
    {
        var database = await TestPostgres.CreateDatabaseAsync("apikeycache");
        var clock = new HandMovedClock();
        await using var a = await TestApp.StartAsync(database, TestAuth.Settings(("Auth:BootstrapApiKey", AdminKey)), b => b.Services.AddSingleton<TimeProvider>(clock));
        await using var b = await TestApp.StartAsync(database, TestAuth.Settings(("Auth:BootstrapApiKey", AdminKey)), b => b.Services.AddSingleton<TimeProvider>(clock));

        using var create = await a.Client.SendAsync(WithKey(HttpMethod.Post, "/apikeys", AdminKey, """{"name": "cached", "userId": "cache-user"}"""));
        Assert.Equal(HttpStatusCode.Created, create.StatusCode);
        var created = await ProjectsApi.JsonAsync(create);
        var (key, id) = (created.GetProperty("key").GetString()!, created.GetProperty("id").GetString()!);

        // Both instances validate the key (and remember it).
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(a, key));
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(b, key));

        using var revoke = await a.Client.SendAsync(WithKey(HttpMethod.Delete, $"/apikeys/{id}", AdminKey));
        Assert.True(revoke.IsSuccessStatusCode, $"{(int)revoke.StatusCode}");

        // The instance that revoked forgets the key at once.
        Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync(a, key));
        // The other trusts what it validated for less than a second: no query per request...
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(b, key));
        clock.Advance(TimeSpan.FromMilliseconds(900));
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(b, key));
        // ...and asks the database again once a second has passed since it last did.
        clock.Advance(TimeSpan.FromMilliseconds(100));
        Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync(b, key));
        Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync(a, key));

        // A key created on one instance works on the other at once: unknown keys are never remembered.
        Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync(b, "dmk_00000000_not-a-key-yet"));
        using var second = await a.Client.SendAsync(WithKey(HttpMethod.Post, "/apikeys", AdminKey, """{"name": "fresh", "userId": "cache-user"}"""));
        var fresh = (await ProjectsApi.JsonAsync(second)).GetProperty("key").GetString()!;
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(b, fresh));
    }

    private static async Task<HttpStatusCode> StatusAsync(TestApp app, string key)
    {
        using var response = await app.Client.SendAsync(WithKey(HttpMethod.Get, "/projects", key));
        return response.StatusCode;
    }

    private static HttpRequestMessage WithKey(HttpMethod method, string url, string key, string? json = null)
    {
        var request = new HttpRequestMessage(method, url);
        if (json is not null)
        {
            request.Content = new StringContent(json, System.Text.Encoding.UTF8, "application/json");
        }

        request.Headers.Add("X-Api-Key", key);
        return request;
    }

    /// <summary>Timestamps move only when the test says so; wall-clock time and timers are the system's.</summary>
    private sealed class HandMovedClock : TimeProvider
    {
        private long _ticks = TimeSpan.TicksPerDay;

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp() => Interlocked.Read(ref _ticks);

        public void Advance(TimeSpan by) => Interlocked.Add(ref _ticks, by.Ticks);
    }
}
