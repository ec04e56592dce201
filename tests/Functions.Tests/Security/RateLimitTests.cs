using System.Net;
using DevMentor.Functions.Tests.Infrastructure;
using DevMentor.Functions.Tests.Projects;

namespace DevMentor.Functions.Tests.Security;

public sealed class RateLimitTests
{
    [Fact]
    public async Task Over_the_limit_answers_429_with_retry_after_and_every_answer_carries_ratelimit_headers()
    {
        await using var app = await TestApp.StartAsync(await TestPostgres.CreateDatabaseAsync("ratelimit"), TestAuth.Settings(
            ("RateLimits:Enabled", "true"), ("RateLimits:PerUser", "3"), ("RateLimits:PerIp", "2"), ("RateLimits:PerApiKey", "50")));

        var remaining = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            using var ok = await app.Client.SendAsync(TestAuth.Request(HttpMethod.Get, "/projects", "yara"));
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
            Assert.Equal("3", ok.Headers.GetValues("RateLimit-Limit").Single());
            remaining.Add(ok.Headers.GetValues("RateLimit-Remaining").Single());
        }

        using var limited = await app.Client.SendAsync(TestAuth.Request(HttpMethod.Get, "/projects", "yara"));
        var problem = await ProjectsApi.JsonAsync(limited);
        var retryAfter = int.Parse(limited.Headers.GetValues("Retry-After").Single(), System.Globalization.CultureInfo.InvariantCulture);
        var reset = int.Parse(limited.Headers.GetValues("RateLimit-Reset").Single(), System.Globalization.CultureInfo.InvariantCulture);

        Assert.Equal(["2", "1", "0"], remaining);
        Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
        Assert.Equal("https://devmentor.dev/problems/too-many-requests", problem.GetProperty("type").GetString());
        Assert.InRange(retryAfter, 1, 3600);
        Assert.Equal(retryAfter, reset);
        Assert.Equal("0", limited.Headers.GetValues("RateLimit-Remaining").Single());

        // Each user has a budget of their own; anonymous callers are counted per IP with theirs.
        using var otherUser = await app.Client.SendAsync(TestAuth.Request(HttpMethod.Get, "/projects", "zack"));
        Assert.Equal(HttpStatusCode.OK, otherUser.StatusCode);
        using var anonymous1 = await app.Client.GetAsync("/projects");
        using var anonymous2 = await app.Client.GetAsync("/projects");
        using var anonymous3 = await app.Client.GetAsync("/projects");
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous1.StatusCode);
        Assert.Equal("2", anonymous1.Headers.GetValues("RateLimit-Limit").Single());
        Assert.Equal(HttpStatusCode.TooManyRequests, anonymous3.StatusCode);

        // Probes are never throttled.
        using var health = await app.Client.GetAsync("/health");
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
    }
}
