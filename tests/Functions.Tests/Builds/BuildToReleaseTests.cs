using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using DevMentor.Functions.Tests.Deployments;
using DevMentor.Functions.Tests.Infrastructure;
using DevMentor.Functions.Tests.Pipelines;

namespace DevMentor.Functions.Tests.Builds;

/// <summary>
/// The whole path with nothing stood in for: a git repository is cloned and planned by the run,
/// its artifacts go to the blob store, its image to the local registry, and the deployment worker
/// releases what the run kept on a real loopback port, health-checked, with failure and rollback.
/// </summary>
public sealed class BuildToReleaseTests : IAsyncLifetime, IDisposable
{
    private const string Owner = "release-owner";
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(5) };
    private readonly SampleRepositories _samples = new();
    private TestApp _app = null!;
    private string _registryUrl = null!;

    public async Task InitializeAsync()
    {
        var registry = await TestRegistry.SharedAsync();
        _registryUrl = $"http://{TestRegistry.Host(registry)}/e2e";
        _app = await TestApp.StartAsync(await TestPostgres.CreateDatabaseAsync("buildtorelease"), TestAuth.Settings(
            ("Pipelines:Runner:Enabled", "true"),
            ("Pipelines:Runner:Workers", "2"),
            ("Pipelines:Runner:WorkDirectory", PipelineTestKit.NewScratchDirectory("release-work")),
            ("Pipelines:HeartbeatSeconds", "0.3"),
            ("Pipelines:PollIntervalSeconds", "0.1"),
            ("Pipelines:MaxRunningRunsPerProject", "10"),
            ("Registry:Url", _registryUrl),
            ("Registry:StorageRoot", PipelineTestKit.NewScratchDirectory("release-buildah")),
            ("Deployments:Worker:Enabled", "true"),
            ("Deployments:PollMilliseconds", "100"),
            ("Deployments:HealthPollMilliseconds", "50")));
    }

    public async Task DisposeAsync() => await _app.DisposeAsync();

    public void Dispose() => _samples.Dispose();

    [Fact]
    public async Task A_pushed_app_is_built_kept_released_on_its_port_a_broken_release_fails_while_the_previous_serves_and_rollback_restores_it()
    {
        var repository = Path.Combine(_samples.Root, "release-app");
        Directory.CreateDirectory(repository);
        GitCli.Run(repository, "init", "--quiet");
        File.WriteAllText(Path.Combine(repository, ".devmentor.yml"), """
            detect: false
            steps:
              - name: build
                commands:
                  - [node, -e, "const fs = require('fs'); fs.mkdirSync('dist', {recursive: true}); fs.copyFileSync('server.js', 'dist/server.js')"]
                artifacts: [dist/server.js]
            deploy:
              environments:
                - name: staging
                  type: local
                  start: node dist/server.js
                  health: /health
                  health_timeout: 10s
            """);
        var project = await CreateProjectAsync(new Uri(repository).AbsoluteUri);

        // v1: built, its artifact kept with the right digest, released automatically, answering.
        var v1 = await BuildAsync(project, repository, "version-1", healthy: true);
        var artifact = (await GetJsonAsync($"{v1.StatusUri}/artifacts")).GetProperty("items").EnumerateArray().Single();
        Assert.Equal("dist/server.js", artifact.GetProperty("name").GetString());
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(Path.Combine(repository, "server.js")))), artifact.GetProperty("sha256").GetString());
        var first = await DeploymentOfAsync(project, v1.RunId);
        Assert.Equal(("current", "auto"), (first.GetProperty("status").GetString(), first.GetProperty("trigger").GetString()));
        Assert.Equal("version-1", await GetTextAsync(Url(first)));

        // v2 answers 500 on /health: the release fails, and with it the run (its deploy stage), while version 1 keeps serving.
        var v2 = await BuildAsync(project, repository, "version-2", healthy: false, expected: "failed");
        var broken = await DeploymentOfAsync(project, v2.RunId);
        Assert.Equal("failed", broken.GetProperty("status").GetString());
        Assert.Contains("500", broken.GetProperty("health").GetString(), StringComparison.Ordinal);
        Assert.Equal("version-1", await GetTextAsync(Url(first)));

        // v3 replaces version 1; rolling v3 back makes version 1 current again (not the failed v2).
        var v3 = await BuildAsync(project, repository, "version-3", healthy: true);
        var third = await DeploymentOfAsync(project, v3.RunId);
        Assert.Equal("current", third.GetProperty("status").GetString());
        Assert.Equal("version-3", await GetTextAsync(Url(third)));
        Assert.True(await DeploymentTestKit.StopsAnsweringAsync(Url(first)));

        using var rollback = await SendAsync(HttpMethod.Post, third.GetProperty("rollbackUri").GetString()!);
        Assert.Equal(HttpStatusCode.Accepted, rollback.StatusCode);
        var rolledBack = await WaitForDeploymentAsync((await JsonAsync(rollback)).GetProperty("statusUri").GetString()!);
        Assert.Equal(("current", "rollback", v1.RunId), (rolledBack.GetProperty("status").GetString(), rolledBack.GetProperty("trigger").GetString(), rolledBack.GetProperty("runId").GetGuid()));
        Assert.Equal("version-1", await GetTextAsync(Url(rolledBack)));
        Assert.True(await DeploymentTestKit.StopsAnsweringAsync(Url(third)));

        var history = (await GetJsonAsync($"/projects/{project}/deployments")).GetProperty("items").EnumerateArray().Select(d => d.GetProperty("status").GetString()).ToList();
        Assert.Equal(["current", "superseded", "failed", "superseded"], history);
    }

    [Fact]
    public async Task A_repository_with_a_containerfile_gets_its_image_built_and_pushed_by_the_run_with_the_digest_recorded()
    {
        var project = await CreateProjectAsync(_samples.Container.FileUrl);

        var status = await StartBuildAsync(project, "{}");
        var run = await WaitForRunAsync(status);

        Assert.True(run.GetProperty("status").GetString() == "succeeded", run.ToString());
        var image = run.GetProperty("steps").EnumerateArray().Single(s => s.GetProperty("name").GetString() == "image");
        var outputs = image.GetProperty("outputs");
        var reference = outputs.GetProperty("image").GetString()!;
        Assert.StartsWith(_registryUrl["http://".Length..], reference, StringComparison.Ordinal);
        var (digest, tags) = TestRegistry.Inspect(reference);
        Assert.Equal(outputs.GetProperty("digest").GetString(), digest);
        Assert.Contains(_samples.Container.HeadSha, tags);
        Assert.Contains($"run-{run.GetProperty("number").GetInt32()}", tags);
    }

    private sealed record Build(Guid RunId, string StatusUri);

    /// <summary>A run of the committed version, which deploys to staging as its last stage: it succeeds only once the release passed its health check.</summary>
    private async Task<Build> BuildAsync(Guid project, string repository, string version, bool healthy, string expected = "succeeded")
    {
        File.WriteAllText(Path.Combine(repository, "server.js"), DeploymentTestKit.Server(version, healthy));
        GitCli.CommitAll(repository, version);
        var status = await StartBuildAsync(project, """{"deploy": true, "environment": "staging"}""");
        var run = await WaitForRunAsync(status);
        Assert.True(run.GetProperty("status").GetString() == expected, run.ToString());
        if (expected == "failed")
        {
            Assert.StartsWith("deploy:staging: the release failed its health check", run.GetProperty("error").GetString(), StringComparison.Ordinal);
        }

        return new Build(run.GetProperty("runId").GetGuid(), status);
    }

    private async Task<Guid> CreateProjectAsync(string cloneUrl)
    {
        using var response = await SendAsync(HttpMethod.Post, "/projects", JsonSerializer.Serialize(new
        {
            name = "release-" + Guid.NewGuid().ToString("N")[..8],
            visibility = "private",
            repository = new { provider = "git", cloneUrl, defaultBranch = "main" },
        }));
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        return (await JsonAsync(response)).GetProperty("id").GetGuid();
    }

    private async Task<string> StartBuildAsync(Guid project, string body)
    {
        using var response = await SendAsync(HttpMethod.Post, $"/projects/{project}/build", body);
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, await response.Content.ReadAsStringAsync());
        return (await JsonAsync(response)).GetProperty("statusUri").GetString()!;
    }

    private async Task<JsonElement> WaitForRunAsync(string statusUri)
    {
        var deadline = DateTime.UtcNow.AddMinutes(2);
        while (true)
        {
            var run = await GetJsonAsync(statusUri);
            if (run.GetProperty("status").GetString() is "succeeded" or "failed" or "canceled" or "timed_out")
            {
                return run;
            }

            Assert.True(DateTime.UtcNow < deadline, $"the build did not end: {run}");
            await Task.Delay(200);
        }
    }

    /// <summary>The automatic deployment of a run, once it has finished.</summary>
    private async Task<JsonElement> DeploymentOfAsync(Guid project, Guid runId)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            var items = (await GetJsonAsync($"/projects/{project}/deployments")).GetProperty("items").EnumerateArray();
            if (items.FirstOrDefault(d => d.GetProperty("runId").GetGuid() == runId) is { ValueKind: JsonValueKind.Object } deployment &&
                deployment.GetProperty("status").GetString() is not ("pending" or "deploying"))
            {
                return deployment;
            }

            Assert.True(DateTime.UtcNow < deadline, $"run {runId} was not deployed");
            await Task.Delay(100);
        }
    }

    private async Task<JsonElement> WaitForDeploymentAsync(string statusUri)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            var deployment = await GetJsonAsync(statusUri);
            if (deployment.GetProperty("status").GetString() is not ("pending" or "deploying"))
            {
                return deployment;
            }

            Assert.True(DateTime.UtcNow < deadline, $"deployment stayed {deployment.GetProperty("status")}");
            await Task.Delay(100);
        }
    }

    private static string Url(JsonElement deployment) => deployment.GetProperty("url").GetString()!;

    private static async Task<string?> GetTextAsync(string url)
    {
        try
        {
            return await Http.GetStringAsync(url);
        }
        catch (HttpRequestException)
        {
            return null;
        }
    }

    private Task<HttpResponseMessage> SendAsync(HttpMethod method, string url, string? json = null) =>
        _app.Client.SendAsync(TestAuth.Request(method, url, Owner, json));

    private async Task<JsonElement> GetJsonAsync(string url)
    {
        using var response = await SendAsync(HttpMethod.Get, url);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET {url}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        return await JsonAsync(response);
    }

    private static async Task<JsonElement> JsonAsync(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
}
