using System.Diagnostics;
using System.Formats.Tar;
using System.IO.Compression;
using System.Net;
using System.Text.Json;
using DevMentor.Functions.Tests.HostedGit;
using DevMentor.Functions.Tests.Infrastructure;
using DevMentor.Functions.Tests.Pipelines;

namespace DevMentor.Functions.Tests.Creation;

/// <summary>
/// The templates CreationTests does not build end to end (it does node-express and go-http), each created as a
/// hosted project and built by the service's own pipeline: all four at once in one app, the slow .NET build
/// alongside the others. python-fastapi's first build cannot go green here: its install step needs PyPI, which
/// this machine cannot reach; the test shows the flow and the build getting exactly that far, and failing there
/// with pip's own reason. Images: dotnet-webapi's Containerfile is built by the run's image step and pushed to the
/// local registry, its base image pulled through Registry:RegistriesConf from a mirror on that registry (no
/// mcr.microsoft.com here: the mirror holds a stand-in made FROM scratch; the Containerfile has no RUN line, so
/// the stand-in changes nothing the build does).
/// </summary>
public sealed class TemplateBuildTests
{
    private const string Owner = HostedGitKit.Owner;

    [Fact]
    public async Task Dotnet_static_site_empty_and_python_templates_are_created_hosted_and_built_by_the_service_the_dotnet_image_pushed()
    {
        var registry = TestRegistry.Host(await TestRegistry.SharedAsync());
        var instance = await CreationTests.Instance.NewAsync("create_templates");
        await using var app = await instance.StartAsync(runner: true, ("Pipelines:Runner:Workers", "3"), ("Pipelines:MaxRunningRuns", "0"),
            ("Registry:Url", $"http://{registry}/templates"),
            ("Registry:StorageRoot", PipelineTestKit.NewScratchDirectory("templates-buildah")),
            ("Registry:RegistriesConf", await Task.Run(() => MirrorWithStandInBaseImage(registry))));

        // Created together: the flows and their first builds run side by side.
        string[] templates = ["dotnet-webapi", "static-site", "empty", "python-fastapi"];
        var created = await Task.WhenAll(templates.Select(t => CreationTests.CreateAsync(app, t)));
        var projects = templates.Zip(created, (t, c) => (Template: t, c.Id)).ToDictionary(p => p.Template, p => p.Id);
        var finished = await Task.WhenAll(templates.Select(async t =>
        {
            var creation = await CreationTests.WaitForFlowAsync(app, projects[t], "succeeded", TimeSpan.FromMinutes(4));
            var run = await CreationTests.WaitForJsonAsync(app, $"/projects/{projects[t]}/builds/{creation.GetProperty("firstBuildId").GetGuid()}",
                r => r.GetProperty("status").GetString() is "succeeded" or "failed" or "canceled" or "timed_out", TimeSpan.FromMinutes(8));
            return (Template: t, Creation: creation, Run: run);
        }));
        var results = finished.ToDictionary(f => f.Template);

        foreach (var (template, creation, _) in finished)
        {
            Assert.All(creation.GetProperty("steps").EnumerateArray(), s => Assert.True(
                s.GetProperty("state").GetString() == "succeeded" && s.GetProperty("attempts").GetInt32() == 1, $"{template}: {s.GetRawText()}"));
        }

        Assert.Contains(".NET packages are restored by the first build", Detail(results["dotnet-webapi"].Creation), StringComparison.Ordinal);
        Assert.Contains("Python dependencies are installed by the first build", Detail(results["python-fastapi"].Creation), StringComparison.Ordinal);
        Assert.Equal("no dependency manifest", Detail(results["static-site"].Creation));
        Assert.Equal("no dependency manifest", Detail(results["empty"].Creation));

        // dotnet-webapi: restored, its xunit tests counted from the TRX, published, the publish output kept.
        var dotnet = await GreenAsync(app, projects["dotnet-webapi"], results["dotnet-webapi"].Run, ["clone", "install", "test", "build", "image"]);
        var tests = dotnet.GetProperty("tests");
        Assert.Equal((2, 0), (tests.GetProperty("passed").GetInt32(), tests.GetProperty("failed").GetInt32()));
        Assert.Contains(".devmentor-out/publish/api/Api.dll", await ArtifactNamesAsync(app, projects["dotnet-webapi"], dotnet));

        // Its image: pushed under the commit's tag with the recorded digest, the published Api.dll in a layer at /app.
        var outputs = dotnet.GetProperty("steps").EnumerateArray().Single(s => s.GetProperty("name").GetString() == "image").GetProperty("outputs");
        var reference = outputs.GetProperty("image").GetString()!;
        Assert.StartsWith($"{registry}/templates/{projects["dotnet-webapi"]}:", reference, StringComparison.Ordinal);
        var (digest, tags) = TestRegistry.Inspect(reference);
        Assert.Equal(outputs.GetProperty("digest").GetString(), digest);
        Assert.Contains(dotnet.GetProperty("commit").GetString(), tags);
        var files = ImageFiles(reference);
        Assert.Contains("app/Api.dll", files);
        Assert.Contains("etc/stand-in.txt", files);

        // static-site: its node:test checks and the server's syntax check; the site kept as the artifact.
        var site = await GreenAsync(app, projects["static-site"], results["static-site"].Run, ["clone", "test", "build"]);
        Assert.Contains("site/index.html", await ArtifactNamesAsync(app, projects["static-site"], site));

        // empty: its one check, detection finding nothing else to do.
        await GreenAsync(app, projects["empty"], results["empty"].Run, ["clone", "check"]);

        // python-fastapi: the venv is made, then pip finds no index: the install step fails, test and build never run.
        var python = results["python-fastapi"].Run;
        Assert.Equal("failed", python.GetProperty("status").GetString());
        Assert.Equal(["clone", "install", "test", "build", "image"], StepStates(python).Select(s => s.Name));
        Assert.Equal(["succeeded", "failed", "skipped", "skipped", "skipped"], StepStates(python).Select(s => s.State));
        var install = await TextAsync(app, $"/projects/{projects["python-fastapi"]}/builds/{python.GetProperty("runId").GetGuid()}/steps/install/logs");
        Assert.Contains("python3 -m venv .venv", install, StringComparison.Ordinal);
        Assert.Contains("No matching distribution found for fastapi", install, StringComparison.Ordinal);
    }

