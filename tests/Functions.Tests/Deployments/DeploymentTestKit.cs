using System.Net;
using System.Text.Json;
using DevMentor.Core.Pipelines.Artifacts;
using DevMentor.Core.Pipelines;
using DevMentor.Functions.Tests.Infrastructure;
using DevMentor.Functions.Tests.Pipelines;
using Microsoft.Extensions.DependencyInjection;

namespace DevMentor.Functions.Tests.Deployments;

/// <summary>An app with the embedded runner and the artifact double; projects with a maintainer, a developer and a viewer; runs that declare deploy environments.</summary>
public sealed class DeploymentTestKit : IAsyncDisposable
{
    public const string Owner = "owner-d";
    public const string Maintainer = "maintainer-d";
    public const string Developer = "developer-d";
    public const string Viewer = "viewer-d";
    public const string Stranger = "stranger-d";
    public const string HookSecret = "hook-secret-value-0123456789";

    private DeploymentTestKit(TestApp app, string connectionString)
    {
        App = app;
        ConnectionString = connectionString;
    }

    public TestApp App { get; set; }
    public string ConnectionString { get; }
    public InMemoryArtifactStoreDouble Artifacts { get; } = new();

    public static async Task<DeploymentTestKit> StartAsync(string purpose)
    {
        var connectionString = await TestPostgres.CreateDatabaseAsync(purpose);
        var kit = new DeploymentTestKit(null!, connectionString);
        kit.App = await kit.StartAppAsync();
        return kit;
    }

    /// <summary>Another instance on the same database (and artifacts), e.g. after <see cref="App"/> stopped.</summary>
    /// <summary>Registry:* for the app; set before <see cref="StartAppAsync"/> by tests that deploy images.</summary>
    public (string Url, string StorageRoot)? Registry { get; set; }

    public Task<TestApp> StartAppAsync(bool worker = true) => TestApp.StartAsync(ConnectionString, TestAuth.Settings(
        ("Registry:Url", Registry?.Url),
        ("Registry:StorageRoot", Registry?.StorageRoot),
        ("Deployments:Worker:Enabled", worker ? "true" : "false"),
        ("Pipelines:Runner:Enabled", "true"),
        ("Pipelines:Runner:Workers", "1"),
        ("Pipelines:Runner:WorkDirectory", PipelineTestKit.NewScratchDirectory("deploywork")),
        ("Pipelines:HeartbeatSeconds", "0.3"),
        ("Pipelines:PollIntervalSeconds", "0.1"),
        ("Pipelines:MaxRunningRunsPerProject", "10"),
        ("Deployments:PollMilliseconds", "100"),
        ("Deployments:HealthPollMilliseconds", "50"),
        ("Deployments:Webhook:FirstDelayMilliseconds", "50"),
        ("Deploy:Secrets:HOOK_SECRET", HookSecret)),
        builder => builder.Services.AddSingleton<IArtifactStore>(Artifacts));

    public async ValueTask DisposeAsync() => await App.DisposeAsync();

    public Task<HttpResponseMessage> SendAsync(HttpMethod method, string url, string? user, string? json = null) =>
        App.Client.SendAsync(TestAuth.Request(method, url, user, json));

