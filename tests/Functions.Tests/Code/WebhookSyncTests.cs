using System.Net;
using System.Text.Json;
using DevMentor.Functions.Tests.Infrastructure;
using DevMentor.Functions.Tests.Webhooks;

namespace DevMentor.Functions.Tests.Code;

/// <summary>A stored GitHub push delivery syncs the commit, its build stage finds the push's run, and devmentor/analysis reaches the fake GitHub.</summary>
public sealed class WebhookSyncTests : IAsyncLifetime
{
    private FakeRepositoryHost _host = null!;
    private CodeSyncTestKit _kit = null!;

    public async Task InitializeAsync()
    {
        _host = await FakeRepositoryHost.StartAsync();
        _kit = await CodeSyncTestKit.StartAsync("websync",
            ("GitHub:WebhookSecret", GitHubFixtures.Secret),
            ("GitHub:ApiBaseUrl", _host.BaseAddress.ToString()),
            ("GitHub:Token", "gh-sync-token"),
            ("Service:PublicBaseUrl", "https://devmentor.example/"));
    }

    public async Task DisposeAsync()
    {
        await _kit.DisposeAsync();
        await _host.DisposeAsync();
    }

    /// <summary>Deliveries are stored, answered, then processed by the webhook worker.</summary>
    private async Task WaitProcessedAsync(string deliveryId)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            using var view = await _kit.App.Client.SendAsync(TestAuth.Request(HttpMethod.Get, $"/webhooks/deliveries/{deliveryId}", "ops", admin: true));
            var status = JsonDocument.Parse(await view.Content.ReadAsStringAsync()).RootElement.GetProperty("status").GetString();
            if (status is "processed" or "ignored" or "failed")
            {
                Assert.Equal("processed", status);
                return;
            }

            Assert.True(DateTime.UtcNow < deadline, $"delivery stayed {status}");
            await Task.Delay(50);
        }
    }

    [Fact]
    public async Task A_push_delivery_syncs_the_commit_and_posts_the_analysis_status_to_github()
    {
        var project = await _kit.CreateProjectAsync(provider: "github", fullName: "octo/synced", defaultBranch: "master");
        var after = _kit.Commit(new Dictionary<string, string?> { ["app.py"] = "# entry\nprint('hi')\n", ["requirements.txt"] = "flask==3.0.0\n" }, branch: "master");
        var payload = GitHubFixtures.Payload("push.with-new-branch.payload.json", ("Codertocat/Hello-World", "octo/synced"), ("6113728f27ae82c7b1a177c8d03f9e96e0adf246", after));
        using (var delivered = await _kit.App.Client.SendAsync(GitHubFixtures.Delivery("push", payload, "sync-push-1")))
        {
            Assert.True(delivered.IsSuccessStatusCode, await delivered.Content.ReadAsStringAsync());
            await WaitProcessedAsync(JsonDocument.Parse(await delivered.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString()!);
        }

        await _kit.DrainAsync();
        var sync = Assert.Single((await _kit.GetJsonAsync($"/projects/{project}/syncs")).GetProperty("items").EnumerateArray());
        Assert.Equal(("push", after, "refs/heads/master", "succeeded"),
            (sync.GetProperty("trigger").GetString(), sync.GetProperty("commitSha").GetString(), sync.GetProperty("ref").GetString(), sync.GetProperty("status").GetString()));
        var stages = sync.GetProperty("stages").EnumerateArray().ToDictionary(s => s.GetProperty("stage").GetString()!, s => s);
        Assert.StartsWith("run ", stages["build"].GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal("succeeded", stages["status"].GetProperty("status").GetString());

        // The same run the push started: the build stage found it by the delivery's idempotency key.
        using (var runs = await _kit.SendAsync(HttpMethod.Get, $"/projects/{project}/builds", CodeSyncTestKit.Viewer))
        {
            var text = await runs.Content.ReadAsStringAsync();
            Assert.Contains(stages["build"].GetProperty("detail").GetString()!["run ".Length..], text, StringComparison.Ordinal);
            Assert.Equal(1, JsonDocument.Parse(text).RootElement.EnumerateObject().Single(p => p.Value.ValueKind == JsonValueKind.Array).Value.GetArrayLength());
        }

        var calls = await _host.WaitForCallsAsync(1, TimeSpan.FromSeconds(20));
        var analysis = calls.Select(c => (c, JsonDocument.Parse(c.Body).RootElement)).Single(c => c.Item2.GetProperty("context").GetString() == "devmentor/analysis");
        Assert.Equal($"/api/v3/repos/octo/synced/statuses/{after}", analysis.c.PathAndQuery);
        Assert.Equal("success", analysis.Item2.GetProperty("state").GetString());
        Assert.StartsWith("2 files, 2 code lines, 1 dependencies", analysis.Item2.GetProperty("description").GetString(), StringComparison.Ordinal);
        Assert.Equal($"https://devmentor.example/projects/{project}/analysis?ref={after}", analysis.Item2.GetProperty("target_url").GetString());

        // Redelivered: the same sync, nothing new.
        using (var again = await _kit.App.Client.SendAsync(GitHubFixtures.Delivery("push", payload, "sync-push-2")))
        {
            Assert.True(again.IsSuccessStatusCode);
            await WaitProcessedAsync(JsonDocument.Parse(await again.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString()!);
        }

        await _kit.DrainAsync();
        var only = Assert.Single((await _kit.GetJsonAsync($"/projects/{project}/syncs")).GetProperty("items").EnumerateArray());
        Assert.Equal(1, only.GetProperty("stages").EnumerateArray().Single(s => s.GetProperty("stage").GetString() == "index").GetProperty("attempts").GetInt32());
    }
}
