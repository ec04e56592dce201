using System.Net;
using System.Text.Json;
using DevMentor.Functions.Tests.Infrastructure;
using static DevMentor.Functions.Tests.Analytics.NotificationTests;

namespace DevMentor.Functions.Tests.Analytics;

/// <summary>Task assigned: each assignee a task gains reaches the project's targets once, from the outbox like the other events.</summary>
public sealed class TaskNotificationTests
{
    private static async Task<HttpStatusCode> SendAsync(TestApp app, HttpMethod method, string url, string json)
    {
        using var response = await app.Client.SendAsync(TestAuth.Request(method, url, "alice", json));
        Assert.True(response.IsSuccessStatusCode, $"{method} {url}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        return response.StatusCode;
    }

    [Fact]
    public async Task Assigning_a_task_notifies_each_new_assignee_once()
    {
        await using var hooks = await HookReceiver.StartAsync();
        await using var app = await TestApp.StartAsync(await TestPostgres.CreateDatabaseAsync("notify-tasks"), Settings());
        var project = await ProjectAsync(app);
        await SendAsync(app, HttpMethod.Put, $"/projects/{project}/collaborators/bob", """{"role":"developer"}""");
        await AddTargetAsync(app, project, $$"""{"kind":"webhook","target":"{{hooks.Url}}/hook","events":["task.assigned"]}""");
        await AddTargetAsync(app, project, $$"""{"kind":"slack","target":"{{hooks.Url}}/slack","events":["task.assigned"]}""");

        await SendAsync(app, HttpMethod.Post, $"/projects/{project}/tasks", """{"title":"Fix login","assignees":["alice"]}""");
        var created = new[] { await hooks.NextAsync(), await hooks.NextAsync() };
        var hook = JsonDocument.Parse(created.Single(h => h.Path == "/hook").Body).RootElement;
        Assert.Equal("task.assigned", hook.GetProperty("event").GetString());
        var task = hook.GetProperty("task");
        Assert.Equal((1, "Fix login", "alice"), (task.GetProperty("number").GetInt32(), task.GetProperty("title").GetString(), task.GetProperty("assignee").GetString()));
        var slack = JsonDocument.Parse(created.Single(h => h.Path == "/slack").Body).RootElement;
        Assert.Equal("[Notified] Task #1 \"Fix login\" was assigned to alice", slack.GetProperty("text").GetString());

        // Adding bob notifies about bob only; a change that assigns nobody new notifies nothing.
        await SendAsync(app, HttpMethod.Patch, $"/projects/{project}/tasks/1", """{"assignees":["alice","bob"]}""");
        var added = new[] { await hooks.NextAsync(), await hooks.NextAsync() };
        Assert.All(added, h => Assert.Equal("task.assigned", h.Headers["X-DevMentor-Event"]));
        Assert.Equal("bob", JsonDocument.Parse(added.Single(h => h.Path == "/hook").Body).RootElement.GetProperty("task").GetProperty("assignee").GetString());
        await SendAsync(app, HttpMethod.Patch, $"/projects/{project}/tasks/1", """{"title":"Fix the login page","assignees":["bob"]}""");
        await Task.Delay(1000);
        Assert.False(hooks.Received.Reader.TryRead(out _));
    }
}