    public static async Task<JsonElement> JsonAsync(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();

    public async Task<Guid> CreateProjectAsync()
    {
        using var response = await SendAsync(HttpMethod.Post, "/projects", Owner, JsonSerializer.Serialize(new { name = "d-" + Guid.NewGuid().ToString("N")[..8], visibility = "private" }));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var id = (await JsonAsync(response)).GetProperty("id").GetGuid();
        foreach (var (user, role) in new[] { (Maintainer, "maintainer"), (Developer, "developer"), (Viewer, "viewer") })
        {
            using var added = await SendAsync(HttpMethod.Put, $"/projects/{id}/collaborators/{user}", Owner, JsonSerializer.Serialize(new { role }));
            Assert.True(added.IsSuccessStatusCode, await added.Content.ReadAsStringAsync());
        }

        return id;
    }

    /// <summary>A run whose clone step records <paramref name="environments"/> as <c>deploy.environments</c>, as the real clone step does; waits for its end.</summary>
    /// <param name="image">Recorded as the output of a step named image, as the image built-in records its push.</param>
    public async Task<RunView> RunAsync(Guid projectId, object environments, bool succeed = true, bool deploy = false, string? environment = null, string? image = null)
    {
        var started = await StartRunAsync(projectId, environments, succeed, deploy, environment, image);
        RunView run;
        try
        {
            run = await App.Engine().WaitForEndAsync(started, TimeSpan.FromSeconds(60));
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException(e.Message + "; " + await Pipelines.Orchestration.DurableHistory.DescribeRunAsync(App, started.RunId), e);
        }

        Assert.Equal(succeed ? RunStatus.Succeeded : RunStatus.Failed, run.Status);
        return run;
    }

    /// <summary>Starts the run <see cref="RunAsync"/> waits for (its artifacts can be put before its deploy stage needs them).</summary>
    public async Task<StartedRun> StartRunAsync(Guid projectId, object environments, bool succeed = true, bool deploy = false, string? environment = null, string? image = null)
    {
        var json = JsonSerializer.Serialize(environments, new JsonSerializerOptions(JsonSerializerDefaults.Web));
        var steps = new List<StepDefinition>
        {
            new("clone", [["sh", "-c", "printf 'deploy.environments=%s\\n' \"$ENVS\" >> \"$DEVMENTOR_OUTPUT\""]], Env: new Dictionary<string, string> { ["ENVS"] = json }),
            new("build", [["sh", "-c", succeed ? "true" : "exit 3"]]),
        };
        if (image is not null)
        {
            steps.Add(new("image", [["sh", "-c", "printf 'image=%s\\n' \"$IMAGE\" >> \"$DEVMENTOR_OUTPUT\""]], Env: new Dictionary<string, string> { ["IMAGE"] = image }));
        }

        var definition = new PipelineDefinition(steps);
        return await App.Engine().StartAsync(new StartRunRequest(projectId, "manual", "main", "0123456789abcdef0123456789abcdef01234567", definition, deploy, environment), CancellationToken.None);
    }

    /// <summary>A node HTTP server answering its version on / and 200 (or 500 when broken) on /health; /env lists its environment's names.</summary>
    /// <param name="warmUpMilliseconds">How long /health answers 503 after the start (a release still warming up).</param>
    public static string Server(string version, bool healthy = true, int warmUpMilliseconds = 0) => $$"""
        const http = require('http');
        const started = Date.now();
        http.createServer((req, res) => {
          if (req.url === '/health' && Date.now() - started < {{warmUpMilliseconds}}) { res.writeHead(503); res.end('warming up'); return; }
          if (req.url === '/health') { res.writeHead({{(healthy ? 200 : 500)}}); res.end('{{(healthy ? "ok" : "broken")}}'); return; }
          if (req.url === '/env') { res.writeHead(200); res.end(JSON.stringify(Object.keys(process.env).sort())); return; }
          res.writeHead(200); res.end('{{version}}');
        }).listen(Number(process.env.PORT), '127.0.0.1');
        """;

    public static object LocalEnvironment(string name = "staging", int? port = null) =>
        new { name, type = "local", start = new[] { "node", "app/server.js" }, healthPath = "/health", port, healthTimeoutSeconds = 5, env = new Dictionary<string, string> { ["GREETING"] = "hi" } };

    public async Task<JsonElement> DeployAsync(Guid projectId, string environment, Guid? runId, string user = Maintainer)
    {
        using var response = await SendAsync(HttpMethod.Post, $"/projects/{projectId}/deploy", user, JsonSerializer.Serialize(new { environment, runId }));
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, await response.Content.ReadAsStringAsync());
        var body = await JsonAsync(response);
        Assert.Equal(body.GetProperty("statusUri").GetString(), response.Headers.Location!.OriginalString);
        return body;
    }

    /// <summary>
    /// Whether a release stopped answering within 15 s: a replaced release is stopped right after the
    /// new one is recorded as current, so a client may see the swap a moment before the old process ends.
    /// </summary>
    public static async Task<bool> StopsAnsweringAsync(string url)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                using var response = await http.GetAsync(url);
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                return true;
            }

            await Task.Delay(50);
        }

        return false;
    }

    /// <summary>Polls a deployment until it has finished (current or failed).</summary>
    public async Task<JsonElement> WaitForDeploymentAsync(string statusUri)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            using var response = await SendAsync(HttpMethod.Get, statusUri, Viewer);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var deployment = await JsonAsync(response);
            if (deployment.GetProperty("status").GetString() is not ("pending" or "deploying"))
            {
                return deployment;
            }

            Assert.True(DateTime.UtcNow < deadline, $"deployment stayed {deployment.GetProperty("status")}");
            await Task.Delay(50);
        }
    }
}
