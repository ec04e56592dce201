using System.Net;
using System.Text.Json;
using DevMentor.Functions.Tests.Infrastructure;

namespace DevMentor.Functions.Tests.Pipelines;

/// <summary>The user-facing build endpoints against a real database, JWT auth and the embedded runner.</summary>
public sealed class BuildFunctionsTests : IAsyncLifetime
{
    private const string Owner = "owner-1";
    private const string Developer = "dev-1";
    private const string Viewer = "viewer-1";
    private const string Stranger = "stranger-1";

    private TestApp _app = null!;

    public async Task InitializeAsync()
    {
        var settings = TestAuth.Settings(
            ("Pipelines:Runner:Enabled", "true"),
            ("Pipelines:Runner:Workers", "2"),
            ("Pipelines:Runner:WorkDirectory", PipelineTestKit.NewScratchDirectory("buildwork")),
            ("Pipelines:HeartbeatSeconds", "0.3"),
            ("Pipelines:PollIntervalSeconds", "0.1"),
            ("Pipelines:MaxRunningRunsPerProject", "10"),
            // The runs' definition: the second step waits for a file the test may never create.
            ("Pipelines:DefaultDefinition", """{"steps":[{"name":"clone","commands":[["sh","-c","echo cloning"]]},{"name":"test","commands":[["sh","-c","if [ \"$DEVMENTOR_BRANCH\" = slow ]; then sleep 600; fi; echo tested"]]}]}"""));
        _app = await TestApp.StartAsync(await TestPostgres.CreateDatabaseAsync("builds"), settings);
    }

    public async Task DisposeAsync() => await _app.DisposeAsync();

    private Task<HttpResponseMessage> SendAsync(HttpMethod method, string url, string? user, string? json = null, string? idempotencyKey = null)
    {
        var request = TestAuth.Request(method, url, user, json);
        if (idempotencyKey is not null)
        {
            request.Headers.Add("Idempotency-Key", idempotencyKey);
        }

        return _app.Client.SendAsync(request);
    }

