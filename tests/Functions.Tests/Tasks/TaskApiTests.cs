using System.Net;
using System.Text.Json;
using DevMentor.Functions.Tests.Infrastructure;
using DevMentor.Functions.Tests.Projects;

namespace DevMentor.Functions.Tests.Tasks;

/// <summary>/projects/{id}/tasks: CRUD, roles, numbers, filters, keyset pages, ETag and If-Match, history.</summary>
public sealed class TaskApiTests(ProjectsApi api) : IClassFixture<ProjectsApi>
{
    private async Task<string> ProjectAsync(string name)
    {
        var project = await api.CreateAsync("olivia", name + "-" + Guid.NewGuid().ToString("N")[..6]);
        var id = project.GetProperty("id").GetString()!;
        await api.AddCollaboratorAsync(id, "olivia", "mia", "maintainer");
        await api.AddCollaboratorAsync(id, "olivia", "dev", "developer");
        await api.AddCollaboratorAsync(id, "olivia", "vic", "viewer");
        return id;
    }

    private async Task<(HttpResponseMessage Response, JsonElement Body)> SendAsync(HttpMethod method, string url, string user, string? json = null, string? ifMatch = null)
    {
        using var request = TestAuth.Request(method, url, user, json);
        if (ifMatch is not null)
        {
            request.Headers.TryAddWithoutValidation("If-Match", ifMatch);
        }

        var response = await api.App.Client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return (response, text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone());
    }

    [Fact]
    public async Task A_task_is_created_read_patched_and_deleted_with_its_fields_and_etag()
    {
        var id = await ProjectAsync("crud");
        var (created, task) = await SendAsync(HttpMethod.Post, $"/projects/{id}/tasks", "dev", """
            {"title":"  Login page  ","body":"Needs **OAuth**\nand tests","labels":["ui","auth","ui"],"assignees":["dev","mia"],"priority":"high","dueDate":"2027-01-31"}
            """);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal($"/projects/{id}/tasks/1", created.Headers.Location!.ToString());
        Assert.Equal(1, task.GetProperty("number").GetInt32());
        Assert.Equal("Login page", task.GetProperty("title").GetString());
        Assert.Equal("open", task.GetProperty("state").GetString());
        Assert.Equal(["ui", "auth"], task.GetProperty("labels").EnumerateArray().Select(l => l.GetString()));
        Assert.Equal(["dev", "mia"], task.GetProperty("assignees").EnumerateArray().Select(l => l.GetString()));
        Assert.Equal("2027-01-31", task.GetProperty("dueDate").GetString());
        Assert.Equal("dev", task.GetProperty("createdBy").GetString());
        var etag = created.Headers.ETag!.Tag;

        var (got, _) = await SendAsync(HttpMethod.Get, $"/projects/{id}/tasks/1", "vic");
        Assert.Equal(HttpStatusCode.OK, got.StatusCode);
        Assert.Equal(etag, got.Headers.ETag!.Tag);

        var (patched, after) = await SendAsync(HttpMethod.Patch, $"/projects/{id}/tasks/1", "dev", """{"state":"in_progress","dueDate":null,"labels":["auth"]}""", etag);
        Assert.Equal(HttpStatusCode.OK, patched.StatusCode);
        Assert.Equal("in_progress", after.GetProperty("state").GetString());
        Assert.Equal(JsonValueKind.Null, after.GetProperty("dueDate").ValueKind);
        Assert.Equal("high", after.GetProperty("priority").GetString());
        Assert.NotEqual(etag, patched.Headers.ETag!.Tag);

        // The old ETag no longer matches: 412, nothing written.
        var (stale, _) = await SendAsync(HttpMethod.Patch, $"/projects/{id}/tasks/1", "dev", """{"state":"done"}""", etag);
        Assert.Equal(HttpStatusCode.PreconditionFailed, stale.StatusCode);

        var (history, events) = await SendAsync(HttpMethod.Get, $"/projects/{id}/tasks/1/history", "vic");
        Assert.Equal(HttpStatusCode.OK, history.StatusCode);
        var items = events.GetProperty("items").EnumerateArray().ToList();
        Assert.Equal(["created", "updated"], items.Select(e => e.GetProperty("kind").GetString()));
        var changes = items[1].GetProperty("detail").GetProperty("changes");
        Assert.Equal("in_progress", changes.GetProperty("state").GetProperty("to").GetString());
        Assert.False(changes.TryGetProperty("priority", out _));

        var (deleted, _) = await SendAsync(HttpMethod.Delete, $"/projects/{id}/tasks/1", "mia");
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        var (gone, _) = await SendAsync(HttpMethod.Get, $"/projects/{id}/tasks/1", "mia");
        Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
    }

