using System.Net;
using System.Text;
using System.Text.Json;
using DevMentor.Functions.Tests.Infrastructure;

namespace DevMentor.Functions.Tests.Health;

/// <summary>Errors the framework itself produces are problem+json too, with a stable type and the trace id.</summary>
public sealed class ProblemDetailsTests
{
    private static async Task AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status, string typeSuffix)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal((int)status, body.RootElement.GetProperty("status").GetInt32());
        Assert.Equal("https://devmentor.dev/problems/" + typeSuffix, body.RootElement.GetProperty("type").GetString());
        Assert.Matches("^[0-9a-f]{32}$", body.RootElement.GetProperty("traceId").GetString());
    }

    [Fact]
    public async Task Unknown_route_wrong_method_and_oversized_body_are_problems()
    {
        await using var app = await TestApp.StartAsync(await TestPostgres.CreateDatabaseAsync("problems"), new Dictionary<string, string?>
        {
            ["Limits:MaxRequestBodyBytes"] = "1024",
        });

        using (var unknown = await app.Client.GetAsync("/no/such/route"))
        {
            await AssertProblemAsync(unknown, HttpStatusCode.NotFound, "not-found");
        }

        using (var wrongMethod = await app.Client.DeleteAsync("/health"))
        {
            await AssertProblemAsync(wrongMethod, HttpStatusCode.MethodNotAllowed, "method-not-allowed");
        }

        using (var tooLarge = await app.Client.PostAsync("/projects", new StringContent(new string('x', 4096), Encoding.UTF8, "application/json")))
        {
            await AssertProblemAsync(tooLarge, HttpStatusCode.RequestEntityTooLarge, "payload-too-large");
        }
    }

    [Theory]
    [InlineData("text/html")]
    [InlineData("text/plain")]
    [InlineData("application/xml, text/html;q=0.9")]
    public async Task Errors_are_problem_json_whatever_the_client_accepts(string accept)
    {
        await using var app = await TestApp.StartAsync(await TestPostgres.CreateDatabaseAsync("problems_accept"));

        using var unknown = new HttpRequestMessage(HttpMethod.Get, "/no/such/route");
        unknown.Headers.TryAddWithoutValidation("Accept", accept);
        using (var response = await app.Client.SendAsync(unknown))
        {
            await AssertProblemAsync(response, HttpStatusCode.NotFound, "not-found");
        }

        using var wrongMethod = new HttpRequestMessage(HttpMethod.Put, "/health");
        wrongMethod.Headers.TryAddWithoutValidation("Accept", accept);
        using (var response = await app.Client.SendAsync(wrongMethod))
        {
            await AssertProblemAsync(response, HttpStatusCode.MethodNotAllowed, "method-not-allowed");
        }
    }

    [Fact]
    public async Task By_default_a_body_over_one_mebibyte_is_413_and_one_of_exactly_one_mebibyte_is_not()
    {
        await using var app = await TestApp.StartAsync(await TestPostgres.CreateDatabaseAsync("problems_default_limit"));

        using (var over = await app.Client.PostAsync("/projects", new ByteArrayContent(new byte[(1024 * 1024) + 1])))
        {
            await AssertProblemAsync(over, HttpStatusCode.RequestEntityTooLarge, "payload-too-large");
        }

        // At the limit the request goes on to the function (which wants a caller first).
        using var atLimit = await app.Client.PostAsync("/projects", new ByteArrayContent(new byte[1024 * 1024]));
        Assert.Equal(HttpStatusCode.Unauthorized, atLimit.StatusCode);
    }

    [Fact]
    public async Task A_chunked_body_over_the_limit_is_cut_off_by_the_real_server_with_413()
    {
        var workDir = Directory.CreateTempSubdirectory("chunked-").FullName;
        await using var service = ServiceProcess.Start(workDir, new Dictionary<string, string?>
        {
            ["ConnectionStrings__Postgres"] = await TestPostgres.CreateDatabaseAsync("chunked"),
            ["Limits__MaxRequestBodyBytes"] = "1024",
        });
        await service.WaitUntilHealthyAsync(TimeSpan.FromSeconds(60));

        // No Content-Length: the limit can only be enforced while reading (an anonymous function that reads its body).
        using var request = new HttpRequestMessage(HttpMethod.Post, "/runners/register")
        {
            Content = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes("{\"Data\":\"" + new string('x', 64 * 1024) + "\"}"))),
        };
        request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        request.Headers.TransferEncodingChunked = true;
        using var response = await service.Client.SendAsync(request);

        await AssertProblemAsync(response, HttpStatusCode.RequestEntityTooLarge, "payload-too-large");
    }

    [Fact]
    public async Task The_openapi_document_is_served()
    {
        await using var app = await TestApp.StartAsync(await TestPostgres.CreateDatabaseAsync("openapi"), OpenApiReader);

        using var response = await app.Client.SendAsync(OpenApiRequest("v1"));
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(document.RootElement.GetProperty("paths").TryGetProperty("/health/ready", out _));
    }

    [Fact]
    public async Task An_unknown_openapi_document_is_a_404_problem()
    {
        await using var app = await TestApp.StartAsync(await TestPostgres.CreateDatabaseAsync("openapi_unknown"), OpenApiReader);

        using var response = await app.Client.SendAsync(OpenApiRequest("v2"));

        await AssertProblemAsync(response, HttpStatusCode.NotFound, "not-found");
    }

    private const string OpenApiKey = "openapi-test-admin-key-0123456789";

    // The document needs a caller like every endpoint but /health* and the webhooks.
    private static readonly Dictionary<string, string?> OpenApiReader = new() { ["Auth:BootstrapApiKey"] = OpenApiKey };

    private static HttpRequestMessage OpenApiRequest(string document)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, $"/openapi/{document}.json");
        request.Headers.Add("X-Api-Key", OpenApiKey);
        return request;
    }
}
