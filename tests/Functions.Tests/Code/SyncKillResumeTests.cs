using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using DevMentor.Functions.Tests.Builds;
using DevMentor.Functions.Tests.Infrastructure;
using Npgsql;

namespace DevMentor.Functions.Tests.Code;

/// <summary>
/// The real executable is SIGKILLed while the CodeSync orchestration of a generated repository is inside
/// one of its stage activities; restarted on the same database, data directory (mirror) and task hub, the
/// orchestration replays, the interrupted activity runs again, the stages done before it do not, and the
/// result has exactly the rows a clean sync of the same commit has.
/// </summary>
public sealed class SyncKillResumeTests
{
    private const string AdminKey = "sync-kill-admin-key-0123456789abcdef";
    private const int Files = 6000;

    /// <summary>Code files of every analysed kind and, one per folder, a package.json: all stages have work.</summary>
    private static string Generate(string remote)
    {
        var stream = new StringBuilder();
        var paths = new List<string>();
        var extensions = new[] { ".cs", ".py", ".js", ".go" };
        for (var i = 0; i < Files; i++)
        {
            var manifest = i % 100 == 0;
            var path = manifest ? $"pkg{i / 100:D3}/package.json" : $"pkg{i / 100:D3}/file{i:D5}{extensions[i % extensions.Length]}";
            var content = new StringBuilder();
            if (manifest)
            {
                content.Append(FormattableString.Invariant($$$"""{"dependencies":{"left-pad":"1.{{{i / 100}}}.0","lib-{{{i}}}":"^2.0.0"},"devDependencies":{"jest":"^29.0.0"}}"""));
            }
            else
            {
                content.Append(path.EndsWith(".py", StringComparison.Ordinal) ? "# generated\n" : "// generated\n");
                for (var line = 1; line < 40; line++)
                {
                    content.Append(FormattableString.Invariant($"x{line} = {i} + {line};\n"));
                }
            }

            paths.Add(path);
            stream.Append(FormattableString.Invariant($"blob\nmark :{i + 1}\ndata {Encoding.UTF8.GetByteCount(content.ToString())}\n")).Append(content).Append('\n');
        }

        stream.Append("commit refs/heads/main\ncommitter Gen <gen@devmentor.invalid> 1700000000 +0000\ndata 9\ngenerated\n");
        for (var i = 0; i < paths.Count; i++)
        {
            stream.Append(FormattableString.Invariant($"M 100644 :{i + 1} {paths[i]}\n"));
        }

        stream.Append('\n');
        return CodeSyncTestKit.RunFastImport(remote, stream.ToString(), "main");
    }

