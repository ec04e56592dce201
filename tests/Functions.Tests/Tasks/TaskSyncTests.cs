using System.Net;
using System.Text;
using System.Text.Json;
using DevMentor.Core.Data;
using DevMentor.Functions.Tests.Infrastructure;
using DevMentor.Functions.Tests.Webhooks;
using Microsoft.Extensions.DependencyInjection;

namespace DevMentor.Functions.Tests.Tasks;

/// <summary>
/// Two-way sync of tasks with GitHub and GitLab issues against the local fake of both APIs (which
/// records every call), issue webhooks through the real intake and processor, conflicts, and
/// "fixes #N" in pushed commits.
/// </summary>
public sealed class TaskSyncTests : IAsyncLifetime
{
    private const string GitLabToken = "gitlab-task-token";
    private const string IssueAnswer = """
        {"id":9001,"number":7,"title":"from github","state":"open","html_url":"https://github.com/Codertocat/Hello-World/issues/7","updated_at":"2026-12-04T10:00:00Z","labels":[]}
        """;

    private FakeRepositoryHost _host = null!;
    private TestApp _app = null!;
    private string _github = "";
    private string _gitlab = "";

    public async Task InitializeAsync()
    {
        _host = await FakeRepositoryHost.StartAsync();
        _host.Responses["/api/v3/repos/Codertocat/Hello-World/issues"] = (201, IssueAnswer);
        // Issue #1 is the fixture's issue (as its webhooks describe it).
        _host.Responses["/api/v3/repos/Codertocat/Hello-World/issues/1"] = (200, IssueAnswer.Replace("9001", "444500041", StringComparison.Ordinal)
            .Replace("\"number\":7", "\"number\":1", StringComparison.Ordinal).Replace("issues/7", "issues/1", StringComparison.Ordinal));
        _host.Responses["/api/v4/projects/"] = (201, """
            {"id":555,"iid":3,"title":"from gitlab","state":"opened","web_url":"https://gitlab.com/mike/diaspora/-/issues/3","updated_at":"2026-12-04T10:00:00Z","labels":["x"]}
            """);
        _app = await TestApp.StartAsync(await TestPostgres.CreateDatabaseAsync("task_sync"), TestAuth.Settings(
            ("GitHub:WebhookSecret", GitHubFixtures.Secret),
            ("GitHub:ApiBaseUrl", _host.BaseAddress.ToString()),
            ("GitHub:Token", "gh-task-token"),
            ("GitLab:WebhookToken", GitLabToken),
            ("GitLab:ApiBaseUrl", new Uri(_host.BaseAddress, "api/v4/").ToString()),
            ("GitLab:Token", "gl-task-token"),
            ("Pipelines:Runner:Enabled", "false"),
            ("Pipelines:CloneRepositories", "false")));
        _github = await CreateProjectAsync("sync-github", """{"provider":"github","fullName":"Codertocat/Hello-World","cloneUrl":"https://github.com/Codertocat/Hello-World.git","defaultBranch":"master"}""");
        _gitlab = await CreateProjectAsync("sync-gitlab", """{"provider":"gitlab","fullName":"mike/diaspora","cloneUrl":"https://gitlab.com/mike/diaspora.git","defaultBranch":"main"}""");
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        await _host.DisposeAsync();
    }

    [Fact]
    public async Task A_task_created_with_sync_opens_the_github_issue_and_edits_here_update_it()
    {
        var (created, task) = await SendAsync(HttpMethod.Post, $"/projects/{_github}/tasks", """{"title":"Write docs","body":"all of them","labels":["docs"],"sync":true}""");
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var issue = task.GetProperty("issue");
        Assert.Equal(("github", 7, "https://github.com/Codertocat/Hello-World/issues/7"),
            (issue.GetProperty("provider").GetString(), issue.GetProperty("number").GetInt32(), issue.GetProperty("url").GetString()));
        Assert.Equal(JsonValueKind.Null, task.GetProperty("syncError").ValueKind);
        var open = Assert.Single(_host.Calls, c => c.Method == "POST");
        Assert.Equal("/api/v3/repos/Codertocat/Hello-World/issues", open.PathAndQuery);
        Assert.Equal("Bearer gh-task-token", open.Headers["Authorization"]);
        var sent = JsonDocument.Parse(open.Body).RootElement;
        Assert.Equal(("Write docs", "all of them", "docs"), (sent.GetProperty("title").GetString(), sent.GetProperty("body").GetString(), sent.GetProperty("labels")[0].GetString()));

        var number = task.GetProperty("number").GetInt32();
        var (patched, after) = await SendAsync(HttpMethod.Patch, $"/projects/{_github}/tasks/{number}", """{"state":"done","title":"Write all docs"}""");
        Assert.Equal(HttpStatusCode.OK, patched.StatusCode);
        Assert.Equal(JsonValueKind.Null, after.GetProperty("syncError").ValueKind);
        var edit = Assert.Single(_host.Calls, c => c.Method == "PATCH");
        Assert.Equal("/api/v3/repos/Codertocat/Hello-World/issues/7", edit.PathAndQuery);
        var update = JsonDocument.Parse(edit.Body).RootElement;
        Assert.Equal(("Write all docs", "closed"), (update.GetProperty("title").GetString(), update.GetProperty("state").GetString()));
    }

