using System.Diagnostics;
using System.Net;
using System.Text.Json;
using DevMentor.Core.Deployments;
using DevMentor.Core.Pipelines;
using DevMentor.Functions.Tests.Pipelines;
using Microsoft.Extensions.DependencyInjection;

namespace DevMentor.Functions.Tests.Deployments;

/// <summary>
/// Local releases as real node processes on real loopback ports, health-checked over HTTP: a good
/// release becomes current, a broken one fails while the previous keeps serving, rollback, restart.
/// </summary>
public sealed class LocalDeploymentTests : IAsyncLifetime
{
    private DeploymentTestKit _kit = null!;
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(5) };

    public async Task InitializeAsync() => _kit = await DeploymentTestKit.StartAsync("localdeploy");

    public async Task DisposeAsync() => await _kit.DisposeAsync();

    private async Task<Guid> ReleaseRunAsync(Guid projectId, string version, bool healthy = true, int? port = null)
    {
        var run = await _kit.RunAsync(projectId, new[] { DeploymentTestKit.LocalEnvironment(port: port) });
        _kit.Artifacts.Put(projectId, run.RunId, "app/server.js", DeploymentTestKit.Server(version, healthy));
        return run.RunId;
    }

    private async Task<string?> GetAsync(string url)
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

    private static string Url(JsonElement deployment) => deployment.GetProperty("url").GetString()!;

    [Fact]
    public async Task A_healthy_release_answers_on_its_port_and_a_broken_one_fails_while_the_previous_keeps_serving_then_rollback_brings_it_back()
    {
        var project = await _kit.CreateProjectAsync();

        var runA = await ReleaseRunAsync(project, "version-A");
        var a = await _kit.WaitForDeploymentAsync((await _kit.DeployAsync(project, "staging", runA)).GetProperty("statusUri").GetString()!);
        Assert.Equal("current", a.GetProperty("status").GetString());
        Assert.True(a.GetProperty("healthy").GetBoolean());
        Assert.Contains("answered 200", a.GetProperty("health").GetString(), StringComparison.Ordinal);
        Assert.Equal("version-A", await GetAsync(Url(a)));
        var environment = JsonSerializer.Deserialize<string[]>((await GetAsync(Url(a) + "env"))!)!;
        Assert.Contains("PORT", environment);
        Assert.Contains("GREETING", environment);
        Assert.DoesNotContain(environment, name => name.StartsWith("Deploy", StringComparison.Ordinal) || name.StartsWith("ConnectionStrings", StringComparison.Ordinal) || name.StartsWith("DOTNET", StringComparison.Ordinal));

        // Broken: /health answers 500. It fails, its process is gone, A still answers.
        var runB = await ReleaseRunAsync(project, "version-B", healthy: false);
        var b = await _kit.WaitForDeploymentAsync((await _kit.DeployAsync(project, "staging", runB)).GetProperty("statusUri").GetString()!);
        Assert.Equal("failed", b.GetProperty("status").GetString());
        Assert.False(b.GetProperty("healthy").GetBoolean());
        Assert.Contains("500", b.GetProperty("health").GetString(), StringComparison.Ordinal);
        Assert.Null(await GetAsync($"http://127.0.0.1:{b.GetProperty("port").GetInt32()}/"));
        Assert.Equal("version-A", await GetAsync(Url(a)));

        // C replaces A: A's process stops.
        var runC = await ReleaseRunAsync(project, "version-C");
        var c = await _kit.WaitForDeploymentAsync((await _kit.DeployAsync(project, "staging", null)).GetProperty("statusUri").GetString()!);
        Assert.Equal(runC, c.GetProperty("runId").GetGuid()); // the latest succeeded build by default
        Assert.Equal("current", c.GetProperty("status").GetString());
        Assert.Equal("version-C", await GetAsync(Url(c)));
        Assert.True(await DeploymentTestKit.StopsAnsweringAsync(Url(a)));

        // Roll C back: the previous healthy release (A, not the failed B) is current again.
        using var rollback = await _kit.SendAsync(HttpMethod.Post, c.GetProperty("rollbackUri").GetString()!, DeploymentTestKit.Maintainer);
        Assert.Equal(HttpStatusCode.Accepted, rollback.StatusCode);
        var rolled = await _kit.WaitForDeploymentAsync((await DeploymentTestKit.JsonAsync(rollback)).GetProperty("statusUri").GetString()!);
        Assert.Equal("current", rolled.GetProperty("status").GetString());
        Assert.Equal("rollback", rolled.GetProperty("trigger").GetString());
        Assert.Equal(runA, rolled.GetProperty("runId").GetGuid());
        Assert.Equal(c.GetProperty("deploymentId").GetGuid(), rolled.GetProperty("rollbackOf").GetGuid());
        Assert.Equal("version-A", await GetAsync(Url(rolled)));
        Assert.True(await DeploymentTestKit.StopsAnsweringAsync(Url(c)));

        using var list = await _kit.SendAsync(HttpMethod.Get, $"/projects/{project}/deployments", DeploymentTestKit.Viewer);
        Assert.Equal(HttpStatusCode.OK, list.StatusCode);
        var items = (await DeploymentTestKit.JsonAsync(list)).GetProperty("items").EnumerateArray().ToList();
        Assert.Equal(["current", "superseded", "failed", "superseded"], items.Select(i => i.GetProperty("status").GetString()));
        Assert.Equal([runA, runC, runB, runA], items.Select(i => i.GetProperty("runId").GetGuid()));
        Assert.All(items, i => Assert.Equal("local", i.GetProperty("target").GetString()));
    }

    [Fact]
    public async Task A_fixed_port_release_that_fails_hands_the_port_back_to_the_previous_one()
    {
        var project = await _kit.CreateProjectAsync();
        int port;
        using (var probe = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            port = ((IPEndPoint)probe.LocalEndpoint).Port;
        }

        var good = await _kit.WaitForDeploymentAsync((await _kit.DeployAsync(project, "staging", await ReleaseRunAsync(project, "fixed-good", port: port))).GetProperty("statusUri").GetString()!);
        Assert.Equal("current", good.GetProperty("status").GetString());
        Assert.Equal(port, good.GetProperty("port").GetInt32());

        var bad = await _kit.WaitForDeploymentAsync((await _kit.DeployAsync(project, "staging", await ReleaseRunAsync(project, "fixed-bad", healthy: false, port: port))).GetProperty("statusUri").GetString()!);
        Assert.Equal("failed", bad.GetProperty("status").GetString());
        Assert.Equal("fixed-good", await GetAsync($"http://127.0.0.1:{port}/"));
    }

    [Fact]
    public async Task The_current_release_is_relaunched_on_its_port_when_the_service_restarts()
    {
        var project = await _kit.CreateProjectAsync();
        var deployed = await _kit.WaitForDeploymentAsync((await _kit.DeployAsync(project, "staging", await ReleaseRunAsync(project, "survivor"))).GetProperty("statusUri").GetString()!);
        Assert.Equal("survivor", await GetAsync(Url(deployed)));

        // A clean stop takes the release down with the service…
        await _kit.App.DisposeAsync();
        Assert.Null(await GetAsync(Url(deployed)));

        // …and the next start brings it back where it was.
        var restarted = await _kit.StartAppAsync();
        _kit.App = restarted;
        {
            var deadline = DateTime.UtcNow.AddSeconds(30);
            string? answer;
            while ((answer = await GetAsync(Url(deployed))) is null && DateTime.UtcNow < deadline)
            {
                await Task.Delay(100);
            }

            Assert.Equal("survivor", answer);
            using var list = await restarted.Client.SendAsync(Infrastructure.TestAuth.Request(HttpMethod.Get, $"/projects/{project}/deployments", DeploymentTestKit.Viewer));
            var item = (await DeploymentTestKit.JsonAsync(list)).GetProperty("items")[0];
            Assert.Equal("current", item.GetProperty("status").GetString());
        }
    }

    /// <summary>
    /// The deploy stage (issue 13): a run asked to deploy ends only once its deployment did. A healthy release makes
    /// the run succeed with it current, the stage visible in GET …/builds/{runId} while the release warms up; a release
    /// failing its health gate fails the run with the reason. Both runs at once (two environments), and the automatic
    /// deployer deploys neither a second time.
    /// </summary>
    [Fact]
    public async Task A_run_deploys_as_its_last_stage_behind_the_health_gate_and_a_failing_gate_fails_the_run_with_the_reason()
    {
        var project = await _kit.CreateProjectAsync();
        var good = await _kit.StartRunAsync(project, new[] { DeploymentTestKit.LocalEnvironment("staging") }, deploy: true, environment: "staging");
        _kit.Artifacts.Put(project, good.RunId, "app/server.js", DeploymentTestKit.Server("stage-good", warmUpMilliseconds: 1500));
        var bad = await _kit.StartRunAsync(project, new[] { DeploymentTestKit.LocalEnvironment("qa") }, deploy: true, environment: "qa");
        _kit.Artifacts.Put(project, bad.RunId, "app/server.js", DeploymentTestKit.Server("stage-bad", healthy: false));

        // While the release warms up, the run is running at its deploy stage.
        var deadline = DateTime.UtcNow.AddSeconds(60);
        JsonElement deploying;
        while (true)
        {
            using var response = await _kit.SendAsync(HttpMethod.Get, $"/projects/{project}/builds/{good.RunId}", DeploymentTestKit.Viewer);
            deploying = await DeploymentTestKit.JsonAsync(response);
            if (deploying.GetProperty("currentStage").GetString() == "deploy:staging" || deploying.GetProperty("status").GetString() != "running" || DateTime.UtcNow > deadline)
            {
                break;
            }

            await Task.Delay(50);
        }

        Assert.Equal(("running", "deploy:staging"), (deploying.GetProperty("status").GetString(), deploying.GetProperty("currentStage").GetString()));
        Assert.Equal("deployment", deploying.GetProperty("orchestration").GetProperty("waiting").GetString());
        Assert.All(deploying.GetProperty("steps").EnumerateArray(), s => Assert.Equal("succeeded", s.GetProperty("status").GetString()));

        var succeeded = await _kit.App.Engine().WaitForEndAsync(good, TimeSpan.FromSeconds(60));
        Assert.Equal(RunStatus.Succeeded, succeeded.Status);
        Assert.Equal(["deployment.queued", "deployment.started", "deployment.succeeded"],
            succeeded.Events.Where(e => e.Type.StartsWith("deployment.", StringComparison.Ordinal)).Select(e => e.Type));
        var failed = await _kit.App.Engine().WaitForEndAsync(bad, TimeSpan.FromSeconds(60));
        Assert.Equal(RunStatus.Failed, failed.Status);
        using (var response = await _kit.SendAsync(HttpMethod.Get, $"/projects/{project}/builds/{bad.RunId}", DeploymentTestKit.Viewer))
        {
            Assert.StartsWith("deploy:qa: the release failed its health check", (await DeploymentTestKit.JsonAsync(response)).GetProperty("error").GetString(), StringComparison.Ordinal);
        }

        using var list = await _kit.SendAsync(HttpMethod.Get, $"/projects/{project}/deployments", DeploymentTestKit.Viewer);
        var items = (await DeploymentTestKit.JsonAsync(list)).GetProperty("items").EnumerateArray().ToList();
        Assert.Equal([("qa", bad.RunId, "failed"), ("staging", good.RunId, "current")],
            items.Select(i => (i.GetProperty("environment").GetString(), i.GetProperty("runId").GetGuid(), i.GetProperty("status").GetString())).OrderBy(i => i.Item1));
        Assert.All(items, i => Assert.Equal("auto", i.GetProperty("trigger").GetString()));
        Assert.Equal("stage-good", await GetAsync(Url(items.Single(i => i.GetProperty("environment").GetString() == "staging"))));

        // A stop that comes after the release became current (a cancel racing its end) is past the point of no return
        // (ADR 0044): the release stays current and serving; the run's history says so, once, however often it is asked.
        var store = _kit.App.Services.GetRequiredService<PostgresDeploymentStore>();
        for (var i = 0; i < 2; i++)
        {
            var stop = await store.StopStageAsync(good.RunId, "staging", "the run was canceled", DeploymentTestKit.Developer, CancellationToken.None);
            Assert.Equal((DeploymentStatus.Current, false), (stop!.Value.Was, stop.Value.Stopped));
        }

        Assert.Equal("stage-good", await GetAsync(Url(items.Single(i => i.GetProperty("environment").GetString() == "staging"))));
        var history = (await _kit.App.Engine().GetRunAsync(project, good.RunId, CancellationToken.None))!.Events;
        var kept = Assert.Single(history, e => e.Type == "deployment.not_canceled").Data!.Value;
        Assert.Equal(DeploymentTestKit.Developer, kept.GetProperty("by").GetString());
        Assert.Contains("past the point of no return", kept.GetProperty("why").GetString(), StringComparison.Ordinal);
        Assert.DoesNotContain(history, e => e.Type == "deployment.canceled");
    }

    /// <summary>
    /// A cancel while the run waits for its deployment (ADR 0044): the release still warming up is stopped, the
    /// deployment ends canceled (never current), the run canceled within seconds, and the run's events say who stopped
    /// it and when. A second cancel changes nothing. Meanwhile, in another project, a run whose environment's
    /// deploy_timeout (3 s) passes has its deployment stopped the same way and fails with the reason.
    /// </summary>
    [Fact]
    public async Task A_cancel_or_the_deploy_timeout_during_the_deploy_stage_stops_the_warming_up_release_and_ends_the_deployment_canceled()
    {
        var project = await _kit.CreateProjectAsync();
        var slow = new { name = "prod", type = "local", start = new[] { "node", "app/server.js" }, healthPath = "/health", healthTimeoutSeconds = 300 };
        var run = await _kit.StartRunAsync(project, new[] { slow }, deploy: true, environment: "prod");
        _kit.Artifacts.Put(project, run.RunId, "app/server.js", DeploymentTestKit.Server("never-current", warmUpMilliseconds: 600_000));
        var other = await _kit.CreateProjectAsync();
        var timed = new { name = "qa", type = "local", start = new[] { "node", "app/server.js" }, healthPath = "/health", healthTimeoutSeconds = 300, deployTimeoutSeconds = 3 };
        var timedRun = await _kit.StartRunAsync(other, new[] { timed }, deploy: true, environment: "qa");
        _kit.Artifacts.Put(other, timedRun.RunId, "app/server.js", DeploymentTestKit.Server("too-slow", warmUpMilliseconds: 600_000));

        // Deploying, its release process started in its folder and warming up.
        var root = _kit.App.Services.GetRequiredService<DeploymentOptions>().ReleasesRoot;
        var deadline = DateTime.UtcNow.AddSeconds(60);
        Guid deploymentId;
        string directory;
        while (true)
        {
            using var list = await _kit.SendAsync(HttpMethod.Get, $"/projects/{project}/deployments", DeploymentTestKit.Viewer);
            var items = (await DeploymentTestKit.JsonAsync(list)).GetProperty("items").EnumerateArray().ToList();
            if (items is [var only] && only.GetProperty("status").GetString() == "deploying")
            {
                deploymentId = only.GetProperty("deploymentId").GetGuid();
                directory = Path.Combine(root, project.ToString("D"), "prod", deploymentId.ToString("D"));
                if (ProcessesIn(directory) > 0)
                {
                    break;
                }
            }

            Assert.True(DateTime.UtcNow < deadline, "the release never started");
            await Task.Delay(50);
        }

        using (var response = await _kit.SendAsync(HttpMethod.Get, $"/projects/{project}/builds/{run.RunId}", DeploymentTestKit.Viewer))
        {
            Assert.Equal("deploy:prod", (await DeploymentTestKit.JsonAsync(response)).GetProperty("currentStage").GetString());
        }

        var clock = Stopwatch.StartNew();
        using (var cancel = await _kit.SendAsync(HttpMethod.Post, $"/projects/{project}/builds/{run.RunId}/cancel", DeploymentTestKit.Developer))
        {
            Assert.Equal(HttpStatusCode.OK, cancel.StatusCode);
        }

        var ended = await _kit.App.Engine().WaitForRunAsync(run, v => v.Status.IsTerminal() && v.Events.Any(e => e.Type == "deployment.canceled"), TimeSpan.FromSeconds(10));
        var gone = await ProcessesGoneAsync(directory);
        var took = clock.Elapsed;
        Assert.Equal(RunStatus.Canceled, ended.Status);
        Assert.True(gone, "the release process still runs");
        Assert.True(took < TimeSpan.FromSeconds(5), $"stopped after {took.TotalSeconds:0.0} s");

        var canceled = Assert.Single(ended.Events, e => e.Type == "deployment.canceled");
        Assert.Equal("deploy:prod", canceled.Step);
        Assert.Equal((DeploymentTestKit.Developer, "deploying", "the run was canceled", deploymentId),
            (canceled.Data!.Value.GetProperty("by").GetString(), canceled.Data.Value.GetProperty("was").GetString(),
             canceled.Data.Value.GetProperty("reason").GetString(), canceled.Data.Value.GetProperty("deploymentId").GetGuid()));
        Assert.Equal(DeploymentTestKit.Developer, Assert.Single(ended.Events, e => e.Type == "run.canceled").Data!.Value.GetProperty("by").GetString());
        Assert.DoesNotContain(ended.Events, e => e.Type is "deployment.succeeded" or "deployment.failed");

        using (var response = await _kit.SendAsync(HttpMethod.Get, $"/projects/{project}/deployments/{deploymentId}", DeploymentTestKit.Viewer))
        {
            var deployment = await DeploymentTestKit.JsonAsync(response);
            Assert.Equal(("canceled", "the run was canceled"), (deployment.GetProperty("status").GetString(), deployment.GetProperty("error").GetString()));
        }

        // Idempotent: a second cancel is refused (the run ended) and adds nothing; the deployment stays canceled.
        using (var again = await _kit.SendAsync(HttpMethod.Post, $"/projects/{project}/builds/{run.RunId}/cancel", DeploymentTestKit.Developer))
        {
            Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        }

        var after = await _kit.App.Engine().GetRunAsync(project, run.RunId, CancellationToken.None);
        Assert.Single(after!.Events, e => e.Type == "deployment.canceled");
        using (var list = await _kit.SendAsync(HttpMethod.Get, $"/projects/{project}/deployments", DeploymentTestKit.Viewer))
        {
            Assert.Equal(["canceled"], (await DeploymentTestKit.JsonAsync(list)).GetProperty("items").EnumerateArray().Select(i => i.GetProperty("status").GetString()));
        }

        // The deploy timeout: the run fails with the reason, its deployment is canceled and its release gone.
        var timedOut = await _kit.App.Engine().WaitForRunAsync(timedRun, v => v.Status.IsTerminal() && v.Events.Any(e => e.Type == "deployment.canceled"), TimeSpan.FromSeconds(60));
        Assert.Equal(RunStatus.Failed, timedOut.Status);
        var stopped = Assert.Single(timedOut.Events, e => e.Type == "deployment.canceled");
        Assert.Equal("the deploy stage had no outcome within 00:00:03", stopped.Data!.Value.GetProperty("reason").GetString());
        Assert.False(stopped.Data.Value.TryGetProperty("by", out _));
        using (var response = await _kit.SendAsync(HttpMethod.Get, $"/projects/{other}/builds/{timedRun.RunId}", DeploymentTestKit.Viewer))
        {
            Assert.Equal("deploy:qa: no outcome within 00:00:03", (await DeploymentTestKit.JsonAsync(response)).GetProperty("error").GetString());
        }

        var timedDeployment = stopped.Data.Value.GetProperty("deploymentId").GetGuid();
        using (var response = await _kit.SendAsync(HttpMethod.Get, $"/projects/{other}/deployments/{timedDeployment}", DeploymentTestKit.Viewer))
        {
            Assert.Equal("canceled", (await DeploymentTestKit.JsonAsync(response)).GetProperty("status").GetString());
        }

        Assert.True(await ProcessesGoneAsync(Path.Combine(root, other.ToString("D"), "qa", timedDeployment.ToString("D"))), "the timed-out release still runs");
    }

    /// <summary>How many processes run in <paramref name="directory"/> (a release runs in its folder).</summary>
    private static int ProcessesIn(string directory)
    {
        var count = 0;
        foreach (var entry in Directory.EnumerateDirectories("/proc"))
        {
            try
            {
                if (int.TryParse(Path.GetFileName(entry), out _) && new FileInfo(Path.Combine(entry, "cwd")).LinkTarget is { } cwd
                    && Path.TrimEndingDirectorySeparator(cwd) == Path.TrimEndingDirectorySeparator(directory))
                {
                    count++;
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Gone meanwhile, or not ours.
            }
        }

        return count;
    }

    private static async Task<bool> ProcessesGoneAsync(string directory)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (ProcessesIn(directory) > 0)
        {
            if (DateTime.UtcNow > deadline)
            {
                return false;
            }

            await Task.Delay(50);
        }

        return true;
    }
}
