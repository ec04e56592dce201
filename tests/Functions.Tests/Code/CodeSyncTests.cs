using System.Diagnostics;
using System.Net;
using System.Text.Json;
using DevMentor.Core.Code;
using DevMentor.Core.Code.Sync;
using DevMentor.Core.Durable;
using DevMentor.Functions.Tests.Builds;
using Microsoft.Extensions.DependencyInjection;

namespace DevMentor.Functions.Tests.Code;

/// <summary>Syncs of generated repositories: every manifest type, files and their content, analysis, force-pushes, deleted branches, resumption, 10,000 files.</summary>
public sealed class CodeSyncTests : IAsyncLifetime
{
    private CodeSyncTestKit _kit = null!;

    public async Task InitializeAsync() => _kit = await CodeSyncTestKit.StartAsync("codesync");

    public async Task DisposeAsync() => await _kit.DisposeAsync();

    private const string Calculator = """
        namespace Demo;

        public sealed class Calc
        {
            // Complexity 5: if, &&, ||, ?:
            public int Branchy(int a, int b)
            {
                if (a > 0 && b > 0 || a == b)
                {
                    return a > b ? a : b;
                }

                return 0;
            }

            public int Simple() => 1; /* trailing comment */
        }
        """;

    private static Dictionary<string, string?> EveryManifest() => new()
    {
        ["package.json"] = """{"dependencies":{"react":"^18.2.0"},"devDependencies":{"jest":"^29.0.0"}}""",
        ["package-lock.json"] = """{"lockfileVersion":3,"packages":{"":{"dependencies":{"react":"^18.2.0"}},"node_modules/react":{"version":"18.2.0"},"node_modules/loose-envify":{"version":"1.4.0"}}}""",
        ["src/App/App.csproj"] = """<Project Sdk="Microsoft.NET.Sdk"><ItemGroup><PackageReference Include="Npgsql" Version="10.0.0" /></ItemGroup></Project>""",
        ["src/App/packages.lock.json"] = """{"version":1,"dependencies":{"net10.0":{"Npgsql":{"type":"Direct","requested":"[10.0.0, )","resolved":"10.0.0"},"Microsoft.Extensions.Logging.Abstractions":{"type":"Transitive","resolved":"10.0.0"}}}}""",
        ["Directory.Packages.props"] = """<Project><ItemGroup><PackageVersion Include="Octokit" Version="14.0.0" /></ItemGroup></Project>""",
        ["requirements.txt"] = "django==4.2.1\n",
        ["py/pyproject.toml"] = "[project]\ndependencies = [\"httpx>=0.27\"]\n",
        ["py/poetry.lock"] = "[[package]]\nname = \"httpx\"\nversion = \"0.27.2\"\n",
        ["go.mod"] = "module example.com/app\n\nrequire github.com/pkg/errors v0.9.1\n",
        ["go.sum"] = "github.com/pkg/errors v0.9.1 h1:abc=\n",
        ["rs/Cargo.toml"] = "[dependencies]\nserde = \"1.0\"\n",
        ["rs/Cargo.lock"] = "[[package]]\nname = \"serde\"\nversion = \"1.0.210\"\n",
        ["pom.xml"] = "<project><dependencies><dependency><groupId>com.google.guava</groupId><artifactId>guava</artifactId><version>33.0.0-jre</version></dependency></dependencies></project>",
        ["broken/package.json"] = "{\"dependencies\": ",
        ["src/App/Calc.cs"] = Calculator,
        ["big/large.txt"] = new string('x', 100) + "\n" + string.Concat(Enumerable.Repeat(new string('y', 1023) + "\n", 1100)),
    };

