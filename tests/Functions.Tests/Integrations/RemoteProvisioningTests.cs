using System.Net;
using System.Text.Json;
using DevMentor.Core.Data;
using DevMentor.Core.Integrations.GitHub;
using DevMentor.Functions.Tests.Infrastructure;
using DevMentor.Functions.Tests.Webhooks;
using Microsoft.Extensions.DependencyInjection;

namespace DevMentor.Functions.Tests.Integrations;

/// <summary>createRemote: the repository and its webhook created through a local fake of GitHub's API that records every call.</summary>
public sealed class RemoteProvisioningTests : IAsyncLifetime
{
    private FakeRepositoryHost _github = null!;
    private TestApp _app = null!;

    public async Task InitializeAsync()
    {
        _github = await FakeRepositoryHost.StartAsync();
        _github.Responses["/api/v3/user"] = (200, """{"login":"octo"}""");
        _github.Responses["/api/v3/user/repos"] = (201, """{"html_url":"https://github.com/octo/widgets"}""");
        _github.Responses["/api/v3/orgs/"] = (201, """{"html_url":"https://github.com/acme/widgets"}""");
        _github.Responses["/api/v3/repos/"] = (201, """{"id":4242}""");
        _app = await TestApp.StartAsync(await TestPostgres.CreateDatabaseAsync("remote"), TestAuth.Settings(
            ("GitHub:ApiBaseUrl", _github.BaseAddress.ToString()),
            ("GitHub:Token", "gh-remote-token"),
            ("Service:PublicBaseUrl", "https://devmentor.example/")));
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        await _github.DisposeAsync();
    }

    private async Task<(HttpResponseMessage Response, JsonElement Body)> CreateAsync(string fullName, string? idempotencyKey = null, string extra = "\"createRemote\":true")
    {
        using var request = TestAuth.Request(HttpMethod.Post, "/projects", "alice",
            $$"""{"name":"{{fullName.Replace('/', '-')}}","description":"widgets","repository":{"provider":"github","fullName":"{{fullName}}"},{{extra}}}""");
        if (idempotencyKey is not null)
        {
            request.Headers.Add("Idempotency-Key", idempotencyKey);
        }

        var response = await _app.Client.SendAsync(request);
        return (response, JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone());
    }

    private List<FakeRepositoryHost.Call> Calls() => _github.Calls.ToList();

