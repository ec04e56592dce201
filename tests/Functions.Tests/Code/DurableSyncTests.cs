using System.Diagnostics;
using System.Text.Json;
using DevMentor.Core.Code;
using DevMentor.Core.Code.Sync;
using DevMentor.Core.Durable;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;

namespace DevMentor.Functions.Tests.Code;

/// <summary>A queued sync runs as the CodeSync orchestration (the only runner), one activity per stage, once per (project, commit).</summary>
public sealed class DurableSyncTests : IAsyncLifetime
{
    private CodeSyncTestKit _kit = null!;

    public async Task InitializeAsync() => _kit = await CodeSyncTestKit.StartAsync("durablesync");

    public async Task DisposeAsync() => await _kit.DisposeAsync();

    private async Task<JsonElement> WaitForSyncAsync(Guid project, string commit)
    {
        var watch = Stopwatch.StartNew();
        while (true)
        {
            var syncs = await _kit.GetJsonAsync($"/projects/{project}/syncs");
            var sync = syncs.GetProperty("items").EnumerateArray().FirstOrDefault(s => s.GetProperty("commitSha").GetString() == commit);
            if (sync.ValueKind == JsonValueKind.Object && sync.GetProperty("status").GetString() is "succeeded" or "failed")
            {
                return sync;
            }

            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(90), $"the sync did not finish: {syncs}");
            await Task.Delay(100);
        }
    }

    [Fact]
    public async Task A_queued_sync_runs_as_an_orchestration_whose_instance_id_is_the_project_and_commit_and_records_every_stage()
    {
        var project = await _kit.CreateProjectAsync();
        var head = _kit.Commit(new Dictionary<string, string?> { ["package.json"] = """{"dependencies":{"left-pad":"1.3.0"}}""", ["a.py"] = "# c\nx = 1\n" });
        var request = new SyncRequest(project, head, "refs/heads/main", null, null, "push");
        var queued = await _kit.Syncs.EnqueueAsync(request, CancellationToken.None);

        var sync = await WaitForSyncAsync(project, head);
        Assert.True(sync.GetProperty("status").GetString() == "succeeded", sync.ToString());
        Assert.Equal(queued.Id, sync.GetProperty("id").GetGuid());
        var stages = sync.GetProperty("stages").EnumerateArray().ToDictionary(s => s.GetProperty("stage").GetString()!, s => (s.GetProperty("status").GetString(), s.GetProperty("attempts").GetInt32()));
        Assert.Equal(SyncStages.All.Order(StringComparer.Ordinal), stages.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(("succeeded", 1), stages[SyncStages.Index]);
        Assert.Equal(("skipped", 1), stages[SyncStages.Build]);
        Assert.StartsWith("2 files, ", sync.GetProperty("summary").GetString(), StringComparison.Ordinal);
        Assert.Contains("1 dependencies", sync.GetProperty("summary").GetString(), StringComparison.Ordinal);
        Assert.Equal("left-pad", Assert.Single((await _kit.GetJsonAsync($"/projects/{project}/dependencies")).GetProperty("items").EnumerateArray()).GetProperty("name").GetString());

        var client = await _kit.App.Services.GetRequiredService<DurableClientSource>().GetAsync(CancellationToken.None);
        // The finish activity records the sync before the orchestration itself completes: wait for the latter.
        using var completion = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var instance = await client.WaitForInstanceCompletionAsync(CodeSyncOrchestration.InstanceId(project, head), getInputsAndOutputs: true, completion.Token);
        Assert.Equal(OrchestrationRuntimeStatus.Completed, instance!.RuntimeStatus);
        Assert.Equal(sync.GetProperty("summary").GetString(), instance.ReadOutputAs<string>());

        // The push delivered again: the same sync, nothing run again.
        Assert.Equal(queued.Id, (await _kit.Syncs.EnqueueAsync(request, CancellationToken.None)).Id);
        await Task.Delay(500);
        var again = await _kit.GetJsonAsync($"/projects/{project}/syncs");
        var only = Assert.Single(again.GetProperty("items").EnumerateArray());
        Assert.Equal(1, only.GetProperty("stages").EnumerateArray().Single(s => s.GetProperty("stage").GetString() == SyncStages.Index).GetProperty("attempts").GetInt32());
    }

    [Fact]
    public async Task A_commit_gone_from_the_remote_fails_the_sync_at_once_with_the_reason()
    {
        var project = await _kit.CreateProjectAsync();
        _kit.Commit(new Dictionary<string, string?> { ["a.txt"] = "a\n" });
        var missing = new string('a', 40);
        await _kit.Syncs.EnqueueAsync(new SyncRequest(project, missing, "refs/heads/main", null, null, "push"), CancellationToken.None);
        var sync = await WaitForSyncAsync(project, missing);
        Assert.Equal("failed", sync.GetProperty("status").GetString());
        Assert.Contains("not on the remote", sync.GetProperty("error").GetString(), StringComparison.Ordinal);
        var fetch = sync.GetProperty("stages").EnumerateArray().Single(s => s.GetProperty("stage").GetString() == SyncStages.Fetch);
        Assert.Equal(("failed", 1), (fetch.GetProperty("status").GetString(), fetch.GetProperty("attempts").GetInt32()));

        // Asked for again (once the instance completed; until then the sweep would start it): the failed sync is queued
        // again and a new instance starts under the completed one's id.
        var client = await _kit.App.Services.GetRequiredService<DurableClientSource>().GetAsync(CancellationToken.None);
        using (var completion = new CancellationTokenSource(TimeSpan.FromSeconds(30)))
        {
            await client.WaitForInstanceCompletionAsync(CodeSyncOrchestration.InstanceId(project, missing), completion.Token);
        }

        var requeued = await _kit.Syncs.EnqueueAsync(new SyncRequest(project, missing, "refs/heads/main", null, null, "push"), CancellationToken.None);
        Assert.Equal("queued", requeued.Status);
        sync = await WaitForSyncAsync(project, missing);
        Assert.Equal("failed", sync.GetProperty("status").GetString());
        fetch = sync.GetProperty("stages").EnumerateArray().Single(s => s.GetProperty("stage").GetString() == SyncStages.Fetch);
        Assert.Equal(("failed", 2), (fetch.GetProperty("status").GetString(), fetch.GetProperty("attempts").GetInt32()));
    }
}