    [Fact]
    public async Task A_sync_indexes_files_parses_every_manifest_type_and_analyses_code_with_each_stage_recorded()
    {
        var project = await _kit.CreateProjectAsync();
        var head = _kit.Commit(EveryManifest());
        File.WriteAllBytes(Path.Combine(_kit.Work, "logo.bin"), [0x89, 0x50, 0x00, 0x01, 0x02, 0x00]);
        head = _kit.Commit(new Dictionary<string, string?>(), "binary");

        var sync = await _kit.SyncAsync(project);
        Assert.True(sync.GetProperty("status").GetString() == "succeeded", sync.ToString());
        Assert.Equal(head, sync.GetProperty("commitSha").GetString());
        var stages = sync.GetProperty("stages").EnumerateArray().ToDictionary(s => s.GetProperty("stage").GetString()!, s => s.GetProperty("status").GetString());
        Assert.Equal(new Dictionary<string, string?>
        {
            ["fetch"] = "succeeded", ["index"] = "succeeded", ["dependencies"] = "succeeded", ["analyse"] = "succeeded",
            ["build"] = "skipped", ["status"] = "skipped", // a manual sync asks for no build; a plain git remote takes no status
        }, stages);
        Assert.Contains("unreadable manifests", sync.GetProperty("summary").GetString(), StringComparison.Ordinal);

        // Dependencies: every ecosystem, lock files merged into the manifests' rows, the broken manifest reported.
        var dependencies = await _kit.GetJsonAsync($"/projects/{project}/dependencies");
        var rows = dependencies.GetProperty("items").EnumerateArray().ToList();
        Assert.Equal(["cargo", "go", "maven", "npm", "nuget", "pypi"], rows.Select(r => r.GetProperty("ecosystem").GetString()!).Distinct().Order().ToArray());
        var react = rows.Single(r => r.GetProperty("name").GetString() == "react");
        Assert.Equal(("^18.2.0", "18.2.0", true), (react.GetProperty("declared").GetString(), react.GetProperty("resolved").GetString(), react.GetProperty("direct").GetBoolean()));
        Assert.Equal("1.0.210", rows.Single(r => r.GetProperty("name").GetString() == "serde").GetProperty("resolved").GetString());
        var error = Assert.Single(dependencies.GetProperty("errors").EnumerateArray());
        Assert.Equal("broken/package.json", error.GetProperty("path").GetString());
        var directNpm = await _kit.GetJsonAsync($"/projects/{project}/dependencies?ecosystem=npm&direct=true");
        Assert.Equal(["jest", "react"], directNpm.GetProperty("items").EnumerateArray().Select(r => r.GetProperty("name").GetString()!).Order().ToArray());

        // Analysis: the known method's complexity first; the binary and the file over 1 MiB are indexed, not analysed.
        var analysis = await _kit.GetJsonAsync($"/projects/{project}/analysis?ref=main");
        var top = analysis.GetProperty("mostComplexMethods")[0];
        Assert.Equal(("src/App/Calc.cs", "Calc.Branchy", 5), (top.GetProperty("path").GetString(), top.GetProperty("name").GetString(), top.GetProperty("complexity").GetInt32()));
        Assert.Equal(EveryManifest().Count + 1, analysis.GetProperty("files").GetInt32());
        Assert.Equal(EveryManifest().Count - 1, analysis.GetProperty("analysedFiles").GetInt32());
        var csharp = analysis.GetProperty("languages").EnumerateArray().Single(l => l.GetProperty("language").GetString() == "C#");
        Assert.Equal((13, 1, 3), (csharp.GetProperty("code").GetInt32(), csharp.GetProperty("comment").GetInt32(), csharp.GetProperty("blank").GetInt32()));
        Assert.Equal("Calc", analysis.GetProperty("leastMaintainableTypes")[0].GetProperty("name").GetString());
    }