    [Fact]
    public async Task Under_the_tokens_own_user_it_creates_the_repository_and_a_json_webhook_with_the_projects_secret()
    {
        var (response, body) = await CreateAsync("octo/widgets");

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var id = body.GetProperty("id").GetGuid();
        var secret = body.GetProperty("webhookSecret").GetString()!;
        Assert.Equal("created", body.GetProperty("remote").GetProperty("status").GetString());
        Assert.Equal(4242, body.GetProperty("remote").GetProperty("hookId").GetInt64());
        var calls = Calls();
        Assert.Equal(["GET /api/v3/user", "POST /api/v3/user/repos", "POST /api/v3/repos/octo/widgets/hooks"], calls.Select(c => $"{c.Method} {c.PathAndQuery}"));
        Assert.All(calls, c => Assert.Equal("Bearer gh-remote-token", c.Headers["Authorization"]));
        var repository = JsonDocument.Parse(calls[1].Body).RootElement;
        Assert.Equal(("widgets", true), (repository.GetProperty("name").GetString(), repository.GetProperty("private").GetBoolean()));
        var hook = JsonDocument.Parse(calls[2].Body).RootElement;
        Assert.Equal(["push", "pull_request", "issues"], hook.GetProperty("events").EnumerateArray().Select(e => e.GetString()));
        var config = hook.GetProperty("config");
        Assert.Equal($"https://devmentor.example/webhooks/github?project={id}", config.GetProperty("url").GetString());
        Assert.Equal("json", config.GetProperty("content_type").GetString());
        Assert.Equal(secret, config.GetProperty("secret").GetString());
        Assert.Equal("0", config.GetProperty("insecure_ssl").GetString()); // GitHub's documented values are "0" and "1"

        // What GitHub will send to that hook is verified with that secret.
        using var delivery = GitHubFixtures.Delivery("ping", GitHubFixtures.Payload("ping.payload.json"), secret: secret);
        delivery.RequestUri = new Uri($"/webhooks/github?project={id}", UriKind.Relative);
        using var pong = await _app.Client.SendAsync(delivery);
        Assert.Equal(HttpStatusCode.OK, pong.StatusCode);

        using var get = await _app.Client.SendAsync(TestAuth.Request(HttpMethod.Get, $"/projects/{id}", "alice"));
        Assert.DoesNotContain(secret, await get.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Rotating_the_secret_gives_githubs_hook_the_new_one_first_and_changes_nothing_when_github_fails()
    {
        var (_, body) = await CreateAsync("octo/widgets");
        var id = body.GetProperty("id").GetGuid();
        var original = body.GetProperty("webhookSecret").GetString()!;
        _github.Calls.Clear();

        async Task<HttpStatusCode> PingAsync(string secret)
        {
            using var delivery = GitHubFixtures.Delivery("ping", GitHubFixtures.Payload("ping.payload.json"), secret: secret);
            delivery.RequestUri = new Uri($"/webhooks/github?project={id}", UriKind.Relative);
            using var answer = await _app.Client.SendAsync(delivery);
            return answer.StatusCode;
        }

        // GitHub down: 502 naming why, the hook and the stored secret both keep the old one.
        _github.FailNext(1);
        using (var failed = await _app.Client.SendAsync(TestAuth.Request(HttpMethod.Post, $"/projects/{id}/webhook-secret", "alice", "{}")))
        {
            Assert.Equal(HttpStatusCode.BadGateway, failed.StatusCode);
            Assert.Contains("was not changed", await failed.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        Assert.Equal(HttpStatusCode.OK, await PingAsync(original));

        using var rotated = await _app.Client.SendAsync(TestAuth.Request(HttpMethod.Post, $"/projects/{id}/webhook-secret", "alice", "{}"));
        Assert.Equal(HttpStatusCode.OK, rotated.StatusCode);
        var issued = JsonDocument.Parse(await rotated.Content.ReadAsStringAsync()).RootElement;
        var secret = issued.GetProperty("secret").GetString()!;
        Assert.True(issued.GetProperty("remoteHookUpdated").GetBoolean());
        var patch = Calls().Last();
        Assert.Equal("PATCH /api/v3/repos/octo/widgets/hooks/4242", $"{patch.Method} {patch.PathAndQuery}");
        var config = JsonDocument.Parse(patch.Body).RootElement.GetProperty("config");
        Assert.Equal((secret, $"https://devmentor.example/webhooks/github?project={id}"), (config.GetProperty("secret").GetString(), config.GetProperty("url").GetString()));
        Assert.Equal(HttpStatusCode.OK, await PingAsync(secret));
        Assert.Equal(HttpStatusCode.Unauthorized, await PingAsync(original));
    }

    [Fact]
    public async Task For_another_owner_it_creates_the_repository_in_that_organisation()
    {
        var (response, body) = await CreateAsync("acme/widgets");

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal("https://github.com/acme/widgets", body.GetProperty("remote").GetProperty("repositoryUrl").GetString());
        Assert.Equal(["GET /api/v3/user", "POST /api/v3/orgs/acme/repos", "POST /api/v3/repos/acme/widgets/hooks"], Calls().Select(c => $"{c.Method} {c.PathAndQuery}"));
    }

    [Fact]
    public async Task An_idempotent_replay_calls_github_no_more_and_does_not_repeat_the_secret()
    {
        var (first, firstBody) = await CreateAsync("octo/widgets", "remote-key-1");
        var (replay, replayBody) = await CreateAsync("octo/widgets", "remote-key-1");

        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        Assert.Equal(HttpStatusCode.Created, replay.StatusCode);
        Assert.Equal("true", replay.Headers.GetValues("Idempotent-Replayed").Single());
        Assert.Equal(firstBody.GetProperty("id").GetGuid(), replayBody.GetProperty("id").GetGuid());
        Assert.Equal("created", replayBody.GetProperty("remote").GetProperty("status").GetString());
        Assert.False(replayBody.TryGetProperty("webhookSecret", out _));
        Assert.Equal(3, Calls().Count);
    }

    [Fact]
    public async Task When_github_is_down_the_project_is_kept_with_a_failed_remote_and_a_retry_finishes_it()
    {
        _github.FailNext(1);

        var (response, body) = await CreateAsync("octo/widgets");

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var id = body.GetProperty("id").GetGuid();
        var remote = body.GetProperty("remote");
        Assert.Equal("failed", remote.GetProperty("status").GetString());
        Assert.Contains("503", remote.GetProperty("error").GetString(), StringComparison.Ordinal);
        using (var get = await _app.Client.SendAsync(TestAuth.Request(HttpMethod.Get, $"/projects/{id}/remote", "alice")))
        {
            Assert.Equal("failed", JsonDocument.Parse(await get.Content.ReadAsStringAsync()).RootElement.GetProperty("status").GetString());
        }

        using var retry = await _app.Client.SendAsync(TestAuth.Request(HttpMethod.Post, $"/projects/{id}/remote/retry", "alice"));
        Assert.Equal(HttpStatusCode.OK, retry.StatusCode);
        var retried = JsonDocument.Parse(await retry.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(("created", 2), (retried.GetProperty("status").GetString(), retried.GetProperty("attempts").GetInt32()));
        using var again = await _app.Client.SendAsync(TestAuth.Request(HttpMethod.Post, $"/projects/{id}/remote/retry", "alice"));
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
    }

    [Fact]
    public async Task A_remote_a_crash_left_pending_or_mid_provisioning_is_finished_by_the_timer_and_a_failed_one_is_left_to_the_user()
    {
        var (_, crashedBefore) = await CreateAsync("octo/before-crash");
        var (_, crashedDuring) = await CreateAsync("octo/during-crash");
        var (_, refused) = await CreateAsync("octo/refused");
        var (_, fresh) = await CreateAsync("octo/fresh");
        // What a crash leaves: a remote stored but never tried, one whose attempt died holding its
        // lease after the repository was made, one GitHub refused, and one too new to touch.
        await using (var crash = _app.Services.GetRequiredService<Database>().DataSource.CreateCommand("""
            UPDATE project_remotes SET
                status = CASE project_id WHEN $1 THEN 'pending' WHEN $2 THEN 'provisioning' WHEN $3 THEN 'failed' ELSE 'pending' END,
                repository_url = CASE WHEN project_id = $2 THEN repository_url END,
                hook_id = NULL,
                lease_until = CASE WHEN project_id = $2 THEN now() - interval '1 second' END,
                updated_at = CASE WHEN project_id = $4 THEN now() ELSE now() - interval '5 minutes' END
            WHERE project_id IN ($1, $2, $3, $4)
            """))
        {
            foreach (var body in new[] { crashedBefore, crashedDuring, refused, fresh })
            {
                crash.Parameters.AddWithValue(body.GetProperty("id").GetGuid());
            }

            Assert.Equal(4, await crash.ExecuteNonQueryAsync());
        }

        _github.Calls.Clear();

        var timer = _app.Services.GetRequiredService<DevMentor.Core.Integrations.Remotes.RemoteProvisioningTimer>();
        await timer.RunAsync(new DevMentor.Core.Scheduling.TimerInvocation(DateTimeOffset.UtcNow, false, "test"), CancellationToken.None);

        async Task<string> StatusAsync(JsonElement project)
        {
            using var get = await _app.Client.SendAsync(TestAuth.Request(HttpMethod.Get, $"/projects/{project.GetProperty("id").GetGuid()}/remote", "alice"));
            return JsonDocument.Parse(await get.Content.ReadAsStringAsync()).RootElement.GetProperty("status").GetString()!;
        }

        Assert.Equal(["created", "created", "failed", "pending"], [await StatusAsync(crashedBefore), await StatusAsync(crashedDuring), await StatusAsync(refused), await StatusAsync(fresh)]);
        var calls = Calls().Select(c => $"{c.Method} {c.PathAndQuery}").ToList();
        Assert.Contains("POST /api/v3/repos/octo/before-crash/hooks", calls);
        Assert.Contains("POST /api/v3/repos/octo/during-crash/hooks", calls);
        Assert.DoesNotContain(calls, c => c.Contains("refused", StringComparison.Ordinal) || c.Contains("fresh", StringComparison.Ordinal));
        Assert.Single(calls, c => c == "POST /api/v3/user/repos"); // the one whose repository was never made; the other only needed its hook
    }

    [Fact]
    public async Task A_name_github_already_has_fails_with_githubs_reason_and_no_webhook_is_attempted()
    {
        _github.Responses["/api/v3/user/repos"] = (422, """{"message":"Repository creation failed.","errors":[{"resource":"Repository","code":"custom","field":"name","message":"name already exists on this account"}]}""");

        var (response, body) = await CreateAsync("octo/widgets");

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var error = body.GetProperty("remote").GetProperty("error").GetString()!;
        Assert.Contains("422", error, StringComparison.Ordinal);
        Assert.Contains("name already exists on this account", error, StringComparison.Ordinal);
        Assert.DoesNotContain(Calls(), c => c.PathAndQuery.EndsWith("/hooks", StringComparison.Ordinal));

        // Still failing: the retry answers 502 with the reason, and the state stays for the next try.
        using var retry = await _app.Client.SendAsync(TestAuth.Request(HttpMethod.Post, $"/projects/{body.GetProperty("id").GetGuid()}/remote/retry", "alice"));
        Assert.Equal(HttpStatusCode.BadGateway, retry.StatusCode);
        Assert.Equal("application/problem+json", retry.Content.Headers.ContentType?.MediaType);
        Assert.Contains("name already exists", await retry.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Rejected_credentials_are_named_and_a_retry_after_a_failed_hook_creates_only_the_hook()
    {
        _github.Responses["/api/v3/repos/"] = (401, """{"message":"Bad credentials"}""");

        var (_, body) = await CreateAsync("octo/widgets");

        var remote = body.GetProperty("remote");
        Assert.Equal("failed", remote.GetProperty("status").GetString());
        Assert.Contains("credentials were rejected", remote.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Equal("https://github.com/octo/widgets", remote.GetProperty("repositoryUrl").GetString());

        _github.Responses["/api/v3/repos/"] = (201, """{"id":77}""");
        using var retry = await _app.Client.SendAsync(TestAuth.Request(HttpMethod.Post, $"/projects/{body.GetProperty("id").GetGuid()}/remote/retry", "alice"));
        Assert.Equal(HttpStatusCode.OK, retry.StatusCode);
        Assert.Equal(77, JsonDocument.Parse(await retry.Content.ReadAsStringAsync()).RootElement.GetProperty("hookId").GetInt64());
        Assert.Single(Calls(), c => c.PathAndQuery == "/api/v3/user/repos");
        Assert.Equal(2, Calls().Count(c => c.PathAndQuery == "/api/v3/repos/octo/widgets/hooks"));
    }

    [Theory]
    [InlineData("\"createRemote\":\"yes\"", "createRemote")]
    [InlineData("\"createRemote\":true,\"slug\":\"Bad Slug\"", "slug")]
    public async Task Bad_input_is_400_and_calls_nothing(string extra, string field)
    {
        var (response, body) = await CreateAsync("octo/widgets", extra: extra);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.True(body.GetProperty("errors").TryGetProperty(field, out _), body.ToString());
        Assert.Empty(Calls());
    }

    [Fact]
    public async Task Gitlab_projects_cannot_ask_for_a_remote_and_nothing_is_stored()
    {
        using var response = await _app.Client.SendAsync(TestAuth.Request(HttpMethod.Post, "/projects", "alice",
            """{"name":"gl","repository":{"provider":"gitlab","fullName":"mike/diaspora"},"createRemote":true}"""));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("createRemote", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        await using var count = _app.Services.GetRequiredService<Database>().DataSource.CreateCommand("SELECT count(*) FROM projects");
        Assert.Equal(0L, await count.ExecuteScalarAsync());
    }

    [Fact]
    public async Task Without_github_credentials_createRemote_is_422_and_nothing_is_stored()
    {
        await using var app = await TestApp.StartAsync(await TestPostgres.CreateDatabaseAsync("remote_nocreds"), TestAuth.Settings(("GitHub:ApiBaseUrl", _github.BaseAddress.ToString())));

        using var response = await app.Client.SendAsync(TestAuth.Request(HttpMethod.Post, "/projects", "alice",
            """{"name":"w","repository":{"provider":"github","fullName":"octo/widgets"},"createRemote":true}"""));

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Contains("GitHub:Token", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        await using var count = app.Services.GetRequiredService<Database>().DataSource.CreateCommand("SELECT count(*) FROM projects");
        Assert.Equal(0L, await count.ExecuteScalarAsync());
        Assert.Empty(Calls());
    }
}
