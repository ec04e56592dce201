using System.Net;
using System.Text;
using System.Text.Json;
using DevMentor.Core.Data;
using DevMentor.Core.Integrations.Webhooks;
using DevMentor.Functions.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace DevMentor.Functions.Tests.Webhooks;

/// <summary>
/// Webhooks end to end on the real parts: GitHub's fixture payloads (and GitLab-shaped ones) through
/// intake, storage, processing, the project lookup, the pipeline engine with its embedded runner,
/// and commit statuses posted to a local fake of the host's API.
/// </summary>
public sealed class WebhookPipelineTests : IAsyncLifetime
{
    private const string GitLabToken = "gitlab-e2e-token";
    private FakeRepositoryHost _host = null!;
    private TestApp _app = null!;
    private Guid _githubProject;
    private Guid _gitlabProject;

    public async Task InitializeAsync()
    {
        _host = await FakeRepositoryHost.StartAsync();
        _app = await TestApp.StartAsync(await TestPostgres.CreateDatabaseAsync("webhook_e2e"), TestAuth.Settings(
            ("GitHub:WebhookSecret", GitHubFixtures.Secret),
            ("GitHub:ApiBaseUrl", _host.BaseAddress.ToString()),
            ("GitHub:Token", "gh-e2e-token"),
            ("GitLab:WebhookToken", GitLabToken),
            ("GitLab:ApiBaseUrl", new Uri(_host.BaseAddress, "api/v4/").ToString()),
            ("Service:PublicBaseUrl", "https://devmentor.example/"),
            ("Pipelines:Runner:Enabled", "true"),
            ("Pipelines:Runner:Workers", "2"),
            ("Pipelines:Runner:WorkDirectory", Path.Combine(TestPostgres.ScratchRoot, "webhook-work-" + Guid.NewGuid().ToString("N")[..6])),
            ("Pipelines:PollIntervalSeconds", "0.1"),
            // The projects point at github.com and gitlab.com: no real clone here.
            ("Pipelines:CloneRepositories", "false"),
            ("Pipelines:DefaultDefinition", """{"steps":[{"name":"build","commands":[["true"]]}]}""")));
        _githubProject = await CreateProjectAsync("hello-github", """{"provider":"github","fullName":"Codertocat/Hello-World","cloneUrl":"https://github.com/Codertocat/Hello-World.git","defaultBranch":"master"}""");
        _gitlabProject = await CreateProjectAsync("hello-gitlab", """{"provider":"gitlab","fullName":"mike/diaspora","cloneUrl":"https://gitlab.com/mike/diaspora.git","defaultBranch":"main"}""");
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        await _host.DisposeAsync();
    }

    [Fact]
    public async Task A_push_to_the_default_branch_starts_exactly_one_run_for_the_after_commit_and_reports_pending_then_success()
    {
        var payload = GitHubFixtures.Payload("push.with-new-branch.payload.json");
        var after = JsonDocument.Parse(payload).RootElement.GetProperty("after").GetString()!;

        var outcome = await DeliverGitHubAsync("push", payload, "push-1");
        // A redelivery of the same id, and re-processing the stored delivery, start nothing new.
        await DeliverGitHubAsync("push", payload, "push-1");
        var id = await DeliveryIdAsync("push-1");
        using (var reprocess = await _app.Client.SendAsync(TestAuth.Request(HttpMethod.Post, $"/webhooks/deliveries/{id}/reprocess", "ops", admin: true)))
        {
            Assert.Equal(HttpStatusCode.OK, reprocess.StatusCode);
            using var view = JsonDocument.Parse(await reprocess.Content.ReadAsStringAsync());
            Assert.Equal("processed", view.RootElement.GetProperty("status").GetString());
            Assert.Equal(2, view.RootElement.GetProperty("attempts").GetInt32());
        }

        Assert.Equal("processed", outcome);
        var run = Assert.Single(await RunsAsync(_githubProject));
        Assert.Equal((after, "master", "push"), (run.Commit, run.Branch, run.Trigger));
        await using (var pushes = Db().CreateCommand("SELECT jsonb_array_length(commits), commits->0->'added' FROM repository_pushes"))
        await using (var reader = await pushes.ExecuteReaderAsync())
        {
            Assert.True(await reader.ReadAsync());
            Assert.Equal(1, reader.GetInt32(0));
        }

        await WaitForRunAsync(run.Id, "succeeded");
        var calls = await _host.WaitForCallsAsync(2, TimeSpan.FromSeconds(20));
        Assert.All(calls, c => Assert.Equal($"/api/v3/repos/Codertocat/Hello-World/statuses/{after}", c.PathAndQuery));
        var states = calls.Select(c => JsonDocument.Parse(c.Body).RootElement).ToList();
        Assert.Equal(["pending", "success"], states.Select(s => s.GetProperty("state").GetString()));
        Assert.All(states, s => Assert.Equal($"https://devmentor.example/projects/{_githubProject}/builds/{run.Id}", s.GetProperty("target_url").GetString()));
        Assert.All(states, s => Assert.Equal("devmentor/build", s.GetProperty("context").GetString()));
    }

