using System.Net;
using DevMentor.Functions.Tests.Infrastructure;

namespace DevMentor.Functions.Tests.Security;

public sealed class CorsTests
{
    [Fact]
    public async Task Preflight_from_a_configured_origin_is_answered_without_credentials_and_cached()
    {
        await using var app = await TestApp.StartAsync(await TestPostgres.CreateDatabaseAsync("cors"), TestAuth.Settings(
            ("Host:CORS", "https://app.example.com, http://localhost:3000")));

        using var preflight = new HttpRequestMessage(HttpMethod.Options, "/projects/list");
        preflight.Headers.Add("Origin", "https://app.example.com");
        preflight.Headers.Add("Access-Control-Request-Method", "PATCH");
        preflight.Headers.Add("Access-Control-Request-Headers", "authorization, content-type, if-match");
        using var response = await app.Client.SendAsync(preflight);

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Equal("https://app.example.com", response.Headers.GetValues("Access-Control-Allow-Origin").Single());
        Assert.Contains("PATCH", response.Headers.GetValues("Access-Control-Allow-Methods").Single(), StringComparison.Ordinal);
        Assert.Equal("3600", response.Headers.GetValues("Access-Control-Max-Age").Single());

        using var foreign = new HttpRequestMessage(HttpMethod.Options, "/projects/list");
        foreign.Headers.Add("Origin", "https://evil.example.net");
        foreign.Headers.Add("Access-Control-Request-Method", "GET");
        using var refused = await app.Client.SendAsync(foreign);
        Assert.False(refused.Headers.Contains("Access-Control-Allow-Origin"));

        using var simple = TestAuth.Request(HttpMethod.Get, "/projects/list", "cora");
        simple.Headers.Add("Origin", "http://localhost:3000");
        using var answer = await app.Client.SendAsync(simple);
        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        Assert.Equal("http://localhost:3000", answer.Headers.GetValues("Access-Control-Allow-Origin").Single());
        Assert.Contains("ETag", answer.Headers.GetValues("Access-Control-Expose-Headers").Single(), StringComparison.Ordinal);
    }
}