    [Fact]
    public async Task Issue_webhooks_create_then_update_the_task_and_an_old_delivery_changes_nothing()
    {
        Assert.Equal("processed", await DeliverGitHubAsync(Issue("opened", "Spelling error", "2026-01-01T00:00:00Z")));
        var task = await OnlyTaskAsync(_github);
        Assert.Equal(("Spelling error", "open", "bug"), (task.GetProperty("title").GetString(), task.GetProperty("state").GetString(), task.GetProperty("labels")[0].GetString()));
        Assert.Equal("github", task.GetProperty("createdBy").GetString());
        Assert.Equal(1, task.GetProperty("issue").GetProperty("number").GetInt32());

        Assert.Equal("processed", await DeliverGitHubAsync(Issue("closed", "Spelling error fixed", "2026-01-02T00:00:00Z", state: "closed")));
        task = await OnlyTaskAsync(_github);
        Assert.Equal(("Spelling error fixed", "closed"), (task.GetProperty("title").GetString(), task.GetProperty("state").GetString()));

        Assert.Equal("processed", await DeliverGitHubAsync(Issue("edited", "an older title", "2026-01-01T12:00:00Z")));
        Assert.Equal("Spelling error fixed", (await OnlyTaskAsync(_github)).GetProperty("title").GetString());
        Assert.DoesNotContain(_host.Calls, c => c.Method is "POST" or "PATCH"); // nothing echoed back
    }

    [Fact]
    public async Task A_conflict_goes_to_the_newer_side_and_is_recorded_in_the_history()
    {
        await DeliverGitHubAsync(Issue("opened", "Original", "2026-01-01T00:00:00Z"));
        var number = (await OnlyTaskAsync(_github)).GetProperty("number").GetInt32();

        // An edit here that cannot reach GitHub: pending, with the reason on the task.
        _host.FailNext(1);
        var (_, local) = await SendAsync(HttpMethod.Patch, $"/projects/{_github}/tasks/{number}", """{"title":"Edited here"}""");
        Assert.Contains("503", local.GetProperty("syncError").GetString(), StringComparison.Ordinal);

        // The issue changed on GitHub too, but earlier than the edit here: the task wins and is pushed.
        await DeliverGitHubAsync(Issue("edited", "Edited on GitHub", "2026-01-01T01:00:00Z"));
        var task = await OnlyTaskAsync(_github);
        Assert.Equal("Edited here", task.GetProperty("title").GetString());
        Assert.Equal(JsonValueKind.Null, task.GetProperty("syncError").ValueKind);
        Assert.Equal(2, _host.Calls.Count(c => c.Method == "PATCH")); // the failed push and the one after the conflict

        // Again pending here, and now the issue's change is the newer one: the issue wins.
        _host.FailNext(1);
        await SendAsync(HttpMethod.Patch, $"/projects/{_github}/tasks/{number}", """{"title":"Edited here again"}""");
        await DeliverGitHubAsync(Issue("edited", "Edited on GitHub later", "2099-01-01T00:00:00Z"));
        Assert.Equal("Edited on GitHub later", (await OnlyTaskAsync(_github)).GetProperty("title").GetString());

        var (_, history) = await SendAsync(HttpMethod.Get, $"/projects/{_github}/tasks/{number}/history");
        var conflicts = history.GetProperty("items").EnumerateArray().Where(e => e.GetProperty("kind").GetString() == "sync_conflict").ToList();
        Assert.Equal(["task", "issue"], conflicts.Select(c => c.GetProperty("detail").GetProperty("winner").GetString()));
        Assert.Equal("2099-01-01T00:00:00+00:00", conflicts[1].GetProperty("detail").GetProperty("issueUpdatedAt").GetString());
    }

    [Fact]
    public async Task Gitlab_issue_hooks_create_tasks_and_synced_tasks_open_gitlab_issues()
    {
        var hook = """
            {"object_kind":"issue","project":{"path_with_namespace":"mike/diaspora"},
             "object_attributes":{"id":301,"iid":23,"title":"New API: create/update/delete file","description":"Create new API","state":"opened","action":"open",
                                  "url":"https://gitlab.com/mike/diaspora/-/issues/23","updated_at":"2026-01-01 00:00:00 UTC"},
             "labels":[{"title":"API"}]}
            """;
        Assert.Equal("processed", await DeliverGitLabAsync(hook));
        var task = await OnlyTaskAsync(_gitlab);
        Assert.Equal(("New API: create/update/delete file", "API", 23), (task.GetProperty("title").GetString(), task.GetProperty("labels")[0].GetString(), task.GetProperty("issue").GetProperty("number").GetInt32()));

        var (created, synced) = await SendAsync(HttpMethod.Post, $"/projects/{_gitlab}/tasks", """{"title":"Mirror me","labels":["x"],"sync":true}""");
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal(3, synced.GetProperty("issue").GetProperty("number").GetInt32());
        var call = Assert.Single(_host.Calls, c => c.Method == "POST");
        Assert.Equal("/api/v4/projects/mike%2Fdiaspora/issues", call.PathAndQuery);
        Assert.Equal("gl-task-token", call.Headers["PRIVATE-TOKEN"]);
        Assert.Equal("Mirror me", JsonDocument.Parse(call.Body).RootElement.GetProperty("title").GetString());
    }