    [Fact]
    public async Task Files_list_by_keyset_pages_and_content_has_the_blob_sha_as_etag_raw_or_json()
    {
        var project = await _kit.CreateProjectAsync();
        _kit.Commit(EveryManifest());
        File.WriteAllBytes(Path.Combine(_kit.Work, "logo.bin"), [0x89, 0x50, 0x00, 0x01, 0x02, 0x00]);
        var head = _kit.Commit(new Dictionary<string, string?>(), "binary");
        await _kit.SyncAsync(project);

        // Root, not recursive: files and folders once each, in path order.
        var root = await _kit.GetJsonAsync($"/projects/{project}/files");
        var entries = root.GetProperty("items").EnumerateArray().Select(e => (e.GetProperty("path").GetString(), e.GetProperty("kind").GetString())).ToList();
        Assert.Contains(("src", "directory"), entries);
        Assert.Contains(("package.json", "file"), entries);
        Assert.DoesNotContain(entries, e => e.Item1!.Contains('/', StringComparison.Ordinal));
        Assert.Equal(head, root.GetProperty("commit").GetString());

        // Recursive, three at a time: every file exactly once.
        var paths = new List<string>();
        string? cursor = null;
        do
        {
            var page = await _kit.GetJsonAsync($"/projects/{project}/files?recursive=true&limit=3" + (cursor is null ? "" : "&cursor=" + Uri.EscapeDataString(cursor)));
            paths.AddRange(page.GetProperty("items").EnumerateArray().Select(e => e.GetProperty("path").GetString()!));
            cursor = page.GetProperty("nextCursor").GetString();
        }
        while (cursor is not null);
        Assert.Equal(EveryManifest().Count + 1, paths.Count);
        Assert.Equal(paths.Order(StringComparer.Ordinal), paths);
        var sub = await _kit.GetJsonAsync($"/projects/{project}/files?path=src/App");
        Assert.Equal(["src/App/App.csproj", "src/App/Calc.cs", "src/App/packages.lock.json"], sub.GetProperty("items").EnumerateArray().Select(e => e.GetProperty("path").GetString()));

        // Content: raw bytes, ETag = the blob sha git reports; If-None-Match answers 304.
        var blob = GitCli.Run(_kit.Work, "rev-parse", "HEAD:src/App/Calc.cs");
        using (var raw = await _kit.SendAsync(HttpMethod.Get, $"/projects/{project}/files/src/App/Calc.cs", CodeSyncTestKit.Viewer))
        {
            Assert.Equal(HttpStatusCode.OK, raw.StatusCode);
            Assert.Equal($"\"{blob}\"", raw.Headers.ETag!.Tag);
            Assert.Equal(Calculator, await raw.Content.ReadAsStringAsync());
            Assert.StartsWith("text/plain", raw.Content.Headers.ContentType!.ToString(), StringComparison.Ordinal);
        }

        using (var conditional = TestAuthRequest(HttpMethod.Get, $"/projects/{project}/files/src/App/Calc.cs"))
        {
            conditional.Headers.TryAddWithoutValidation("If-None-Match", $"\"{blob}\"");
            using var notModified = await _kit.App.Client.SendAsync(conditional);
            Assert.Equal(HttpStatusCode.NotModified, notModified.StatusCode);
        }

        using (var asJson = TestAuthRequest(HttpMethod.Get, $"/projects/{project}/files/logo.bin"))
        {
            asJson.Headers.Accept.ParseAdd("application/json");
            using var response = await _kit.App.Client.SendAsync(asJson);
            var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
            Assert.Equal("base64", body.GetProperty("encoding").GetString());
            Assert.Equal([0x89, 0x50, 0x00, 0x01, 0x02, 0x00], Convert.FromBase64String(body.GetProperty("content").GetString()!));
        }

        using (var text = TestAuthRequest(HttpMethod.Get, $"/projects/{project}/files/go.mod?ref={head}"))
        {
            text.Headers.Accept.ParseAdd("application/json");
            using var response = await _kit.App.Client.SendAsync(text);
            var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
            Assert.Equal(("utf-8", "module example.com/app\n\nrequire github.com/pkg/errors v0.9.1\n"), (body.GetProperty("encoding").GetString(), body.GetProperty("content").GetString()));
        }

        foreach (var (url, status) in new[]
        {
            ($"/projects/{project}/files/nope.txt", HttpStatusCode.NotFound),
            ($"/projects/{project}/files/src", HttpStatusCode.NotFound), // a folder is not a file
            ($"/projects/{project}/files?path=missing", HttpStatusCode.NotFound),
            ($"/projects/{project}/files/src/..%2F..%2Fetc/passwd", HttpStatusCode.BadRequest),
            ($"/projects/{project}/files?path=a%00b", HttpStatusCode.BadRequest), // in the path itself the server refuses NUL before any function runs
            ($"/projects/{project}/files?path=src/../..", HttpStatusCode.BadRequest),
            ($"/projects/{project}/files?ref=-x", HttpStatusCode.BadRequest),
            ($"/projects/{project}/files?ref=nosuchbranch", HttpStatusCode.NotFound),
            ($"/projects/{project}/files?limit=0", HttpStatusCode.BadRequest),
        })
        {
            using var response = await _kit.SendAsync(HttpMethod.Get, url, CodeSyncTestKit.Viewer);
            Assert.True(status == response.StatusCode, $"{url}: {response.StatusCode} {await response.Content.ReadAsStringAsync()}");
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
        }

        // An outsider learns nothing of a private project; a viewer may not start a sync.
        using (var outsider = await _kit.SendAsync(HttpMethod.Get, $"/projects/{project}/files/go.mod", CodeSyncTestKit.Outsider))
        {
            Assert.Equal(HttpStatusCode.NotFound, outsider.StatusCode);
        }

        using (var viewerSync = await _kit.SendAsync(HttpMethod.Post, $"/projects/{project}/syncs", CodeSyncTestKit.Viewer))
        {
            Assert.Equal(HttpStatusCode.Forbidden, viewerSync.StatusCode);
        }
    }

