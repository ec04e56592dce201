using System.Net;
using System.Net.Http.Headers;
using System.Text;
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
    [Fact]
    public async Task By_default_api_keys_users_and_ips_have_10000_5000_and_1000_an_hour_and_every_kind_of_answer_carries_the_headers()
    {
        const string adminKey = "rate-limit-test-admin-key-0123456789";
        await using var app = await TestApp.StartAsync(await TestPostgres.CreateDatabaseAsync("ratelimitdefaults"), TestAuth.Settings(
            ("RateLimits:Enabled", null), ("Auth:BootstrapApiKey", adminKey), ("Limits:MaxRequestBodyBytes", "1024")));

        using var created = await app.Client.SendAsync(TestAuth.Request(HttpMethod.Post, "/projects", "rhea", """{"name": "Limited", "slug": "limited"}"""));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var etag = created.Headers.ETag!;

        HttpRequestMessage AsUser(HttpMethod method, string url, string? json = null) => TestAuth.Request(method, url, "rhea", json);
        var cases = new List<(string What, HttpRequestMessage Request, HttpStatusCode Status, string Limit)>
        {
            ("created", AsUser(HttpMethod.Post, "/projects", """{"name": "Second"}"""), HttpStatusCode.Created, "5000"),
            ("ok", AsUser(HttpMethod.Get, "/projects/limited"), HttpStatusCode.OK, "5000"),
            ("not modified", WithIfNoneMatch(AsUser(HttpMethod.Get, "/projects/limited"), etag), HttpStatusCode.NotModified, "5000"),
            ("no content", AsUser(HttpMethod.Delete, "/projects/limited"), HttpStatusCode.NoContent, "5000"),
            ("validation", AsUser(HttpMethod.Post, "/projects", """{"name": ""}"""), HttpStatusCode.BadRequest, "5000"),
            ("unknown project", AsUser(HttpMethod.Get, "/projects/no-such-project"), HttpStatusCode.NotFound, "5000"),
            ("unknown route", AsUser(HttpMethod.Get, "/no/such/route"), HttpStatusCode.NotFound, "5000"),
            ("wrong method", AsUser(HttpMethod.Put, "/projects/list"), HttpStatusCode.MethodNotAllowed, "5000"),
            ("conflict", AsUser(HttpMethod.Patch, "/projects/limited", """{"name": "archived now"}"""), HttpStatusCode.Conflict, "5000"),
            ("forbidden", AsUser(HttpMethod.Get, "/apikeys"), HttpStatusCode.Forbidden, "5000"),
            ("too large", AsUser(HttpMethod.Post, "/projects", "{\"name\": \"" + new string('x', 4096) + "\"}"), HttpStatusCode.RequestEntityTooLarge, "5000"),
            ("media type", WithContentType(AsUser(HttpMethod.Post, "/projects", "{}"), "text/plain"), HttpStatusCode.UnsupportedMediaType, "5000"),
            ("api key", WithApiKey(new HttpRequestMessage(HttpMethod.Get, "/apikeys"), adminKey), HttpStatusCode.OK, "10000"),
            ("bad api key", WithApiKey(new HttpRequestMessage(HttpMethod.Get, "/projects"), "dmk_00000000_unknown"), HttpStatusCode.Unauthorized, "1000"),
            ("anonymous", new HttpRequestMessage(HttpMethod.Get, "/projects"), HttpStatusCode.Unauthorized, "1000"),
        };

        foreach (var (what, request, status, limit) in cases)
        {
            using (request)
            using (var response = await app.Client.SendAsync(request))
            {
                Assert.True(status == response.StatusCode, $"{what}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
                Assert.True(response.Headers.TryGetValues("RateLimit-Limit", out var limits), $"{what}: no RateLimit-Limit");
                Assert.Equal(limit, limits.Single());
                var remaining = long.Parse(response.Headers.GetValues("RateLimit-Remaining").Single(), System.Globalization.CultureInfo.InvariantCulture);
                Assert.InRange(remaining, long.Parse(limit, System.Globalization.CultureInfo.InvariantCulture) - 20, long.Parse(limit, System.Globalization.CultureInfo.InvariantCulture) - 1);
                Assert.InRange(long.Parse(response.Headers.GetValues("RateLimit-Reset").Single(), System.Globalization.CultureInfo.InvariantCulture), 1, 3600);
            }
        }
    }

    private static HttpRequestMessage WithIfNoneMatch(HttpRequestMessage request, EntityTagHeaderValue etag)
    {
        request.Headers.IfNoneMatch.Add(etag);
        return request;
    }

    private static HttpRequestMessage WithContentType(HttpRequestMessage request, string contentType)
    {
        request.Content!.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        return request;
    }

    private static HttpRequestMessage WithApiKey(HttpRequestMessage request, string key)
    {
        request.Headers.Add("X-Api-Key", key);
        return request;
    }
}