    private static async Task<JsonElement> JsonAsync(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();

    private async Task<string> CreateProjectAsync()
    {
        using var response = await SendAsync(HttpMethod.Post, "/projects", Owner, JsonSerializer.Serialize(new { name = "p-" + Guid.NewGuid().ToString("N")[..8], visibility = "private" }));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var id = (await JsonAsync(response)).GetProperty("id").GetString()!;
        foreach (var (user, role) in new[] { (Developer, "developer"), (Viewer, "viewer") })
        {
            using var added = await SendAsync(HttpMethod.Put, $"/projects/{id}/collaborators/{user}", Owner, JsonSerializer.Serialize(new { role }));
            Assert.True(added.IsSuccessStatusCode, await added.Content.ReadAsStringAsync());
        }

        return id;
    }

    private async Task<JsonElement> WaitForStatusAsync(string statusUri, Func<string, bool> done)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            using var response = await SendAsync(HttpMethod.Get, statusUri, Viewer);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var run = await JsonAsync(response);
            if (done(run.GetProperty("status").GetString()!))
            {
                return run;
            }

            Assert.True(DateTime.UtcNow < deadline, $"run stayed {run.GetProperty("status")}");
            await Task.Delay(100);
        }
    }

    [Fact]
    public async Task A_developer_starts_a_build_that_answers_202_at_once_and_runs_to_success()
    {
        var project = await CreateProjectAsync();

        using var response = await SendAsync(HttpMethod.Post, $"/projects/{project}/build", Developer, """{"branch":"main"}""");

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var started = await JsonAsync(response);
        var statusUri = started.GetProperty("statusUri").GetString()!;
        Assert.Equal(statusUri, response.Headers.Location!.OriginalString);
        Assert.Equal(1, started.GetProperty("number").GetInt32());
        Assert.Equal($"/projects/{project}/builds/{started.GetProperty("runId").GetGuid()}", statusUri);
        Assert.Equal(statusUri + "/cancel", started.GetProperty("cancelUri").GetString());
        Assert.Equal(statusUri + "/logs", started.GetProperty("logsUri").GetString());

        var run = await WaitForStatusAsync(statusUri, s => s == "succeeded");
        Assert.Equal("main", run.GetProperty("branch").GetString());
        Assert.Equal("manual", run.GetProperty("trigger").GetString());
        Assert.Equal(JsonValueKind.Null, run.GetProperty("commit").ValueKind);
        Assert.NotEqual(JsonValueKind.Null, run.GetProperty("finishedAt").ValueKind);
        var steps = run.GetProperty("steps").EnumerateArray().ToList();
        Assert.Equal(["clone", "test"], steps.Select(s => s.GetProperty("name").GetString()));
        Assert.All(steps, s =>
        {
            Assert.Equal("succeeded", s.GetProperty("status").GetString());
            Assert.Equal(1, s.GetProperty("attempt").GetInt32());
            Assert.Equal(3, s.GetProperty("maxAttempts").GetInt32());
            Assert.Equal(0, s.GetProperty("exitCode").GetInt32());
            Assert.NotEqual(JsonValueKind.Null, s.GetProperty("startedAt").ValueKind);
        });
        var events = run.GetProperty("events").EnumerateArray().Select(e => e.GetProperty("type").GetString()).ToList();
        Assert.Equal("run.queued", events[0]);
        Assert.Equal("run.succeeded", events[^1]);

        using var stepLog = await SendAsync(HttpMethod.Get, statusUri + "/steps/test/logs", Viewer);
        Assert.Equal("text/plain", stepLog.Content.Headers.ContentType!.MediaType);
        Assert.Contains("tested", await stepLog.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        using var allLogs = await SendAsync(HttpMethod.Get, statusUri + "/logs", Viewer);
        var all = await allLogs.Content.ReadAsStringAsync();
        Assert.Contains("##### clone (succeeded)", all, StringComparison.Ordinal);
        Assert.Contains("cloning", all, StringComparison.Ordinal);
        using var missingStep = await SendAsync(HttpMethod.Get, statusUri + "/steps/deploy/logs", Viewer);
        Assert.Equal(HttpStatusCode.NotFound, missingStep.StatusCode);
        using var finishedFollow = await SendAsync(HttpMethod.Get, statusUri + "/steps/test/logs?follow=true", Viewer);
        Assert.Contains("tested", await finishedFollow.Content.ReadAsStringAsync(), StringComparison.Ordinal); // a finished step's stream ends by itself
        using var badFollow = await SendAsync(HttpMethod.Get, statusUri + "/steps/test/logs?follow=maybe", Viewer);
        Assert.Equal(HttpStatusCode.BadRequest, badFollow.StatusCode);
        Assert.Equal("application/problem+json", badFollow.Content.Headers.ContentType!.MediaType);
        Assert.Contains("follow", await badFollow.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Roles_decide_who_may_build_and_read()
    {
        var project = await CreateProjectAsync();

        using var byViewer = await SendAsync(HttpMethod.Post, $"/projects/{project}/build", Viewer);
        using var byStranger = await SendAsync(HttpMethod.Post, $"/projects/{project}/build", Stranger);
        using var anonymous = await SendAsync(HttpMethod.Post, $"/projects/{project}/build", null);
        using var byOwner = await SendAsync(HttpMethod.Post, $"/projects/{project}/build", Owner);
        var statusUri = (await JsonAsync(byOwner)).GetProperty("statusUri").GetString()!;
        using var viewerReads = await SendAsync(HttpMethod.Get, statusUri, Viewer);
        using var strangerReads = await SendAsync(HttpMethod.Get, statusUri, Stranger);
        using var strangerLists = await SendAsync(HttpMethod.Get, $"/projects/{project}/builds", Stranger);
        using var viewerCancels = await SendAsync(HttpMethod.Post, statusUri + "/cancel", Viewer);

        Assert.Equal(HttpStatusCode.Forbidden, byViewer.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, byStranger.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, byOwner.StatusCode);
        Assert.Equal(HttpStatusCode.OK, viewerReads.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, strangerReads.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, strangerLists.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, viewerCancels.StatusCode);
        Assert.Equal("application/problem+json", byViewer.Content.Headers.ContentType!.MediaType);
    }

    [Fact]
    public async Task Idempotency_key_replays_the_first_start_and_refuses_a_different_body()
    {
        var project = await CreateProjectAsync();

        using var first = await SendAsync(HttpMethod.Post, $"/projects/{project}/build", Developer, """{"branch":"main"}""", "k-1");
        using var again = await SendAsync(HttpMethod.Post, $"/projects/{project}/build", Developer, """{"branch":"main"}""", "k-1");
        using var different = await SendAsync(HttpMethod.Post, $"/projects/{project}/build", Developer, """{"branch":"dev"}""", "k-1");

        Assert.Equal(HttpStatusCode.Accepted, again.StatusCode);
        Assert.Equal((await JsonAsync(first)).GetProperty("runId").GetGuid(), (await JsonAsync(again)).GetProperty("runId").GetGuid());
        Assert.Equal("true", again.Headers.GetValues("Idempotent-Replayed").Single());
        Assert.Equal(HttpStatusCode.UnprocessableEntity, different.StatusCode);
    }

    [Fact]
    public async Task Cancel_stops_a_running_build_and_retry_starts_a_linked_one()
    {
        var project = await CreateProjectAsync();
        using var start = await SendAsync(HttpMethod.Post, $"/projects/{project}/build", Developer, """{"branch":"slow","commit":"ABCDEF1234"}""");
        var statusUri = (await JsonAsync(start)).GetProperty("statusUri").GetString()!;
        await WaitForStatusAsync(statusUri, _ => true);
        using (var earlyRetry = await SendAsync(HttpMethod.Post, statusUri + "/retry", Developer))
        {
            Assert.Equal(HttpStatusCode.Conflict, earlyRetry.StatusCode);
        }

        using var cancel = await SendAsync(HttpMethod.Post, statusUri + "/cancel", Developer);
        Assert.Equal(HttpStatusCode.OK, cancel.StatusCode);
        var canceled = await JsonAsync(cancel);
        Assert.Equal("canceled", canceled.GetProperty("status").GetString());
        Assert.All(canceled.GetProperty("steps").EnumerateArray(), s => Assert.Contains(s.GetProperty("status").GetString(), new[] { "canceled", "succeeded" }));
        using (var again = await SendAsync(HttpMethod.Post, statusUri + "/cancel", Developer))
        {
            Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        }

        using var retry = await SendAsync(HttpMethod.Post, statusUri + "/retry", Developer);
        Assert.Equal(HttpStatusCode.Accepted, retry.StatusCode);
        var retried = await JsonAsync(retry);
        Assert.Equal(2, retried.GetProperty("number").GetInt32());
        using var read = await SendAsync(HttpMethod.Get, retried.GetProperty("statusUri").GetString()!, Viewer);
        var run = await JsonAsync(read);
        Assert.Equal(canceled.GetProperty("runId").GetGuid(), run.GetProperty("retryOf").GetGuid());
        Assert.Equal("abcdef1234", run.GetProperty("commit").GetString());
        Assert.Equal("retry", run.GetProperty("trigger").GetString());
        await SendAsync(HttpMethod.Post, retried.GetProperty("statusUri").GetString() + "/cancel", Developer);
    }

    [Fact]
    public async Task List_is_paginated_newest_first_and_filters()
    {
        var project = await CreateProjectAsync();
        foreach (var branch in new[] { "main", "dev", "main" })
        {
            using var started = await SendAsync(HttpMethod.Post, $"/projects/{project}/build", Developer, JsonSerializer.Serialize(new { branch }));
            Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
        }

        using var page1 = await SendAsync(HttpMethod.Get, $"/projects/{project}/builds?limit=2", Viewer);
        var first = await JsonAsync(page1);
        var cursor = first.GetProperty("nextCursor").GetString();
        using var page2 = await SendAsync(HttpMethod.Get, $"/projects/{project}/builds?limit=2&cursor={cursor}", Viewer);
        var second = await JsonAsync(page2);
        using var mains = await SendAsync(HttpMethod.Get, $"/projects/{project}/builds?branch=main", Viewer);
        using var bad = await SendAsync(HttpMethod.Get, $"/projects/{project}/builds?limit=0&status=done&cursor=x", Viewer);

        Assert.Equal([3, 2], first.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("number").GetInt32()));
        Assert.Equal([1], second.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("number").GetInt32()));
        Assert.Equal(JsonValueKind.Null, second.GetProperty("nextCursor").ValueKind);
        var item = first.GetProperty("items")[0];
        foreach (var field in new[] { "runId", "number", "status", "branch", "commit", "statusUri" })
        {
            Assert.True(item.TryGetProperty(field, out _), field);
        }

        Assert.Equal([3, 1], (await JsonAsync(mains)).GetProperty("items").EnumerateArray().Select(i => i.GetProperty("number").GetInt32()));
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        var errors = (await JsonAsync(bad)).GetProperty("errors");
        Assert.True(errors.TryGetProperty("limit", out _) && errors.TryGetProperty("status", out _) && errors.TryGetProperty("cursor", out _));
    }

    [Fact]
    public async Task Bad_input_gets_a_clear_4xx()
    {
        var project = await CreateProjectAsync();
        var build = $"/projects/{project}/build";

        using var badCommit = await SendAsync(HttpMethod.Post, build, Developer, """{"commit":"not-a-sha"}""");
        using var badBranch = await SendAsync(HttpMethod.Post, build, Developer, """{"branch":"a..b"}""");
        using var notObject = await SendAsync(HttpMethod.Post, build, Developer, "[1,2]");
        using var wrongType = await SendAsync(HttpMethod.Post, build, Developer, """{"deploy":"yes"}""");
        using var malformed = await SendAsync(HttpMethod.Post, build, Developer, "{");
        var textRequest = TestAuth.Request(HttpMethod.Post, build, Developer);
        textRequest.Content = new StringContent("branch=main", System.Text.Encoding.UTF8, "text/plain");
        using var wrongMediaType = await _app.Client.SendAsync(textRequest);
        using var badKey = await SendAsync(HttpMethod.Post, build, Developer, null, new string('k', 201));
        using var unknownRun = await SendAsync(HttpMethod.Get, $"/projects/{project}/builds/{Guid.NewGuid()}", Viewer);
        using var notAGuid = await SendAsync(HttpMethod.Get, $"/projects/{project}/builds/123", Viewer);
        using var unknownProject = await SendAsync(HttpMethod.Post, $"/projects/{Guid.NewGuid()}/build", Developer);

        Assert.Equal(HttpStatusCode.BadRequest, badCommit.StatusCode);
        Assert.True((await JsonAsync(badCommit)).GetProperty("errors").TryGetProperty("commit", out _));
        Assert.Equal(HttpStatusCode.BadRequest, badBranch.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, notObject.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, wrongType.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, malformed.StatusCode);
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, wrongMediaType.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, badKey.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, unknownRun.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, notAGuid.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, unknownProject.StatusCode);
    }
}
