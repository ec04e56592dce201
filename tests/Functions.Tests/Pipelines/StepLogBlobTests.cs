using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using DevMentor.Core.Pipelines;
using DevMentor.Core.Storage;
using DevMentor.Functions.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace DevMentor.Functions.Tests.Pipelines;

/// <summary>
/// A running step's log lives in the blob store as an append blob, and is
/// readable up to its last chunk while the step still runs.
/// </summary>
public sealed class StepLogBlobTests
{
    private const string Owner = "log-owner";

    [Fact]
    public async Task A_running_steps_log_is_an_append_blob_readable_up_to_its_last_chunk()
    {
        var gateDirectory = PipelineTestKit.NewSharedDirectory("loggate");
        var gate = Path.Combine(gateDirectory, "go");
        // The log shows each command before its output, so the markers are made by printf, never spelled out.
        var script = $"printf '%s-%s\\n' alpha one; printf 'x\\303\\274\\342\\234\\223y\\n'; while [ ! -f '{gate}' ]; do sleep 0.1; done; printf '%s-%s\\n' beta three";
        var settings = TestAuth.Settings(
            ("Pipelines:Runner:Enabled", "true"),
            ("Pipelines:Runner:Workers", "1"),
            ("Pipelines:Runner:WorkDirectory", PipelineTestKit.NewScratchDirectory("logwork")),
            ("Pipelines:Runner:ReadOnlyPaths", gateDirectory),
            ("Pipelines:HeartbeatSeconds", "0.3"),
            ("Pipelines:PollIntervalSeconds", "0.1"),
            ("Pipelines:DefaultDefinition", JsonSerializer.Serialize(new { steps = new[] { new { name = "build", commands = new[] { new[] { "sh", "-c", script } } } } })));
        settings["AzureWebJobsStorage"] = (await TestAzurite.SharedAsync()).ConnectionString;
        settings["Blob:Container"] = TestAzurite.NewContainer("logs");

        await using var app = await TestApp.StartAsync(await TestPostgres.CreateDatabaseAsync("steplogs"), settings);
        var store = app.Services.GetRequiredService<IBlobStore>();
        Assert.StartsWith("Azure Blob Storage", store.Description, StringComparison.Ordinal);
        using var created = await app.Client.SendAsync(TestAuth.Request(HttpMethod.Post, "/projects", Owner, """{"name": "Logged"}"""));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var project = (await JsonAsync(created)).GetProperty("id").GetString()!;
        using var started = await app.Client.SendAsync(TestAuth.Request(HttpMethod.Post, $"/projects/{project}/build", Owner, """{"branch": "main"}"""));
        Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
        var run = await JsonAsync(started);
        var runId = run.GetProperty("runId").GetGuid();
        var statusUri = run.GetProperty("statusUri").GetString()!;

        // While the step waits for the gate, what it printed so far is readable, through the API and as the blob.
        var soFar = await WaitForLogAsync(app, statusUri, "xü✓y\n");
        Assert.Contains("alpha-one\n", soFar, StringComparison.Ordinal);
        Assert.DoesNotContain("beta-three", soFar, StringComparison.Ordinal);
        Assert.Equal("running", (await GetAsync(app, statusUri)).GetProperty("steps")[0].GetProperty("status").GetString());
        var blob = Assert.Single((await store.ListAsync($"runs/{runId:N}/steps/")).Items);
        Assert.EndsWith("/attempt-1.log", blob.Key, StringComparison.Ordinal);
        Assert.Equal(BlobKind.Append, blob.Kind);
        Assert.Equal("text/plain; charset=utf-8", blob.ContentType);
        await using (var partial = await store.GetAsync(blob.Key))
        {
            Assert.Contains("xü✓y\n", await new StreamReader(partial.Content, Encoding.UTF8).ReadToEndAsync(), StringComparison.Ordinal);
        }

        await File.WriteAllTextAsync(gate, "go");
        var watch = Stopwatch.StartNew();
        while ((await GetAsync(app, statusUri)).GetProperty("status").GetString() != "succeeded")
        {
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(60), "the run did not succeed");
            await Task.Delay(100);
        }

