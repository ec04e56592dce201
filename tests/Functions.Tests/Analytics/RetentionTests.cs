using System.Net;
using System.Text;
using System.Text.Json;
using DevMentor.Core.Data;
using DevMentor.Core.Retention;
using DevMentor.Core.Storage;
using DevMentor.Functions.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using static DevMentor.Functions.Tests.Analytics.AnalyticsSeed;

namespace DevMentor.Functions.Tests.Analytics;

/// <summary>The retention timer purges exactly what is due, blobs and rows, per project or by the platform default; rollups stay.</summary>
public sealed class RetentionTests
{
    private static async Task<Guid> CreateProjectAsync(TestApp app, string name)
    {
        using var created = await app.Client.SendAsync(TestAuth.Request(HttpMethod.Post, "/projects", "alice", $$"""{"name":"{{name}}"}"""));
        var text = await created.Content.ReadAsStringAsync();
        Assert.True(created.StatusCode == HttpStatusCode.Created, text);
        return JsonDocument.Parse(text).RootElement.GetProperty("id").GetGuid();
    }

    private static async Task<Guid> RunAsync(Database db, Guid project, int number, int finishedDaysAgo)
    {
        var id = Guid.NewGuid();
        await ExecAsync(db, """
            INSERT INTO pipeline_runs (id, project_id, number, status, trigger, definition, created_at, finished_at)
            VALUES (@p1, @p2, @p3, 'succeeded', 'manual', '{}', now() - make_interval(days => @p4), now() - make_interval(days => @p4))
            """, id, project, number, finishedDaysAgo);
        return id;
    }

    private static string LogKey(Guid run) => $"runs/{run:N}/steps/{Guid.NewGuid():N}/attempt-1.log";

    private static async Task PutAsync(IBlobStore blobs, string key, string text) =>
        await blobs.PutAsync(key, new MemoryStream(Encoding.UTF8.GetBytes(text)));

    private static async Task<string> ArtifactAsync(Database db, IBlobStore blobs, Guid project, Guid run, string name, string content, int createdDaysAgo)
    {
        var blob = await blobs.PutContentAddressedAsync("artifacts", new MemoryStream(Encoding.UTF8.GetBytes(content)));
        await ExecAsync(db, """
            INSERT INTO build_artifacts (run_id, name, project_id, step, sha256, size, content_type, created_at)
            VALUES (@p1, @p2, @p3, 'build', @p4, 1, 'text/plain', now() - make_interval(days => @p5))
            """, run, name, project, blob.Sha256, createdDaysAgo);
        return ContentAddress.KeyFor("artifacts", blob.Sha256);
    }

