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
        Assert.False(response.Headers.Contains("Access-Control-Allow-Credentials"));

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
        var exposed = answer.Headers.GetValues("Access-Control-Expose-Headers").Single();
        Assert.All(new[] { "ETag", "Location", "Retry-After", "RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset" },
            header => Assert.Contains(header, exposed, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Origins_and_credentials_come_from_the_host_section_of_local_settings_json()
    {
        var directory = Directory.CreateTempSubdirectory("cors-local-").FullName;
        await File.WriteAllTextAsync(Path.Combine(directory, "local.settings.json"), """
            {
              "IsEncrypted": false,
              "Values": { "FUNCTIONS_WORKER_RUNTIME": "custom" },
              "Host": { "LocalHttpPort": 7071, "CORS": "https://from-file.example", "CORSCredentials": true }
            }
            """);
        await using var app = await TestApp.StartAsync(await TestPostgres.CreateDatabaseAsync("corsfile"), TestAuth.Settings(), contentRoot: directory);

        using var preflight = new HttpRequestMessage(HttpMethod.Options, "/projects/00000000-0000-0000-0000-000000000001");
        preflight.Headers.Add("Origin", "https://from-file.example");
        preflight.Headers.Add("Access-Control-Request-Method", "DELETE");
        preflight.Headers.Add("Access-Control-Request-Headers", "x-api-key");
        using var response = await app.Client.SendAsync(preflight);

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Equal("https://from-file.example", response.Headers.GetValues("Access-Control-Allow-Origin").Single());
        Assert.Equal("true", response.Headers.GetValues("Access-Control-Allow-Credentials").Single());
        Assert.Contains("DELETE", response.Headers.GetValues("Access-Control-Allow-Methods").Single(), StringComparison.Ordinal);
        Assert.Equal("3600", response.Headers.GetValues("Access-Control-Max-Age").Single());

        // An origin the file does not name gets no CORS headers (the browser then refuses the answer).
        using var other = new HttpRequestMessage(HttpMethod.Options, "/projects/list");
        other.Headers.Add("Origin", "https://app.example.com");
        other.Headers.Add("Access-Control-Request-Method", "GET");
        using var refused = await app.Client.SendAsync(other);
        Assert.False(refused.Headers.Contains("Access-Control-Allow-Origin"));
    }
}