    [Fact]
    public async Task Only_admins_may_inspect_or_reprocess_deliveries()
    {
        await DeliverGitHubAsync("issues", GitHubFixtures.Payload("issues.opened.payload.json"), "admin-check");
        var id = await DeliveryIdAsync("admin-check");

        using var anonymous = await _app.Client.PostAsync($"/webhooks/deliveries/{id}/reprocess", null);
        using var user = await _app.Client.SendAsync(TestAuth.Request(HttpMethod.Post, $"/webhooks/deliveries/{id}/reprocess", "alice"));
        using var admin = await _app.Client.SendAsync(TestAuth.Request(HttpMethod.Get, $"/webhooks/deliveries/{id}", "ops", admin: true));
        using var missing = await _app.Client.SendAsync(TestAuth.Request(HttpMethod.Post, $"/webhooks/deliveries/{Guid.NewGuid()}/reprocess", "ops", admin: true));

        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, user.StatusCode);
        Assert.Equal(HttpStatusCode.OK, admin.StatusCode);
        Assert.Equal("admin-check", JsonDocument.Parse(await admin.Content.ReadAsStringAsync()).RootElement.GetProperty("deliveryId").GetString());
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }

    [Theory]
    [InlineData("push.payload.json")]                   // deletes a tag
    [InlineData("push.with-organization.payload.json")] // pushes a tag
    public async Task Tag_pushes_and_deletions_start_nothing(string fixture)
    {
        Assert.Equal("ignored", await DeliverGitHubAsync("push", GitHubFixtures.Payload(fixture)));
        Assert.Empty(await RunsAsync(_githubProject));
    }

    [Fact]
    public async Task A_tag_push_starts_a_run_only_when_the_tag_matches_settings_buildTags()
    {
        var release = GitHubFixtures.Payload("push.with-new-branch.payload.json", ("refs/heads/master", "refs/tags/v1.2.0"));
        var nightly = GitHubFixtures.Payload("push.with-new-branch.payload.json", ("refs/heads/master", "refs/tags/nightly"));
        var after = JsonDocument.Parse(release).RootElement.GetProperty("after").GetString()!;

        Assert.Equal("ignored", await DeliverGitHubAsync("push", release));
        Assert.Empty(await RunsAsync(_githubProject));

        Assert.Equal(HttpStatusCode.BadRequest, await PatchSettingsAsync("""{"buildTags":["bad tag"]}"""));
        Assert.Equal(HttpStatusCode.OK, await PatchSettingsAsync("""{"buildTags":["v*"]}"""));
        Assert.Equal("ignored", await DeliverGitHubAsync("push", nightly));
        Assert.Equal("processed", await DeliverGitHubAsync("push", release));

        var run = Assert.Single(await RunsAsync(_githubProject));
        Assert.Equal((after, "v1.2.0", "tag"), (run.Commit, run.Branch, run.Trigger));
    }

    private async Task<HttpStatusCode> PatchSettingsAsync(string settingsJson)
    {
        using var request = TestAuth.Request(HttpMethod.Patch, $"/projects/{_githubProject}", "alice");
        request.Content = new StringContent($$"""{"settings":{{settingsJson}}}""", Encoding.UTF8, "application/merge-patch+json");
        using var response = await _app.Client.SendAsync(request);
        return response.StatusCode;
    }

    [Fact]
    public async Task A_deleted_branch_starts_nothing()
    {
        var payload = GitHubFixtures.Payload("push.with-new-branch.payload.json",
            ("\"deleted\": false", "\"deleted\": true"));

        Assert.Equal("ignored", await DeliverGitHubAsync("push", payload));
        Assert.Empty(await RunsAsync(_githubProject));
    }

    [Fact]
    public async Task A_push_to_a_branch_the_project_does_not_build_is_recorded_but_starts_nothing()
    {
        var payload = GitHubFixtures.Payload("push.with-new-branch.payload.json", ("refs/heads/master", "refs/heads/experiment"));

        Assert.Equal("ignored", await DeliverGitHubAsync("push", payload));
        Assert.Empty(await RunsAsync(_githubProject));
        await using var pushes = Db().CreateCommand("SELECT count(*) FROM repository_pushes");
        Assert.Equal(1L, await pushes.ExecuteScalarAsync());
    }

    [Fact]
    public async Task Pull_request_opened_starts_a_run_for_the_head_sha_labelled_with_its_number_and_closed_starts_nothing()
    {
        Assert.Equal("processed", await DeliverGitHubAsync("pull_request", GitHubFixtures.Payload("pull_request.opened.payload.json")));
        Assert.Equal("ignored", await DeliverGitHubAsync("pull_request", GitHubFixtures.Payload("pull_request.closed.payload.json")));

        var run = Assert.Single(await RunsAsync(_githubProject));
        Assert.Equal(("ec26c3e57ca3a959ca5aad62de7213c562f8c821", "changes", "pull_request"), (run.Commit, run.Branch, run.Trigger));
        await using var label = Db().CreateCommand("SELECT data->>'label' FROM pipeline_run_events WHERE run_id = $1 AND type = 'run.queued'");
        label.Parameters.AddWithValue(run.Id);
        Assert.Equal("PR #2", await label.ExecuteScalarAsync());
    }

    [Fact]
    public async Task Issues_are_mirrored_into_the_projects_tasks()
    {
        Assert.Equal("processed", await DeliverGitHubAsync("issues", GitHubFixtures.Payload("issues.opened.payload.json")));
        Assert.Equal("processed", await DeliverGitHubAsync("issues", GitHubFixtures.Payload("issues.edited.payload.json")));

        var tasks = await _app.Services.GetRequiredService<DevMentor.Core.Tasks.ProjectTaskStore>().ListAsync(_githubProject, new DevMentor.Core.Tasks.TaskListQuery(50, null, null, null, null, null), CancellationToken.None);
        var task = Assert.Single(tasks.Items);
        Assert.Equal(1, task.Number);
        Assert.Equal("github", task.Issue!.Provider);
        Assert.Equal("open", task.State);
    }

    [Fact]
    public async Task Unknown_events_are_acknowledged_and_recorded_as_ignored()
    {
        Assert.Equal("ignored", await DeliverGitHubAsync("create", GitHubFixtures.Payload("create.payload.json")));
        await using var outcome = Db().CreateCommand("SELECT outcome FROM webhook_deliveries WHERE event = 'create'");
        Assert.Contains("not handled", (string)(await outcome.ExecuteScalarAsync())!, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Gitlab_push_and_merge_request_start_runs_and_report_to_gitlabs_status_api()
    {
        var push = GitLabWebhookIntakeTests.PushPayload;
        var mergeRequest = """
            {"object_kind":"merge_request","project":{"path_with_namespace":"mike/diaspora"},
             "object_attributes":{"iid":7,"action":"open","source_branch":"ms-viewport","last_commit":{"id":"b83d6e391c22777fca1ed3012fce84f633d7fed0"}}}
            """;

        Assert.Equal("processed", await DeliverGitLabAsync("Push Hook", push));
        Assert.Equal("processed", await DeliverGitLabAsync("Merge Request Hook", mergeRequest));
        Assert.Equal("ignored", await DeliverGitLabAsync("Merge Request Hook", mergeRequest.Replace("\"open\"", "\"close\"", StringComparison.Ordinal)));

        var runs = await RunsAsync(_gitlabProject);
        Assert.Equal(2, runs.Count);
        Assert.Contains(runs, r => (r.Commit, r.Branch, r.Trigger) == ("da1560886d4f094c3e6c9ef40349f7d38b5d27d7", "main", "push"));
        Assert.Contains(runs, r => (r.Commit, r.Branch, r.Trigger) == ("b83d6e391c22777fca1ed3012fce84f633d7fed0", "ms-viewport", "merge_request"));
        foreach (var run in runs)
        {
            await WaitForRunAsync(run.Id, "succeeded");
        }

        var calls = await _host.WaitForCallsAsync(4, TimeSpan.FromSeconds(20));
        Assert.All(calls, c => Assert.StartsWith("/api/v4/projects/mike%2Fdiaspora/statuses/", c.PathAndQuery, StringComparison.Ordinal));
        Assert.Equal(2, calls.Count(c => c.PathAndQuery.Contains("state=success", StringComparison.Ordinal)));
    }

    private async Task<Guid> CreateProjectAsync(string name, string repositoryJson)
    {
        using var response = await _app.Client.SendAsync(TestAuth.Request(HttpMethod.Post, "/projects", "alice", $$"""{"name":"{{name}}","repository":{{repositoryJson}}}"""));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, text);
        return JsonDocument.Parse(text).RootElement.GetProperty("id").GetGuid();
    }

    private async Task<string> DeliverGitHubAsync(string eventName, byte[] payload, string? deliveryId = null)
    {
        deliveryId ??= Guid.NewGuid().ToString();
        using var response = await _app.Client.SendAsync(GitHubFixtures.Delivery(eventName, payload, deliveryId));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        return await WaitProcessedAsync("github", deliveryId);
    }

    private async Task<string> DeliverGitLabAsync(string eventName, string payload)
    {
        var uuid = Guid.NewGuid().ToString();
        using var response = await _app.Client.SendAsync(GitLabWebhookIntakeTests.Delivery(eventName, payload, GitLabToken, uuid));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        return await WaitProcessedAsync("gitlab", uuid);
    }

    private async Task<string> WaitProcessedAsync(string provider, string deliveryId)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            await using var status = Db().CreateCommand("SELECT status, outcome FROM webhook_deliveries WHERE provider = $1 AND delivery_id = $2");
            status.Parameters.AddWithValue(provider);
            status.Parameters.AddWithValue(deliveryId);
            await using var reader = await status.ExecuteReaderAsync();
            if (await reader.ReadAsync() && reader.GetString(0) is not ("received" or "processing") and var done)
            {
                Assert.True(done != "failed", $"processing failed: {reader.GetString(1)}");
                return done;
            }

            Assert.True(DateTime.UtcNow < deadline, $"delivery {deliveryId} was not processed in time");
            await Task.Delay(50);
        }
    }

    private async Task<Guid> DeliveryIdAsync(string deliveryId)
    {
        await using var id = Db().CreateCommand("SELECT id FROM webhook_deliveries WHERE delivery_id = $1");
        id.Parameters.AddWithValue(deliveryId);
        return (Guid)(await id.ExecuteScalarAsync())!;
    }

    private sealed record RunRow(Guid Id, string? Commit, string? Branch, string Trigger, string Status);

    private async Task<IReadOnlyList<RunRow>> RunsAsync(Guid projectId)
    {
        await using var runs = Db().CreateCommand("SELECT id, commit_sha, branch, trigger, status FROM pipeline_runs WHERE project_id = $1 ORDER BY number");
        runs.Parameters.AddWithValue(projectId);
        await using var reader = await runs.ExecuteReaderAsync();
        var rows = new List<RunRow>();
        while (await reader.ReadAsync())
        {
            rows.Add(new RunRow(reader.GetGuid(0), reader.IsDBNull(1) ? null : reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetString(2), reader.GetString(3), reader.GetString(4)));
        }

        return rows;
    }

    private async Task WaitForRunAsync(Guid runId, string status)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            await using var read = Db().CreateCommand("SELECT status FROM pipeline_runs WHERE id = $1");
            read.Parameters.AddWithValue(runId);
            var current = (string?)await read.ExecuteScalarAsync();
            if (current == status)
            {
                return;
            }

            Assert.True(DateTime.UtcNow < deadline, $"run {runId} is {current}, expected {status}");
            await Task.Delay(100);
        }
    }

    private Npgsql.NpgsqlDataSource Db() => _app.Services.GetRequiredService<Database>().DataSource;
}