    [Fact]
    public async Task Viewers_read_developers_write_maintainers_delete_outsiders_see_nothing()
    {
        var id = await ProjectAsync("roles");
        Assert.Equal(HttpStatusCode.Forbidden, (await SendAsync(HttpMethod.Post, $"/projects/{id}/tasks", "vic", """{"title":"x"}""")).Response.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await SendAsync(HttpMethod.Post, $"/projects/{id}/tasks", "stranger", """{"title":"x"}""")).Response.StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await SendAsync(HttpMethod.Post, $"/projects/{id}/tasks", "dev", """{"title":"x"}""")).Response.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(HttpMethod.Get, $"/projects/{id}/tasks", "vic")).Response.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await SendAsync(HttpMethod.Get, $"/projects/{id}/tasks", "stranger")).Response.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await SendAsync(HttpMethod.Patch, $"/projects/{id}/tasks/1", "vic", """{"title":"y"}""")).Response.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(HttpMethod.Patch, $"/projects/{id}/tasks/1", "dev", """{"title":"y"}""")).Response.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await SendAsync(HttpMethod.Delete, $"/projects/{id}/tasks/1", "dev")).Response.StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await SendAsync(HttpMethod.Delete, $"/projects/{id}/tasks/1", "mia")).Response.StatusCode);
    }

    [Fact]
    public async Task Assignees_must_be_collaborators_and_bad_fields_are_named()
    {
        var id = await ProjectAsync("invalid");
        var (stranger, problem) = await SendAsync(HttpMethod.Post, $"/projects/{id}/tasks", "dev", """{"title":"x","assignees":["nobody"]}""");
        Assert.Equal(HttpStatusCode.BadRequest, stranger.StatusCode);
        Assert.Contains("'nobody' is not a collaborator", problem.GetProperty("errors").GetProperty("assignees")[0].GetString(), StringComparison.Ordinal);

        var (bad, errors) = await SendAsync(HttpMethod.Post, $"/projects/{id}/tasks", "dev",
            """{"title":"","state":"doing","priority":"p1","dueDate":"31/01/2027","labels":"ui","colour":"red","body":"a\u0007b"}""");
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        var fields = errors.GetProperty("errors").EnumerateObject().Select(p => p.Name).Order().ToList();
        Assert.Equal(["body", "colour", "dueDate", "labels", "priority", "state", "title"], fields);

        var (nul, _) = await SendAsync(HttpMethod.Post, $"/projects/{id}/tasks", "dev", """{"title":"a\u0000b"}""");
        Assert.Equal(HttpStatusCode.BadRequest, nul.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await SendAsync(HttpMethod.Get, $"/projects/{id}/tasks/abc", "dev")).Response.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await SendAsync(HttpMethod.Get, $"/projects/{id}/tasks?state=doing", "dev")).Response.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await SendAsync(HttpMethod.Get, $"/projects/{id}/tasks?cursor=nonsense", "dev")).Response.StatusCode);
    }

    [Fact]
    public async Task Concurrent_creators_get_distinct_consecutive_numbers()
    {
        var id = await ProjectAsync("numbers");
        var creates = Enumerable.Range(0, 40).Select(i => SendAsync(HttpMethod.Post, $"/projects/{id}/tasks", i % 2 == 0 ? "dev" : "mia", $$"""{"title":"task {{i}}"}"""));
        var results = await Task.WhenAll(creates);
        Assert.All(results, r => Assert.Equal(HttpStatusCode.Created, r.Response.StatusCode));
        Assert.Equal(Enumerable.Range(1, 40), results.Select(r => r.Body.GetProperty("number").GetInt32()).Order());
    }

    [Fact]
    public async Task The_list_pages_by_keyset_newest_first_and_filters_by_state_label_assignee_and_text()
    {
        var id = await ProjectAsync("list");
        for (var i = 1; i <= 7; i++)
        {
            var label = i % 2 == 0 ? "even" : "odd";
            var assignee = i <= 3 ? ""","assignees":["dev"]""" : "";
            var state = i == 5 ? ""","state":"done" """ : "";
            Assert.Equal(HttpStatusCode.Created, (await SendAsync(HttpMethod.Post, $"/projects/{id}/tasks", "dev",
                $$"""{"title":"task {{i}} {{(i == 6 ? "kangaroo" : "plain")}}","labels":["{{label}}"]{{assignee}}{{state}}}""")).Response.StatusCode);
        }

        var numbers = new List<int>();
        string? cursor = null;
        do
        {
            var (page, body) = await SendAsync(HttpMethod.Get, $"/projects/{id}/tasks?limit=3" + (cursor is null ? "" : "&cursor=" + cursor), "vic");
            Assert.Equal(HttpStatusCode.OK, page.StatusCode);
            numbers.AddRange(body.GetProperty("items").EnumerateArray().Select(t => t.GetProperty("number").GetInt32()));
            cursor = body.GetProperty("nextCursor").GetString();
            // A task created between pages neither repeats nor shifts what follows.
            if (numbers.Count == 3)
            {
                await SendAsync(HttpMethod.Post, $"/projects/{id}/tasks", "dev", """{"title":"late"}""");
            }
        }
        while (cursor is not null);
        Assert.Equal([7, 6, 5, 4, 3, 2, 1], numbers);

        async Task<List<int>> Filter(string query)
        {
            var (_, body) = await SendAsync(HttpMethod.Get, $"/projects/{id}/tasks?{query}", "vic");
            return [.. body.GetProperty("items").EnumerateArray().Select(t => t.GetProperty("number").GetInt32())];
        }

        Assert.Equal([7, 5, 3, 1], await Filter("label=odd"));
        Assert.Equal([3, 2, 1], await Filter("assignee=dev"));
        Assert.Equal([5], await Filter("state=done"));
        Assert.Equal([6], await Filter("q=kangaroo"));
        Assert.Equal([3, 1], await Filter("label=odd&assignee=dev"));
    }
}