    /// <summary>
    /// Pushes a stand-in for mcr.microsoft.com/dotnet/aspnet:10.0 to the registry under mcr/ and writes the
    /// registries.conf that makes buildah pull mcr.microsoft.com's images from there.
    /// </summary>
    private static string MirrorWithStandInBaseImage(string registry)
    {
        var directory = PipelineTestKit.NewScratchDirectory("aspnet-stand-in");
        File.WriteAllText(Path.Combine(directory, "Containerfile"), "FROM scratch\nCOPY stand-in.txt /etc/stand-in.txt\n");
        File.WriteAllText(Path.Combine(directory, "stand-in.txt"), "a stand-in for mcr.microsoft.com/dotnet/aspnet:10.0\n");
        var reference = $"{registry}/mcr/dotnet/aspnet:10.0";
        string[] storage = ["--root", Path.Combine(directory, "root"), "--runroot", Path.Combine(directory, "run"), "--storage-driver", "vfs"];
        Run("buildah", [.. storage, "bud", "--isolation", "chroot", "-t", reference, directory]);
        Run("buildah", [.. storage, "push", "--tls-verify=false", reference, "docker://" + reference]);
        var conf = Path.Combine(directory, "registries.conf");
        File.WriteAllText(conf, $"[[registry]]\nprefix = \"mcr.microsoft.com\"\nlocation = \"{registry}/mcr\"\ninsecure = true\n");
        return conf;
    }

    /// <summary>Every file path in the image's layers, read from a skopeo copy of it.</summary>
    private static HashSet<string> ImageFiles(string reference)
    {
        var copy = PipelineTestKit.NewScratchDirectory("image-copy");
        Run("skopeo", ["copy", "--src-tls-verify=false", "docker://" + reference, "dir:" + copy]);
        using var manifest = JsonDocument.Parse(File.ReadAllText(Path.Combine(copy, "manifest.json")));
        var files = new HashSet<string>(StringComparer.Ordinal);
        foreach (var layer in manifest.RootElement.GetProperty("layers").EnumerateArray())
        {
            using var blob = File.OpenRead(Path.Combine(copy, layer.GetProperty("digest").GetString()!.Split(':')[1]));
            Stream stream = layer.GetProperty("mediaType").GetString()!.EndsWith("gzip", StringComparison.Ordinal) ? new GZipStream(blob, CompressionMode.Decompress) : blob;
            using var reader = new TarReader(stream);
            while (reader.GetNextEntry() is { } entry)
            {
                files.Add(entry.Name.TrimStart('.', '/'));
            }
        }

        return files;
    }

    private static void Run(string program, string[] arguments)
    {
        var info = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info)!;
        var error = process.StandardError.ReadToEndAsync();
        process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"{program} {string.Join(' ', arguments)} exited {process.ExitCode}: {error.Result}");
    }

    private static string Detail(JsonElement creation) => CreationTests.Step(creation, "dependencies").GetProperty("detail").GetString()!;

    private static IEnumerable<(string Name, string State)> StepStates(JsonElement run) =>
        run.GetProperty("steps").EnumerateArray().Select(s => (s.GetProperty("name").GetString()!, s.GetProperty("status").GetString()!));

    private static async Task<JsonElement> GreenAsync(TestApp app, Guid project, JsonElement run, string[] steps)
    {
        var runId = run.GetProperty("runId").GetGuid();
        Assert.True(run.GetProperty("status").GetString() == "succeeded", $"{run.GetRawText()}\n{await TextAsync(app, $"/projects/{project}/builds/{runId}/logs")}");
        Assert.Equal(steps, StepStates(run).Select(s => s.Name));
        return run;
    }

    private static async Task<List<string>> ArtifactNamesAsync(TestApp app, Guid project, JsonElement run)
    {
        var artifacts = await CreationTests.WaitForJsonAsync(app, $"/projects/{project}/builds/{run.GetProperty("runId").GetGuid()}/artifacts", _ => true, TimeSpan.FromSeconds(10));
        return artifacts.GetProperty("items").EnumerateArray().Select(a => a.GetProperty("name").GetString()!).ToList();
    }

    private static async Task<string> TextAsync(TestApp app, string url)
    {
        using var response = await app.Client.SendAsync(TestAuth.Request(HttpMethod.Get, url, Owner));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{url}: {response.StatusCode} {text}");
        return text;
    }
}
