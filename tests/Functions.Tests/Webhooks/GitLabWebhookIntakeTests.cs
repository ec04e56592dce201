using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using DevMentor.Core.Data;
using DevMentor.Functions.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace DevMentor.Functions.Tests.Webhooks;

public sealed class GitLabWebhookIntakeTests
{
    private const string Token = "gitlab-hook-token";

    public const string PushPayload = """
        {"object_kind":"push","event_name":"push","before":"95790bf891e76fee5e1747ab589903a6a1f80f22",
         "after":"da1560886d4f094c3e6c9ef40349f7d38b5d27d7","ref":"refs/heads/main",
         "checkout_sha":"da1560886d4f094c3e6c9ef40349f7d38b5d27d7","user_username":"jsmith","project_id":15,
         "project":{"id":15,"name":"Diaspora","path_with_namespace":"mike/diaspora","default_branch":"main"},
         "commits":[{"id":"da1560886d4f094c3e6c9ef40349f7d38b5d27d7","message":"fixed readme","author":{"name":"GitLab dev","email":"gitlabdev@dv6700.(none)"},
                     "added":["CHANGELOG"],"modified":["app/controller/application.rb"],"removed":[]}],
         "total_commits_count":1}
        """;

    private static async Task<TestApp> StartAsync(string purpose) =>
        await TestApp.StartAsync(await TestPostgres.CreateDatabaseAsync(purpose), new Dictionary<string, string?> { ["GitLab:WebhookToken"] = Token });

    public static HttpRequestMessage Delivery(string eventName, string body, string? token = Token, string? uuid = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/webhooks/gitlab") { Content = new StringContent(body, Encoding.UTF8) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.Add("X-Gitlab-Event", eventName);
        request.Headers.Add("X-Gitlab-Event-UUID", uuid ?? Guid.NewGuid().ToString());
        if (token is not null)
        {
            request.Headers.Add("X-Gitlab-Token", token);
        }

        return request;
    }

    [Theory]
    [InlineData(Token, HttpStatusCode.Accepted)]
    [InlineData("gitlab-hook-tokeN", HttpStatusCode.Unauthorized)]
    [InlineData("", HttpStatusCode.Unauthorized)]
    [InlineData(null, HttpStatusCode.Unauthorized)]
    public async Task The_token_must_match(string? token, HttpStatusCode expected)
    {
        await using var app = await StartAsync("gl_token_" + (token?.Length ?? -1));

        using var response = await app.Client.SendAsync(Delivery("Push Hook", PushPayload, token));

        Assert.Equal(expected, response.StatusCode);
    }

    [Fact]
    public async Task Concurrent_copies_of_one_event_uuid_are_stored_once()
    {
        await using var app = await StartAsync("gl_dedupe");

        var responses = await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => app.Client.SendAsync(Delivery("Push Hook", PushPayload, uuid: "gitlab-event-1"))));
        var statuses = await Task.WhenAll(responses.Select(async r => JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement.GetProperty("status").GetString()));

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.Accepted, r.StatusCode));
        Assert.Single(statuses, s => s == "accepted");
        await using var count = app.Services.GetRequiredService<Database>().DataSource.CreateCommand("SELECT count(*) FROM webhook_deliveries WHERE provider = 'gitlab'");
        Assert.Equal(1L, await count.ExecuteScalarAsync());
    }

    [Fact]
    public async Task A_delivery_without_an_event_uuid_is_400()
    {
        await using var app = await StartAsync("gl_nouuid");
        using var request = Delivery("Push Hook", PushPayload);
        request.Headers.Remove("X-Gitlab-Event-UUID");

        using var response = await app.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("X-Gitlab-Event-UUID", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }
}