    private static HttpRequestMessage TestAuthRequest(HttpMethod method, string url) => Infrastructure.TestAuth.Request(method, url, CodeSyncTestKit.Viewer);

    [Fact]
    public async Task A_force_push_replaces_the_branch_and_a_deleted_branch_is_no_longer_served_while_old_commits_stay_readable()
    {
        var project = await _kit.CreateProjectAsync();
        var first = _kit.Commit(new Dictionary<string, string?> { ["a.txt"] = "old history\n" });
        await _kit.SyncAsync(project);

        // Rewrite history: an unrelated commit force-pushed over main.
        GitCli.Run(_kit.Work, "checkout", "--quiet", "--orphan", "rewrite");
        GitCli.Run(_kit.Work, "rm", "-rf", "--quiet", ".");
        var rewritten = _kit.Commit(new Dictionary<string, string?> { ["b.txt"] = "new history\n" }, "rewrite", force: true);
        await _kit.Syncs.EnqueueAsync(new SyncRequest(project, rewritten, "refs/heads/main", first, null, "push"), CancellationToken.None);
        await _kit.DrainAsync();

        var syncs = await _kit.GetJsonAsync($"/projects/{project}/syncs");
        var latest = syncs.GetProperty("items")[0];
        Assert.Equal((rewritten, true, "succeeded"), (latest.GetProperty("commitSha").GetString(), latest.GetProperty("forced").GetBoolean(), latest.GetProperty("status").GetString()));
        var main = await _kit.GetJsonAsync($"/projects/{project}/files?ref=main");
        Assert.Equal(["b.txt"], main.GetProperty("items").EnumerateArray().Select(e => e.GetProperty("path").GetString()));
        var old = await _kit.GetJsonAsync($"/projects/{project}/files?ref={first}");
        Assert.Equal(["a.txt"], old.GetProperty("items").EnumerateArray().Select(e => e.GetProperty("path").GetString()));

        // A branch synced, then deleted on the remote: its name no longer resolves; its commit does.
        var feature = _kit.Commit(new Dictionary<string, string?> { ["f.txt"] = "feature\n" }, "feature", branch: "feature");
        await _kit.SyncAsync(project, "feature");
        Assert.Equal(feature, (await _kit.GetJsonAsync($"/projects/{project}/files?ref=feature")).GetProperty("commit").GetString());
        GitCli.Run(_kit.Work, "push", "--quiet", "origin", ":refs/heads/feature");
        Assert.True(await _kit.Syncs.RefDeletedAsync(project, "refs/heads/feature", CancellationToken.None));
        using (var gone = await _kit.SendAsync(HttpMethod.Get, $"/projects/{project}/files?ref=feature", CodeSyncTestKit.Viewer))
        {
            Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
        }

        Assert.Equal(feature, (await _kit.GetJsonAsync($"/projects/{project}/files?ref={feature}")).GetProperty("commit").GetString());
    }

    [Fact]
    public async Task A_sync_stored_but_never_started_is_started_by_the_sweep_once_and_resumes_at_its_first_unfinished_stage()
    {
        var project = await _kit.CreateProjectAsync();
        var head = _kit.Commit(new Dictionary<string, string?> { ["package.json"] = """{"dependencies":{"left-pad":"1.3.0"}}""", ["a.py"] = "# c\nx = 1\n" });
        var request = new SyncRequest(project, head, "refs/heads/main", null, null, "push");

        // Stored (as the push's processing does) but its orchestration never scheduled; an earlier run finished fetch and
        // index and died inside the dependencies stage; then the service restarted.
        var store = _kit.App.Services.GetRequiredService<CodeStore>();
        var (stored, created) = await store.EnqueueAsync(request, CancellationToken.None);
        Assert.True(created);
        var begun = await store.BeginAsync(stored.Id, CancellationToken.None);
        foreach (var stage in new[] { SyncStages.Fetch, SyncStages.Index })
        {
            Assert.Equal("succeeded", await _kit.Syncs.RunStageOnceAsync(begun!, stage, CancellationToken.None));
        }

        await store.StartStageAsync(stored.Id, SyncStages.Dependencies, CancellationToken.None);
        await _kit.RestartAsync();
        store = _kit.App.Services.GetRequiredService<CodeStore>();
        await _kit.App.Services.GetRequiredService<DurableClientSource>().GetAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(60));

