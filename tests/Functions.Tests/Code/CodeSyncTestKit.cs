using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using DevMentor.Core.Code.Sync;
using DevMentor.Functions.Tests.Builds;
using DevMentor.Functions.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace DevMentor.Functions.Tests.Code;

/// <summary>
/// An app that runs syncs (as the CodeSync orchestration; tests wait for them), a bare "remote" repository with a working
/// clone to commit and push from, and a private project on it with a developer, a viewer and an outsider.
/// </summary>
public sealed class CodeSyncTestKit : IAsyncDisposable
{
    public const string Owner = "owner-s";
    public const string Developer = "developer-s";
    public const string Viewer = "viewer-s";
    public const string Outsider = "outsider-s";

    private CodeSyncTestKit(TestApp app, string root, string connectionString)
    {
        App = app;
        Root = root;
        ConnectionString = connectionString;
        Remote = Path.Combine(root, "remote.git");
        Work = Path.Combine(root, "work");
    }

    public TestApp App { get; private set; }
    public string Root { get; }
    public string ConnectionString { get; }
    public string Remote { get; }
    public string Work { get; }

    public static string ReposRoot { get; } = Path.Combine(TestPostgres.ScratchRoot, "sync-repos");

    public static async Task<CodeSyncTestKit> StartAsync(string purpose, params (string Key, string? Value)[] extra)
    {
        var connectionString = await TestPostgres.CreateDatabaseAsync(purpose);
        var root = Path.Combine(ReposRoot, purpose + "-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(root);
        return WithRepositories(new CodeSyncTestKit(await StartAppAsync(connectionString, extra), root, connectionString));
    }

    /// <summary>
    /// A kit on this kit's app and database with a remote and working clone of its own, for a class whose tests share one
    /// app (<see cref="SharedApp"/>): each test still starts from an empty remote. Disposing it leaves the app running.
    /// </summary>
    public CodeSyncTestKit WithNewRepositories(string purpose)
    {
        var root = Path.Combine(ReposRoot, purpose + "-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(root);
        return WithRepositories(new CodeSyncTestKit(App, root, ConnectionString));
    }

    private static CodeSyncTestKit WithRepositories(CodeSyncTestKit kit)
    {
        GitCli.Run(kit.Root, "init", "--quiet", "--bare", "remote.git");
        GitCli.Run(kit.Root, "init", "--quiet", "work");
        GitCli.Run(kit.Work, "remote", "add", "origin", kit.Remote);
        return kit;
    }

    /// <summary>One app and database for a test class (its tests run one after another): see <see cref="WithNewRepositories"/>.</summary>
    public sealed class SharedApp : IAsyncLifetime
    {
        public CodeSyncTestKit Kit { get; private set; } = null!;

        public async Task InitializeAsync() => Kit = await StartAsync("classapp");

        public async Task DisposeAsync() => await Kit.DisposeAsync();
    }

    public static Task<TestApp> StartAppAsync(string connectionString, params (string Key, string? Value)[] extra) =>
        TestApp.StartAsync(connectionString, TestAuth.Settings([
            ("Sync:Enabled", "true"),
            ("Pipelines:Runner:Enabled", "false"),
            ("Deployments:Worker:Enabled", "false"),
            ("Repositories:AllowedLocalPaths", ReposRoot),
            .. extra]));

    public async Task RestartAsync()
    {
        await App.DisposeAsync();
        App = await StartAppAsync(ConnectionString);
    }

    public ValueTask DisposeAsync() => App.DisposeAsync();

    public CodeSyncService Syncs => App.Services.GetRequiredService<CodeSyncService>();

    public CodeSyncSweep Sweep => App.Services.GetRequiredService<CodeSyncSweep>();

    /// <summary>Writes files into the working clone (null content deletes), commits and pushes to the remote's branch.</summary>
    public string Commit(IReadOnlyDictionary<string, string?> files, string message = "change", string branch = "main", bool force = false)
    {
        foreach (var (path, content) in files)
        {
            var full = Path.Combine(Work, path);
            if (content is null)
            {
                File.Delete(full);
                continue;
            }

            Directory.CreateDirectory(Path.GetDirectoryName(full)!);
            File.WriteAllText(full, content);
        }

        var sha = GitCli.CommitAll(Work, message);
        GitCli.Run(Work, force ? ["push", "--quiet", "--force", "origin", $"HEAD:refs/heads/{branch}"] : ["push", "--quiet", "origin", $"HEAD:refs/heads/{branch}"]);
        return sha;
    }

    /// <summary>Waits until no sync of this database is queued or running (their orchestrations recorded how they ended).</summary>
    public async Task DrainAsync()
    {
        var deadline = Stopwatch.StartNew();
        await using var connection = new Npgsql.NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var unfinished = new Npgsql.NpgsqlCommand("SELECT count(*) FROM code_syncs WHERE status IN ('queued', 'running')", connection);
        while ((long)(await unfinished.ExecuteScalarAsync())! > 0)
        {
            Assert.True(deadline.Elapsed < TimeSpan.FromMinutes(2), "the syncs did not finish");
            await Task.Delay(50);
        }
    }

    public Task<HttpResponseMessage> SendAsync(HttpMethod method, string url, string? user, string? json = null) =>
        App.Client.SendAsync(TestAuth.Request(method, url, user, json));

    public async Task<JsonElement> GetJsonAsync(string url, string user = Viewer)
    {
        using var response = await SendAsync(HttpMethod.Get, url, user);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{url}: {response.StatusCode} {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    public async Task<Guid> CreateProjectAsync(string visibility = "private", string provider = "git", string? fullName = null, string defaultBranch = "main")
    {
        var body = JsonSerializer.Serialize(new
        {
            name = "s-" + Guid.NewGuid().ToString("N")[..8],
            visibility,
            repository = new { provider, fullName, cloneUrl = new Uri(Remote).AbsoluteUri, defaultBranch },
        });
        using var response = await SendAsync(HttpMethod.Post, "/projects", Owner, body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, text);
        var id = JsonDocument.Parse(text).RootElement.GetProperty("id").GetGuid();
        foreach (var (user, role) in new[] { (Developer, "developer"), (Viewer, "viewer") })
        {
            using var added = await SendAsync(HttpMethod.Put, $"/projects/{id}/collaborators/{user}", Owner, JsonSerializer.Serialize(new { role }));
            Assert.True(added.IsSuccessStatusCode, await added.Content.ReadAsStringAsync());
        }

        return id;
    }

    /// <summary>POST /projects/{id}/syncs as the developer, then runs the queue.</summary>
    public async Task<JsonElement> SyncAsync(Guid projectId, string? gitRef = null)
    {
        using var started = await SendAsync(HttpMethod.Post, $"/projects/{projectId}/syncs" + (gitRef is null ? "" : "?ref=" + Uri.EscapeDataString(gitRef)), Developer);
        var text = await started.Content.ReadAsStringAsync();
        Assert.True(started.StatusCode == HttpStatusCode.Accepted, text);
        await DrainAsync();
        var id = JsonDocument.Parse(text).RootElement.GetProperty("id").GetGuid();
        var syncs = await GetJsonAsync($"/projects/{projectId}/syncs?limit=100");
        return syncs.GetProperty("items").EnumerateArray().Single(s => s.GetProperty("id").GetGuid() == id);
    }

    /// <summary>
    /// A commit of <paramref name="files"/> generated files (about <paramref name="linesPerFile"/> lines each)
    /// written straight into the remote with git fast-import: seconds, where a working tree would take minutes.
    /// </summary>
    public string FastImport(int files, int linesPerFile, string branch = "main")
    {
        var stream = new StringBuilder();
        var extensions = new[] { ".cs", ".py", ".js", ".go", ".md" };
        for (var i = 0; i < files; i++)
        {
            var ext = extensions[i % extensions.Length];
            var content = new StringBuilder();
            content.Append(ext == ".py" ? "# generated\n" : ext == ".md" ? "# Title\n" : "// generated\n");
            for (var line = 1; line < linesPerFile; line++)
            {
                content.Append(ext == ".md" ? $"Line {line} of file {i}.\n" : $"x{line} = {i} + {line};\n");
            }

            var bytes = Encoding.UTF8.GetByteCount(content.ToString());
            stream.Append(CultureInvariant($"blob\nmark :{i + 1}\ndata {bytes}\n")).Append(content).Append('\n');
        }

        stream.Append(CultureInvariant($"commit refs/heads/{branch}\ncommitter Gen <gen@devmentor.invalid> 1700000000 +0000\ndata 9\ngenerated\n"));
        for (var i = 0; i < files; i++)
        {
            stream.Append(CultureInvariant($"M 100644 :{i + 1} dir{i / 100:D3}/file{i:D5}{extensions[i % extensions.Length]}\n"));
        }

        stream.Append('\n');
        return RunFastImport(Remote, stream.ToString(), branch);
    }

    /// <summary>Feeds a git fast-import stream to the repository at <paramref name="repository"/>; returns the branch's new head.</summary>
    public static string RunFastImport(string repository, string stream, string branch)
    {
        var start = new ProcessStartInfo("git", ["fast-import", "--quiet"]) { WorkingDirectory = repository, RedirectStandardInput = true, RedirectStandardError = true, UseShellExecute = false };
        start.Environment["GIT_CONFIG_GLOBAL"] = "/dev/null";
        using var process = Process.Start(start)!;
        process.StandardInput.Write(stream);
        process.StandardInput.Close();
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, error);
        return GitCli.Run(repository, "rev-parse", $"refs/heads/{branch}");
    }

    private static string CultureInvariant(FormattableString text) => FormattableString.Invariant(text);
}