        var whole = await ReadTextAsync(app, statusUri + "/steps/build/logs");
        Assert.StartsWith("==> attempt 1\n", whole, StringComparison.Ordinal);
        Assert.True(whole.IndexOf("alpha-one", StringComparison.Ordinal) < whole.IndexOf("beta-three", StringComparison.Ordinal), whole);
        var followed = await ReadTextAsync(app, statusUri + "/steps/build/logs?follow=true");
        Assert.Equal(whole, followed);
        await using var final = await store.GetAsync(blob.Key);
        Assert.Equal(whole["==> attempt 1\n".Length..], await new StreamReader(final.Content, Encoding.UTF8).ReadToEndAsync());
    }

    [Fact]
    public async Task Logs_kept_as_rows_from_before_the_move_to_blobs_are_still_shown_beside_newer_attempts()
    {
        await using var app = await PipelineTestKit.StartAppAsync("legacylogs", TestAuth.Settings(
            ("Pipelines:Runner:Enabled", "true"),
            ("Pipelines:Runner:Workers", "1"),
            ("Pipelines:Runner:WorkDirectory", PipelineTestKit.NewScratchDirectory("legacywork"))));
        using var created = await app.Client.SendAsync(TestAuth.Request(HttpMethod.Post, "/projects", Owner, """{"name": "Old logs"}"""));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var projectId = (await JsonAsync(created)).GetProperty("id").GetGuid();
        var engine = app.Engine();
        var run = await engine.StartAsync(projectId, PipelineTestKit.NoOps("build"));
        var stepId = Assert.Single((await engine.WaitForEndAsync(run, TimeSpan.FromSeconds(60))).Steps).StepId;

        // As an older version left it: attempt 1 as rows of pipeline_step_logs; attempt 2, written since, as a blob.
        var store = app.Services.GetRequiredService<IBlobStore>();
        foreach (var item in (await store.ListAsync($"runs/{run.RunId:N}/")).Items)
        {
            await store.DeleteAsync(item.Key);
        }

        foreach (var sql in new[]
        {
            "INSERT INTO pipeline_step_logs (step_id, attempt, text) VALUES ($1, 1, 'old line one' || chr(10)), ($1, 1, 'old line two' || chr(10))",
            "UPDATE pipeline_steps SET attempt = 2 WHERE id = $1",
        })
        {
            await using var command = app.Data().CreateCommand(sql);
            command.Parameters.AddWithValue(stepId);
            await command.ExecuteNonQueryAsync();
        }

        await store.AppendAsync(BlobStepLogStore.KeyFor(run.RunId, stepId, 2), Encoding.UTF8.GetBytes("new line\n"));

        var statusUri = $"/projects/{projectId}/builds/{run.RunId}";
        const string expected = "==> attempt 1\nold line one\nold line two\n==> attempt 2\nnew line\n";
        Assert.Equal(expected, await ReadTextAsync(app, statusUri + "/steps/build/logs"));
        Assert.Equal(expected, await ReadTextAsync(app, statusUri + "/steps/build/logs?follow=true"));

        // Read after the legacy text's id, the rows are not sent again.
        var logs = app.Services.GetRequiredService<IStepLogStore>();
        var first = (await logs.ReadAfterAsync(projectId, run.RunId, "build", 0, CancellationToken.None))!;
        Assert.Equal(["old line one\nold line two\n", "new line\n"], first.Chunks.Select(c => c.Text));
        var again = (await logs.ReadAfterAsync(projectId, run.RunId, "build", first.Chunks[0].Id, CancellationToken.None))!;
        Assert.Equal(["new line\n"], again.Chunks.Select(c => c.Text));
    }

    private static async Task<string> WaitForLogAsync(TestApp app, string statusUri, string expected)
    {
        var watch = Stopwatch.StartNew();
        while (true)
        {
            var log = await ReadTextAsync(app, statusUri + "/steps/build/logs");
            if (log.Contains(expected, StringComparison.Ordinal))
            {
                return log;
            }

            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(60), $"the log never showed '{expected}': {log}");
            await Task.Delay(100);
        }
    }

    private static async Task<string> ReadTextAsync(TestApp app, string uri)
    {
        using var response = await app.Client.SendAsync(TestAuth.Request(HttpMethod.Get, uri, Owner));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadAsStringAsync();
    }

    private static async Task<JsonElement> GetAsync(TestApp app, string uri)
    {
        using var response = await app.Client.SendAsync(TestAuth.Request(HttpMethod.Get, uri, Owner));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await JsonAsync(response);
    }

    private static async Task<JsonElement> JsonAsync(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
}