        // A sync younger than the grace is left to the request that stored it; an older one gets its instance, once.
        Assert.Equal(0, await _kit.Sweep.SweepAsync(CodeSyncSweep.Grace, CancellationToken.None));
        Assert.Equal(1, await _kit.Sweep.SweepAsync(TimeSpan.Zero, CancellationToken.None));
        Assert.Equal(0, await _kit.Sweep.SweepAsync(TimeSpan.Zero, CancellationToken.None));
        await _kit.DrainAsync();

        var resumed = await store.GetSyncAsync(stored.Id, CancellationToken.None);
        Assert.Equal("succeeded", resumed!.Status);
        var attempts = resumed.Stages.ToDictionary(s => s.Stage, s => s.Attempts);
        Assert.Equal(1, attempts[SyncStages.Fetch]);
        Assert.Equal(1, attempts[SyncStages.Index]);
        Assert.Equal(2, attempts[SyncStages.Dependencies]);
        var dependencies = await _kit.GetJsonAsync($"/projects/{project}/dependencies");
        Assert.Equal("left-pad", Assert.Single(dependencies.GetProperty("items").EnumerateArray()).GetProperty("name").GetString());

        // Asked again for the same commit, and swept again: nothing new runs.
        Assert.Equal(stored.Id, (await _kit.Syncs.EnqueueAsync(request, CancellationToken.None)).Id);
        Assert.Equal(0, await _kit.Sweep.SweepAsync(TimeSpan.Zero, CancellationToken.None));
        var again = await store.GetSyncAsync(stored.Id, CancellationToken.None);
        Assert.Equal(("succeeded", 2), (again!.Status, again.Stages.Single(s => s.Stage == SyncStages.Dependencies).Attempts));
        Assert.Single((await _kit.GetJsonAsync($"/projects/{project}/syncs")).GetProperty("items").EnumerateArray());
    }

    [Fact]
    public async Task A_repository_of_10000_files_syncs_in_seconds_and_lists_in_pages()
    {
        var project = await _kit.CreateProjectAsync();
        var generated = Stopwatch.StartNew();
        var head = _kit.FastImport(10_000, 20);
        generated.Stop();
        var synced = Stopwatch.StartNew();
        var sync = await _kit.SyncAsync(project);
        synced.Stop();
        Assert.Equal(("succeeded", head), (sync.GetProperty("status").GetString(), sync.GetProperty("commitSha").GetString()));
        Assert.True(synced.Elapsed < TimeSpan.FromSeconds(90), $"sync took {synced.Elapsed}");

        var analysis = await _kit.GetJsonAsync($"/projects/{project}/analysis");
        Assert.Equal(10_000, analysis.GetProperty("files").GetInt32());
        Assert.Equal((8000 * 19) + (2000 * 20), analysis.GetProperty("code").GetInt32()); // Markdown has no comments: its title line is text
        Assert.Equal(8000, analysis.GetProperty("comment").GetInt32()); // every file but the Markdown ones opens with a comment line

        var root = await _kit.GetJsonAsync($"/projects/{project}/files?limit=1000");
        Assert.Equal(100, root.GetProperty("items").GetArrayLength());
        var count = 0;
        string? cursor = null;
        do
        {
            var page = await _kit.GetJsonAsync($"/projects/{project}/files?recursive=true&limit=1000" + (cursor is null ? "" : "&cursor=" + Uri.EscapeDataString(cursor)));
            count += page.GetProperty("items").GetArrayLength();
            cursor = page.GetProperty("nextCursor").GetString();
        }
        while (cursor is not null);
        Assert.Equal(10_000, count);
        Console.WriteLine($"[sync-10k] generated in {generated.ElapsedMilliseconds} ms, synced in {synced.ElapsedMilliseconds} ms");
    }
}