    [Fact]
    public async Task Purges_exactly_what_is_due_and_keeps_rollups()
    {
        await using var app = await TestApp.StartAsync(await TestPostgres.CreateDatabaseAsync("retention"), TestAuth.Settings());
        var db = app.Services.GetRequiredService<Database>();
        var blobs = app.Services.GetRequiredService<IBlobStore>();
        var a = await CreateProjectAsync(app, "Short");
        var b = await CreateProjectAsync(app, "Default");

        // A keeps step logs 7 days; B the platform's 30.
        using (var set = await app.Client.SendAsync(TestAuth.Request(HttpMethod.Put, $"/projects/{a}/retention", "alice", """{"stepLogsDays":7}""")))
        {
            var text = await set.Content.ReadAsStringAsync();
            Assert.True(set.StatusCode == HttpStatusCode.OK, text);
            var effective = JsonDocument.Parse(text).RootElement.GetProperty("effective");
            Assert.Equal((7, 90), (effective.GetProperty("stepLogsDays").GetInt32(), effective.GetProperty("artifactsDays").GetInt32()));
        }

        var aOld = await RunAsync(db, a, 1, 10);
        var aNew = await RunAsync(db, a, 2, 1);
        var bTen = await RunAsync(db, b, 1, 10);
        var bForty = await RunAsync(db, b, 2, 40);
        var bAncient = await RunAsync(db, b, 3, 400);
        var bDeployed = await RunAsync(db, b, 4, 400);
        await ExecAsync(db, """
            INSERT INTO deployments (id, project_id, environment, target, run_id, run_number, status, trigger, finished_at)
            VALUES (gen_random_uuid(), @p1, 'production', 'local', @p2, 4, 'current', 'manual', now() - interval '400 days')
            """, b, bDeployed);

        var logs = new Dictionary<Guid, string>();
        foreach (var run in new[] { aOld, aNew, bTen, bForty, bAncient, bDeployed })
        {
            logs[run] = LogKey(run);
            await PutAsync(blobs, logs[run], "log of " + run);
        }

        var oldOnly = await ArtifactAsync(db, blobs, a, aOld, "old.txt", "only an old artifact has this", 100);
        var shared = await ArtifactAsync(db, blobs, a, aOld, "shared.txt", "content two artifacts share", 100);
        await ArtifactAsync(db, blobs, b, bTen, "shared-new.txt", "content two artifacts share", 1);
        var ancientArtifact = await ArtifactAsync(db, blobs, b, bAncient, "ancient.txt", "an artifact of a run past its history", 1);

        await ExecAsync(db, """
            INSERT INTO webhook_deliveries (id, provider, delivery_id, event, headers, payload, status, received_at, project_id) VALUES
              ('00000000-0000-0000-0000-0000000000e1', 'github', 'old-plain', 'ping', '{"x":"1"}', 'p', 'processed', now() - interval '40 days', NULL),
              ('00000000-0000-0000-0000-0000000000e2', 'github', 'old-push', 'push', '{"x":"1"}', 'p', 'processed', now() - interval '40 days', NULL),
              ('00000000-0000-0000-0000-0000000000e3', 'github', 'new', 'push', '{"x":"1"}', 'p', 'processed', now() - interval '1 day', NULL),
              ('00000000-0000-0000-0000-0000000000e4', 'github', 'old-pending', 'push', '{"x":"1"}', 'p', 'received', now() - interval '40 days', NULL);
            INSERT INTO repository_pushes (delivery_id, project_id, ref, before_sha, after_sha, commits)
              VALUES ('00000000-0000-0000-0000-0000000000e2', @p1, 'refs/heads/main', 'a', 'b', '[]');
            INSERT INTO usage_events (at, function_name, status, duration_ms) VALUES
              (now() - interval '100 days', 'Old', 200, 1), (now() - interval '1 day', 'New', 200, 1);
            INSERT INTO analytics_builds (granularity, period_start, project_id, branch, trigger, runs, succeeded, failed, canceled)
              VALUES ('day', now() - interval '400 days', @p1, '', 'manual', 1, 1, 0, 0);
            """, b);

        var counts = await app.Services.GetRequiredService<RetentionTimer>().PurgeAsync(CancellationToken.None);

        // Step logs: A's 10-day-old run (7 days), B's 40-day-old run (30 days), and both 400-day-old runs.
        Assert.False(await blobs.ExistsAsync(logs[aOld]));
        Assert.True(await blobs.ExistsAsync(logs[aNew]));
        Assert.True(await blobs.ExistsAsync(logs[bTen]));
        Assert.False(await blobs.ExistsAsync(logs[bForty]));
        Assert.False(await blobs.ExistsAsync(logs[bAncient]));
        Assert.False(await blobs.ExistsAsync(logs[bDeployed]));
        Assert.Equal(4, counts.StepLogRuns);

        // Artifacts past 90 days go; a blob another artifact still points at stays.
        Assert.False(await blobs.ExistsAsync(oldOnly));
        Assert.True(await blobs.ExistsAsync(shared));
        Assert.Equal(["shared-new.txt"], await NamesAsync(db, "SELECT name FROM build_artifacts ORDER BY name"));
        Assert.False(await blobs.ExistsAsync(ancientArtifact));

        // Run history: the 400-day-old run goes; the one a deployment points at stays.
        Assert.Equal(new[] { aOld, aNew, bTen, bForty, bDeployed }.Select(r => r.ToString()).Order(),
            await NamesAsync(db, "SELECT id::text FROM pipeline_runs ORDER BY id::text"));
        Assert.Equal(1, counts.Runs);

        // Webhook deliveries: the old plain one deleted, the old one a push points at emptied, pending and new kept.
        Assert.Equal(["old-push", "old-pending", "new"], await NamesAsync(db, "SELECT delivery_id FROM webhook_deliveries ORDER BY received_at, delivery_id DESC"));
        Assert.Equal(0L, await ScalarAsync<long>(db, "SELECT count(*) FROM webhook_deliveries WHERE delivery_id = 'old-push' AND (octet_length(payload) > 0 OR headers <> '{}')"));

        Assert.Equal(["New"], await NamesAsync(db, "SELECT function_name FROM usage_events WHERE function_name IN ('Old', 'New')"));
        Assert.Equal(1L, await ScalarAsync<long>(db, "SELECT count(*) FROM analytics_builds"));

        // A second purge finds nothing left to do.
        Assert.Equal(new PurgeCounts(0, 0, 0, 0, 0, 0), await app.Services.GetRequiredService<RetentionTimer>().PurgeAsync(CancellationToken.None));
    }

    [Fact]
    public async Task Retention_settings_are_validated_and_set_by_maintainers_only()
    {
        await using var app = await TestApp.StartAsync(await TestPostgres.CreateDatabaseAsync("retention-api"), TestAuth.Settings());
        var project = await CreateProjectAsync(app, "Settings");
        using var bad = await app.Client.SendAsync(TestAuth.Request(HttpMethod.Put, $"/projects/{project}/retention", "alice", """{"stepLogsDays":0,"logs":3}"""));
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        var errors = JsonDocument.Parse(await bad.Content.ReadAsStringAsync()).RootElement.GetProperty("errors");
        Assert.True(errors.TryGetProperty("stepLogsDays", out _) && errors.TryGetProperty("logs", out _));
        using var stranger = await app.Client.SendAsync(TestAuth.Request(HttpMethod.Put, $"/projects/{project}/retention", "mallory", """{"stepLogsDays":3}"""));
        Assert.Equal(HttpStatusCode.NotFound, stranger.StatusCode);
        using var read = await app.Client.SendAsync(TestAuth.Request(HttpMethod.Get, $"/projects/{project}/retention", "alice"));
        var view = JsonDocument.Parse(await read.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(JsonValueKind.Null, view.GetProperty("project").GetProperty("stepLogsDays").ValueKind);
        Assert.Equal(30, view.GetProperty("effective").GetProperty("stepLogsDays").GetInt32());
    }

    private static async Task<List<string>> NamesAsync(Database db, string sql)
    {
        await using var command = db.DataSource.CreateCommand(sql);
        await using var reader = await command.ExecuteReaderAsync();
        var names = new List<string>();
        while (await reader.ReadAsync())
        {
            names.Add(reader.GetString(0));
        }

        return names;
    }
}