    [Fact]
    public async Task A_sync_killed_inside_a_stage_resumes_there_after_a_restart_and_writes_the_rows_of_a_clean_sync_once()
    {
        var connectionString = await TestPostgres.CreateDatabaseAsync("sync_kill");
        var work = Directory.CreateTempSubdirectory("sync-kill-").FullName;
        var remote = Path.Combine(work, "remote.git");
        GitCli.Run(work, "init", "--quiet", "--bare", "remote.git");
        var head = Generate(remote);
        var environment = new Dictionary<string, string?>
        {
            ["ConnectionStrings__Postgres"] = connectionString,
            ["DEVMENTOR_DATA_DIR"] = Path.Combine(work, "data"),
            ["Auth__BootstrapApiKey"] = AdminKey,
            ["Scheduler__Enabled"] = "false",
            ["Pipelines__Runner__Enabled"] = "false",
            ["Deployments__Worker__Enabled"] = "false",
            // The interrupted activity's message comes back after the visibility timeout: the shortest allowed.
            ["Durable__VisibilityTimeoutSeconds"] = "5",
        };

        Guid project;
        Guid sync;
        string killedIn;
        await using (var first = ServiceProcess.Start(work, environment))
        {
            await first.WaitUntilHealthyAsync(TimeSpan.FromSeconds(60));
            project = await CreateProjectAsync(first, remote);
            sync = await StartSyncAsync(first, project);

            // Killed the moment a stage with rows to write is running.
            var watch = Stopwatch.StartNew();
            while (true)
            {
                var running = await ScalarAsync<string>(connectionString,
                    "SELECT stage FROM code_sync_stages WHERE sync_id = $1 AND status = 'running' AND stage IN ('index', 'dependencies', 'analyse')", sync);
                if (running is not null)
                {
                    first.Kill();
                    killedIn = running;
                    break;
                }

                Assert.True(await ScalarAsync<string>(connectionString, "SELECT status FROM code_syncs WHERE id = $1", sync) is not "succeeded" and not "failed",
                    "the sync ended before it could be killed mid-stage");
                Assert.True(watch.Elapsed < TimeSpan.FromMinutes(2), "no stage started");
                await Task.Delay(5);
            }

            await first.WaitForExitAsync(TimeSpan.FromSeconds(10));
        }

        Assert.Equal("running", await ScalarAsync<string>(connectionString, "SELECT status FROM code_sync_stages WHERE sync_id = $1 AND stage = $2", sync, killedIn));

        await using var second = ServiceProcess.Start(work, environment);
        await second.WaitUntilHealthyAsync(TimeSpan.FromSeconds(60));
        await WaitSucceededAsync(connectionString, sync, second);

        // Every stage completed; the killed one ran twice, every other one once (those before it were not run again).
        var stages = await RowsAsync(connectionString, "SELECT stage, status, attempts FROM code_sync_stages WHERE sync_id = $1", sync);
        Assert.Equal(["analyse", "build", "dependencies", "fetch", "index", "status"], stages.Select(s => (string)s[0]).Order(StringComparer.Ordinal));
        Assert.All(stages, s => Assert.Contains((string)s[1], new[] { "succeeded", "skipped" }));
        var attempts = stages.ToDictionary(s => (string)s[0], s => (int)s[2]);
        Assert.Equal(2, attempts[killedIn]);
        Assert.All(attempts.Where(a => a.Key != killedIn), a => Assert.True(a.Value == 1, $"stage {a.Key} ran {a.Value} times"));

        // The same orchestration resumed (its first activity, which begins the sync, ran once), not a new one started over it.
        Assert.Equal(1, await ScalarAsync<int>(connectionString, "SELECT attempts FROM code_syncs WHERE id = $1", sync));

        // A clean sync of the same commit in another project: the same rows, none doubled.
        var clean = await CreateProjectAsync(second, remote);
        await WaitSucceededAsync(connectionString, await StartSyncAsync(second, clean), second);
        foreach (var table in new[] { "code_files", "code_dependencies", "code_manifest_errors", "code_commits" })
        {
            var resumed = await ScalarAsync<long>(connectionString, $"SELECT count(*) FROM {table} WHERE project_id = $1 AND commit_sha = $2", project, head);
            var reference = await ScalarAsync<long>(connectionString, $"SELECT count(*) FROM {table} WHERE project_id = $1 AND commit_sha = $2", clean, head);
            Assert.True(resumed == reference, $"{table}: {resumed} rows after the resumed sync, {reference} after a clean one");
        }

        foreach (var table in new[] { "code_blob_metrics", "code_search_files" })
        {
            Assert.Equal(
                await ScalarAsync<long>(connectionString, $"SELECT count(*) FROM {table} WHERE project_id = $1", clean),
                await ScalarAsync<long>(connectionString, $"SELECT count(*) FROM {table} WHERE project_id = $1", project));
        }

        Assert.Equal(Files, await ScalarAsync<long>(connectionString, "SELECT count(*) FROM code_files WHERE project_id = $1 AND commit_sha = $2", project, head));
        Assert.Equal(Files / 100 * 3, await ScalarAsync<long>(connectionString, "SELECT count(*) FROM code_dependencies WHERE project_id = $1 AND commit_sha = $2", project, head));
    }

    private static async Task<Guid> CreateProjectAsync(ServiceProcess service, string remote)
    {
        var body = JsonSerializer.Serialize(new
        {
            name = "k-" + Guid.NewGuid().ToString("N")[..8],
            visibility = "private",
            repository = new { provider = "git", cloneUrl = new Uri(remote).AbsoluteUri, defaultBranch = "main" },
        });
        using var request = new HttpRequestMessage(HttpMethod.Post, "/projects") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Add("X-Api-Key", AdminKey);
        using var response = await service.Client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, text);
        return JsonDocument.Parse(text).RootElement.GetProperty("id").GetGuid();
    }

    private static async Task<Guid> StartSyncAsync(ServiceProcess service, Guid project)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/projects/{project}/syncs");
        request.Headers.Add("X-Api-Key", AdminKey);
        using var response = await service.Client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, text);
        return JsonDocument.Parse(text).RootElement.GetProperty("id").GetGuid();
    }

    private static async Task WaitSucceededAsync(string connectionString, Guid sync, ServiceProcess service)
    {
        var watch = Stopwatch.StartNew();
        string? status;
        while ((status = await ScalarAsync<string>(connectionString, "SELECT status FROM code_syncs WHERE id = $1", sync)) != "succeeded")
        {
            Assert.True(status != "failed" && watch.Elapsed < TimeSpan.FromMinutes(3), $"sync {status}:\n{service.Output}");
            await Task.Delay(100);
        }
    }

    private static async Task<T?> ScalarAsync<T>(string connectionString, string sql, params object[] parameters)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var parameter in parameters)
        {
            command.Parameters.AddWithValue(parameter);
        }

        return await command.ExecuteScalarAsync() is T value ? value : default;
    }

    private static async Task<List<object[]>> RowsAsync(string connectionString, string sql, params object[] parameters)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var parameter in parameters)
        {
            command.Parameters.AddWithValue(parameter);
        }

        var rows = new List<object[]>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            var row = new object[reader.FieldCount];
            reader.GetValues(row);
            rows.Add(row);
        }

        return rows;
    }
}