    [Fact]
    public async Task Fixes_hash_n_in_a_pushed_commit_closes_that_task_once_and_links_the_commit()
    {
        var (_, task) = await SendAsync(HttpMethod.Post, $"/projects/{_github}/tasks", """{"title":"Broken README"}""");
        var number = task.GetProperty("number").GetInt32();
        var payload = GitHubFixtures.Payload("push.with-new-branch.payload.json", ("\"Initial commit\"", $"\"Fix the README\\n\\nFixes #{number}, see #999\""));
        Assert.Equal("processed", await DeliverGitHubAsync(payload, "push"));
        await DeliverGitHubAsync(payload, "push"); // another delivery of the same push links nothing twice

        var (_, closed) = await SendAsync(HttpMethod.Get, $"/projects/{_github}/tasks/{number}");
        Assert.Equal("closed", closed.GetProperty("state").GetString());
        var commit = Assert.Single(closed.GetProperty("commits").EnumerateArray());
        Assert.Equal(("6113728f27ae82c7b1a177c8d03f9e96e0adf246", "Fix the README"), (commit.GetProperty("sha").GetString(), commit.GetProperty("message").GetString()));
        var (_, history) = await SendAsync(HttpMethod.Get, $"/projects/{_github}/tasks/{number}/history");
        Assert.Single(history.GetProperty("items").EnumerateArray(), e => e.GetProperty("kind").GetString() == "commit");
    }

    private static byte[] Issue(string action, string title, string updatedAt, string state = "open") =>
        GitHubFixtures.Payload("issues.opened.payload.json",
            ("\"action\": \"opened\"", $"\"action\": \"{action}\""),
            ("\"title\": \"Spelling error in the README file\"", $"\"title\": {JsonSerializer.Serialize(title)}"),
            ("\"updated_at\": \"2019-05-15T15:20:18Z\"", $"\"updated_at\": \"{updatedAt}\""),
            ("\"state\": \"open\"", $"\"state\": \"{state}\""));

    private async Task<JsonElement> OnlyTaskAsync(string project)
    {
        var (_, page) = await SendAsync(HttpMethod.Get, $"/projects/{project}/tasks");
        return Assert.Single(page.GetProperty("items").EnumerateArray());
    }

    private async Task<string> CreateProjectAsync(string name, string repositoryJson)
    {
        var (response, body) = await SendAsync(HttpMethod.Post, "/projects", $$"""{"name":"{{name}}","repository":{{repositoryJson}}}""");
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return body.GetProperty("id").GetString()!;
    }

    private async Task<(HttpResponseMessage Response, JsonElement Body)> SendAsync(HttpMethod method, string url, string? json = null)
    {
        var response = await _app.Client.SendAsync(TestAuth.Request(method, url, "alice", json));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True((int)response.StatusCode < 300, $"{method} {url}: {(int)response.StatusCode} {text}");
        return (response, text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone());
    }

    private async Task<string> DeliverGitHubAsync(byte[] payload, string eventName = "issues")
    {
        var deliveryId = Guid.NewGuid().ToString();
        using var response = await _app.Client.SendAsync(GitHubFixtures.Delivery(eventName, payload, deliveryId));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        return await WaitProcessedAsync("github", deliveryId);
    }

    private async Task<string> DeliverGitLabAsync(string payload)
    {
        var uuid = Guid.NewGuid().ToString();
        using var response = await _app.Client.SendAsync(GitLabWebhookIntakeTests.Delivery("Issue Hook", payload, GitLabToken, uuid));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        return await WaitProcessedAsync("gitlab", uuid);
    }

    private async Task<string> WaitProcessedAsync(string provider, string deliveryId)
    {
        var database = _app.Services.GetRequiredService<Database>();
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            await using var status = database.DataSource.CreateCommand("SELECT status, outcome FROM webhook_deliveries WHERE provider = $1 AND delivery_id = $2");
            status.Parameters.AddWithValue(provider);
            status.Parameters.AddWithValue(deliveryId);
            await using var reader = await status.ExecuteReaderAsync();
            if (await reader.ReadAsync() && reader.GetString(0) is not ("received" or "processing") and var done)
            {
                Assert.True(done is "processed" or "ignored", $"delivery ended {done}: {(reader.IsDBNull(1) ? "" : reader.GetString(1))}");
                return done;
            }

            Assert.True(DateTime.UtcNow < deadline, $"delivery {deliveryId} was not processed in time");
            await Task.Delay(50);
        }
    }
}
