using System.Net;
using System.Net.Http.Headers;
using DevMentor.Functions.Tests.Infrastructure;
using DevMentor.Functions.Tests.Projects;

namespace DevMentor.Functions.Tests.Security;

public sealed class JwtAuthenticationTests(ProjectsApi api) : IClassFixture<ProjectsApi>
{
    public static TheoryData<string, int> Tokens => new()
    {
        { "valid", 200 },
        { "expired", 401 },
        { "wrong-issuer", 401 },
        { "wrong-audience", 401 },
        { "bad-signature", 401 },
        { "unsigned", 401 },
        { "garbage", 401 },
        { "admin", 200 },
    };

    [Theory]
    [MemberData(nameof(Tokens))]
    public async Task Hs256_tokens_are_checked_for_signature_lifetime_issuer_and_audience(string kind, int expected)
    {
        var token = kind switch
        {
            "valid" => TestAuth.Token("xena"),
            "admin" => TestAuth.Token("xena", admin: true),
            "expired" => TestAuth.Token("xena", expires: DateTime.UtcNow.AddMinutes(-10)),
            "wrong-issuer" => TestAuth.Token("xena", issuer: "someone-else"),
            "wrong-audience" => TestAuth.Token("xena", audience: "another-service"),
            "bad-signature" => TestAuth.Token("xena", signingKey: "another-signing-key-0123456789abcdef-0123"),
            // {"alg":"none"} . {"sub":"xena","iss":"devmentor-auth","aud":"devmentor","exp":4102444800} .
            "unsigned" => "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJzdWIiOiJ4ZW5hIiwiaXNzIjoiZGV2bWVudG9yLWF1dGgiLCJhdWQiOiJkZXZtZW50b3IiLCJleHAiOjQxMDI0NDQ4MDB9.",
            _ => "not-a-jwt",
        };
        using var request = new HttpRequestMessage(HttpMethod.Get, "/projects/list");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);

        using var response = await api.App.Client.SendAsync(request);

        Assert.Equal(expected, (int)response.StatusCode);
        if (expected == 401)
        {
            Assert.Equal("https://devmentor.dev/problems/unauthorized", (await ProjectsApi.JsonAsync(response)).GetProperty("type").GetString());
            Assert.Contains(response.Headers.WwwAuthenticate, h => h.Scheme == "Bearer");
        }
    }

    [Fact]
    public async Task Health_and_unknown_routes_need_no_credentials_everything_else_does()
    {
        using var health = await api.App.Client.GetAsync("/health");
        using var ready = await api.App.Client.GetAsync("/health/ready");
        using var openapi = await api.App.Client.GetAsync("/openapi/v1.json");
        using var metrics = await api.App.Client.GetAsync("/metrics");
        using var openapiSignedIn = await api.SendAsync(HttpMethod.Get, "/openapi/v1.json", "xena");
        using var projects = await api.App.Client.GetAsync("/projects");
        using var unknown = await api.App.Client.GetAsync("/no/such/route");
        using var wrongMethod = await api.App.Client.PutAsync("/projects/list", null);

        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, openapi.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, metrics.StatusCode);
        Assert.Equal(HttpStatusCode.OK, openapiSignedIn.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, projects.StatusCode);
        // What matches no function is answered honestly, credentials or not.
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal(HttpStatusCode.MethodNotAllowed, wrongMethod.StatusCode);
    }
}
