using System.Net;
using System.Text;
using System.Text.Json;
using DevMentor.Core.Data;
using DevMentor.Core.Integrations.GitHub;
using DevMentor.Core.Tasks;
using DevMentor.Functions.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace DevMentor.Functions.Tests.Webhooks;

/// <summary>Per-project webhook secrets: set and rotated by maintainers, tried for hook URLs that name the project, stored encrypted.</summary>
public sealed class ProjectWebhookSecretTests
{
    private const string GitHubRepository = """{"provider":"github","fullName":"Codertocat/Hello-World","defaultBranch":"master"}""";

    // No global secret: only a project's own one can verify anything here.
    private static async Task<TestApp> StartAsync(string purpose, params (string Key, string? Value)[] settings) =>
        await TestApp.StartAsync(await TestPostgres.CreateDatabaseAsync(purpose), TestAuth.Settings(settings));

    private static async Task<Guid> CreateProjectAsync(TestApp app, string name, string repository, string user = "alice")
    {
        using var response = await app.Client.SendAsync(TestAuth.Request(HttpMethod.Post, "/projects", user, $$"""{"name":"{{name}}","repository":{{repository}}}"""));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, text);
        return JsonDocument.Parse(text).RootElement.GetProperty("id").GetGuid();
    }

    private static async Task<(string Secret, string HookUrl)> SetSecretAsync(TestApp app, Guid project, string? json = null, string user = "alice")
    {
        using var response = await app.Client.SendAsync(TestAuth.Request(HttpMethod.Post, $"/projects/{project}/webhook-secret", user, json));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        Assert.Equal("no-store", response.Headers.CacheControl?.ToString());
        var root = JsonDocument.Parse(text).RootElement;
        return (root.GetProperty("secret").GetString()!, root.GetProperty("hookUrl").GetString()!);
    }

    private static HttpRequestMessage Signed(string eventName, byte[] body, string secret, Guid? project, string? deliveryId = null)
    {
        var request = GitHubFixtures.Delivery(eventName, body, deliveryId, secret: secret);
        request.RequestUri = new Uri(project is null ? "/webhooks/github" : $"/webhooks/github?project={project}", UriKind.Relative);
        return request;
    }

    private static async Task<Guid?> VerifiedProjectAsync(TestApp app, string deliveryId)
    {
        await using var read = app.Services.GetRequiredService<Database>().DataSource.CreateCommand("SELECT project_id FROM webhook_deliveries WHERE delivery_id = $1");
        read.Parameters.AddWithValue(deliveryId);
        return await read.ExecuteScalarAsync() is Guid id ? id : null;
    }

    [Fact]
    public async Task A_delivery_signed_with_the_projects_generated_secret_is_accepted_on_its_hook_url()
    {
        await using var app = await StartAsync("secret_valid", ("Service:PublicBaseUrl", "https://devmentor.example/"));
        var project = await CreateProjectAsync(app, "secret-valid", GitHubRepository);
        var (secret, hookUrl) = await SetSecretAsync(app, project);
        var body = GitHubFixtures.Payload("issues.opened.payload.json");

        using var accepted = await app.Client.SendAsync(Signed("issues", body, secret, project, "own-1"));

        Assert.Equal($"https://devmentor.example/webhooks/github?project={project}", hookUrl);
        Assert.Equal(64, secret.Length);
        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        Assert.Equal(project, await VerifiedProjectAsync(app, "own-1"));
    }

    [Fact]
    public async Task A_wrong_secret_or_a_hook_url_without_the_project_is_401_and_a_malformed_project_is_400()
    {
        await using var app = await StartAsync("secret_invalid");
        var project = await CreateProjectAsync(app, "secret-invalid", GitHubRepository);
        var (secret, _) = await SetSecretAsync(app, project);
        var body = GitHubFixtures.Payload("issues.opened.payload.json");

        using var wrong = await app.Client.SendAsync(Signed("issues", body, "not-the-project-secret", project));
        using var noProject = await app.Client.SendAsync(Signed("issues", body, secret, null));
        using var otherProject = await app.Client.SendAsync(Signed("issues", body, secret, Guid.NewGuid()));
        using var malformed = await app.Client.SendAsync(Signed("issues", body, secret, null).WithUri("/webhooks/github?project=not-a-uuid"));

        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, noProject.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, otherProject.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, malformed.StatusCode);
        Assert.Equal("application/problem+json", malformed.Content.Headers.ContentType?.MediaType);
        await using var count = app.Services.GetRequiredService<Database>().DataSource.CreateCommand("SELECT count(*) FROM webhook_deliveries");
        Assert.Equal(0L, await count.ExecuteScalarAsync());
    }

    [Fact]
    public async Task After_rotation_the_old_secret_is_refused_and_the_new_one_accepted()
    {
        await using var app = await StartAsync("secret_rotated");
        var project = await CreateProjectAsync(app, "secret-rotated", GitHubRepository);
        var (old, _) = await SetSecretAsync(app, project);
        var (rotated, _) = await SetSecretAsync(app, project);
        var body = GitHubFixtures.Payload("issues.opened.payload.json");

        using var withOld = await app.Client.SendAsync(Signed("issues", body, old, project));
        using var withNew = await app.Client.SendAsync(Signed("issues", body, rotated, project));
        using var status = await app.Client.SendAsync(TestAuth.Request(HttpMethod.Get, $"/projects/{project}/webhook-secret", "alice"));
        var statusText = await status.Content.ReadAsStringAsync();

        Assert.NotEqual(old, rotated);
        Assert.Equal(HttpStatusCode.Unauthorized, withOld.StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, withNew.StatusCode);
        Assert.Equal(HttpStatusCode.OK, status.StatusCode);
        var root = JsonDocument.Parse(statusText).RootElement;
        Assert.True(root.GetProperty("configured").GetBoolean());
        Assert.Equal(JsonValueKind.String, root.GetProperty("rotatedAt").ValueKind);
        Assert.DoesNotContain(rotated, statusText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_secret_is_stored_encrypted_and_never_shown_again()
    {
        await using var app = await StartAsync("secret_at_rest");
        var project = await CreateProjectAsync(app, "secret-at-rest", GitHubRepository);
        var (secret, _) = await SetSecretAsync(app, project, """{"secret":"a-maintainer-chosen-secret"}""");

        await using var stored = app.Services.GetRequiredService<Database>().DataSource.CreateCommand("SELECT secret FROM project_webhook_secrets WHERE project_id = $1");
        stored.Parameters.AddWithValue(project);
        var bytes = (byte[])(await stored.ExecuteScalarAsync())!;
        using var get = await app.Client.SendAsync(TestAuth.Request(HttpMethod.Get, $"/projects/{project}", "alice"));

        Assert.Equal("a-maintainer-chosen-secret", secret);
        Assert.DoesNotContain(secret, Encoding.UTF8.GetString(bytes), StringComparison.Ordinal);
        Assert.DoesNotContain(secret, await get.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Only_maintainers_set_secrets_and_bad_secrets_are_400()
    {
        await using var app = await StartAsync("secret_access");
        var project = await CreateProjectAsync(app, "secret-access", GitHubRepository);
        var plain = await CreateProjectAsync(app, "secret-plain-git", """{"provider":"git","cloneUrl":"https://example.com/x.git"}""");

        using var stranger = await app.Client.SendAsync(TestAuth.Request(HttpMethod.Post, $"/projects/{project}/webhook-secret", "mallory"));
        using var tooShort = await app.Client.SendAsync(TestAuth.Request(HttpMethod.Post, $"/projects/{project}/webhook-secret", "alice", """{"secret":"short"}"""));
        using var notString = await app.Client.SendAsync(TestAuth.Request(HttpMethod.Post, $"/projects/{project}/webhook-secret", "alice", """{"secret":42}"""));
        using var noHost = await app.Client.SendAsync(TestAuth.Request(HttpMethod.Post, $"/projects/{plain}/webhook-secret", "alice"));

        Assert.Equal(HttpStatusCode.NotFound, stranger.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, tooShort.StatusCode);
        Assert.Contains("\"secret\"", await tooShort.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, notString.StatusCode);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, noHost.StatusCode);
    }

    private static readonly TaskListQuery AllTasks = new(50, null, null, null, null, null);

    [Fact]
    public async Task A_delivery_verified_by_one_projects_secret_acts_on_that_project_only()
    {
        await using var app = await StartAsync("secret_scope", ("GitHub:WebhookSecret", GitHubFixtures.Secret));
        var mine = await CreateProjectAsync(app, "scope-mine", GitHubRepository);
        var theirs = await CreateProjectAsync(app, "scope-theirs", GitHubRepository, user: "bob");
        var (secret, _) = await SetSecretAsync(app, mine);
        var tasks = app.Services.GetRequiredService<ProjectTaskStore>();

        // Both projects track the repository the payload names; only the global secret speaks for both.
        using var own = await app.Client.SendAsync(Signed("issues", GitHubFixtures.Payload("issues.opened.payload.json"), secret, mine, "scoped"));
        await WaitProcessedAsync(app, "scoped");
        Assert.Single((await tasks.ListAsync(mine, AllTasks, CancellationToken.None)).Items);
        Assert.Empty((await tasks.ListAsync(theirs, AllTasks, CancellationToken.None)).Items);

        using var global = await app.Client.SendAsync(Signed("issues", GitHubFixtures.Payload("issues.opened.payload.json"), GitHubFixtures.Secret, null, "global"));
        await WaitProcessedAsync(app, "global");
        Assert.Single((await tasks.ListAsync(theirs, AllTasks, CancellationToken.None)).Items);
        Assert.Null(await VerifiedProjectAsync(app, "global"));
    }

    [Theory]
    [InlineData("gitlab-project-token-0001", HttpStatusCode.Accepted)]
    [InlineData("gitlab-project-token-0002", HttpStatusCode.Unauthorized)]
    public async Task Gitlab_hooks_use_the_projects_own_token(string presented, HttpStatusCode expected)
    {
        await using var app = await StartAsync("secret_gitlab_" + presented[^1]);
        var project = await CreateProjectAsync(app, "secret-gitlab", """{"provider":"gitlab","fullName":"mike/diaspora"}""");
        var (_, hookUrl) = await SetSecretAsync(app, project, """{"secret":"gitlab-project-token-0001"}""");

        using var request = GitLabWebhookIntakeTests.Delivery("Push Hook", GitLabWebhookIntakeTests.PushPayload, presented);
        request.RequestUri = new Uri(new Uri(hookUrl).PathAndQuery, UriKind.Relative);
        using var response = await app.Client.SendAsync(request);

        Assert.EndsWith($"/webhooks/gitlab?project={project}", hookUrl, StringComparison.Ordinal);
        Assert.Equal(expected, response.StatusCode);
    }

    private static async Task WaitProcessedAsync(TestApp app, string deliveryId)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            await using var status = app.Services.GetRequiredService<Database>().DataSource.CreateCommand("SELECT status FROM webhook_deliveries WHERE delivery_id = $1");
            status.Parameters.AddWithValue(deliveryId);
            if (await status.ExecuteScalarAsync() is string s && s is not ("received" or "processing"))
            {
                return;
            }

            Assert.True(DateTime.UtcNow < deadline, $"delivery {deliveryId} was not processed in time");
            await Task.Delay(50);
        }
    }
}

internal static class RequestExtensions
{
    public static HttpRequestMessage WithUri(this HttpRequestMessage request, string uri)
    {
        request.RequestUri = new Uri(uri, UriKind.Relative);
        return request;
    }
}
