using System.Text.Json;
using DevMentor.Core.Pipelines;
using DevMentor.Functions.Tests.Infrastructure;
using Npgsql;

namespace DevMentor.Functions.Tests.Pipelines;

/// <summary>The real executable and real runner processes sharing one database.</summary>
public sealed class PipelineDurabilityTests
{
    private const string RegistrationToken = "durability-registration-token-42";

    /// <param name="shared">Where the steps record what ran (Pipelines:Runner:WritablePaths: outside the sandbox only this is theirs).</param>
    /// <param name="leaseSeconds">Short where a test kills a holder and waits for its lease to lapse; long where steps must run
    /// exactly once on a machine loaded enough to stall a live runner's heartbeats for seconds (a lapsed lease re-runs a step).</param>
    private static Dictionary<string, string?> ServiceEnvironment(string connectionString, string dataDirectory, int workers, string shared, int leaseSeconds = 3) => new()
    {
        ["Pipelines__Runner__WritablePaths"] = shared,
        ["ConnectionStrings__Postgres"] = connectionString,
        ["DEVMENTOR_DATA_DIR"] = dataDirectory,
        ["Pipelines__Runner__Workers"] = workers.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Pipelines__LeaseSeconds"] = leaseSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Pipelines__HeartbeatSeconds"] = "0.5",
        ["Pipelines__Retry__FirstDelaySeconds"] = "0.2",
        ["Pipelines__PollIntervalSeconds"] = "0.1",
        ["Pipelines__MaxRunningRunsPerProject"] = "100",
        ["Pipelines__MaxRunningRuns"] = "0",
        ["Runners__RegistrationToken"] = RegistrationToken,
        ["Timers__PipelineSweeper__Schedule"] = "* * * * * *",
    };

    [Fact]
    public async Task Two_hundred_runs_over_embedded_workers_and_two_runner_processes_each_execute_every_step_exactly_once()
    {
        var connectionString = await TestPostgres.CreateDatabaseAsync("scale");
        var scratch = PipelineTestKit.NewScratchDirectory("scale");
        var shared = PipelineTestKit.NewSharedDirectory("scale-shared");
        var executions = Path.Combine(shared, "executions.txt");
        await using var service = ServiceProcess.Start(scratch, ServiceEnvironment(connectionString, Path.Combine(scratch, "data"), workers: 4, shared, leaseSeconds: 20));
        await service.WaitUntilHealthyAsync(TimeSpan.FromSeconds(60));
        await using var runnerA = RunnerProcess.Start(service.BaseAddress, RegistrationToken, "runner-a", Path.Combine(scratch, "runner-a"), 1, $"--Runner:WritablePaths={shared}");
        await using var runnerB = RunnerProcess.Start(service.BaseAddress, RegistrationToken, "runner-b", Path.Combine(scratch, "runner-b"), 1, $"--Runner:WritablePaths={shared}");
        await using var starter = await PipelineTestKit.StartAppAsync("scale", connectionString: connectionString);
        await WaitForAsync(async () => await CountAsync(connectionString, "SELECT count(*) FROM pipeline_runners") == 2, TimeSpan.FromSeconds(60),
            () => $"runners did not register:\n{runnerA.Output}\n{runnerB.Output}");

        string[] record = ["sh", "-c", "echo \"$DEVMENTOR_RUN_ID $DEVMENTOR_STEP $DEVMENTOR_ATTEMPT\" >> \"$1\"", "sh", executions];
        var definition = new PipelineDefinition([new StepDefinition("build", [record]), new StepDefinition("test", [record])]);
        var runs = new List<StartedRun>();
        var projects = Enumerable.Range(0, 10).Select(_ => Guid.NewGuid()).ToArray();
        for (var i = 0; i < 200; i++)
        {
            runs.Add(await starter.Engine().StartAsync(projects[i % projects.Length], definition));
        }

        await WaitForAsync(async () => await CountAsync(connectionString, "SELECT count(*) FROM pipeline_runs WHERE status IN ('queued', 'running')") == 0,
            TimeSpan.FromSeconds(240), () => $"runs did not finish\n{service.Output[^Math.Min(4000, service.Output.Length)..]}");

        Assert.Equal(200, await CountAsync(connectionString, "SELECT count(*) FROM pipeline_runs WHERE status = 'succeeded'"));
        var firstAttempts = await CountAsync(connectionString, "SELECT count(*) FROM pipeline_steps WHERE status = 'succeeded' AND attempt = 1");
        Assert.True(firstAttempts == 400, $"{400 - firstAttempts} step(s) needed another attempt:\n{service.Output[^Math.Min(6000, service.Output.Length)..]}");
        var lines = await File.ReadAllLinesAsync(executions);
        if (lines.Length != 400)
        {
            // Which steps' lines are missing, with who ran them and their logs: a rare loss under heavy load was seen once the sandbox came in.
            var expectedLines = runs.SelectMany(r => new[] { $"{r.RunId} build 1", $"{r.RunId} test 1" }).ToHashSet();
            var missing = expectedLines.Except(lines).ToList();
            var detail = new System.Text.StringBuilder();
            foreach (var m in missing)
            {
                var parts = m.Split(' ');
                var run = runs.First(r => r.RunId.ToString() == parts[0]);
                var view = await starter.Engine().GetRunAsync(run.ProjectId, run.RunId, CancellationToken.None);
                var step = view!.Steps.First(s => s.Name == parts[1]);
                detail.AppendLine($"MISSING {m}: owner {step.LeaseOwner} status {step.Status} exit {step.ExitCode}");
                detail.AppendLine(await starter.Engine().ReadLogAsync(run.ProjectId, run.RunId, parts[1], CancellationToken.None));
            }

            detail.AppendLine("DUPLICATES: " + string.Join(",", lines.GroupBy(l => l).Where(g => g.Count() > 1).Select(g => g.Key)));
            detail.AppendLine("ODD: " + string.Join(" | ", lines.Where(l => !expectedLines.Contains(l))));
            Assert.Fail(detail.ToString());
        }
        var expected = runs.SelectMany(r => new[] { $"{r.RunId} build 1", $"{r.RunId} test 1" }).Order(StringComparer.Ordinal);
        Assert.Equal(expected, lines.Order(StringComparer.Ordinal));

        // The work really was spread: embedded workers and both runner processes executed steps.
        Assert.True(await CountAsync(connectionString, "SELECT count(*) FROM pipeline_steps WHERE lease_owner LIKE 'embedded:%'") > 0);
        Assert.Equal(2, await CountAsync(connectionString, "SELECT count(DISTINCT lease_owner) FROM pipeline_steps WHERE lease_owner LIKE 'runner:%'"));
        Assert.False(runnerA.HasExited || runnerB.HasExited);
    }

    /// <summary>
    /// The real executable, SIGKILLed at ten random moments of real runs (in a step, between steps, while the
    /// orchestration is between events) and restarted each time. The in-process starter only writes runs: it runs no
    /// Durable worker and no runner, so only the killed service sequences and executes them.
    /// </summary>
    [Fact]
    public async Task Service_killed_with_SIGKILL_at_ten_random_moments_completes_every_run_without_repeating_a_completed_step()
    {
        var connectionString = await TestPostgres.CreateDatabaseAsync("sigkill");
        var scratch = PipelineTestKit.NewScratchDirectory("sigkill");
        var shared = PipelineTestKit.NewSharedDirectory("sigkill-shared");
        var executions = Path.Combine(shared, "executions.txt");
        var environment = ServiceEnvironment(connectionString, Path.Combine(scratch, "data"), workers: 2, shared);
        await using var starter = await PipelineTestKit.StartAppAsync("sigkill", new Dictionary<string, string?> { ["Durable:Worker:Enabled"] = "false" }, connectionString);

        string[] record = ["sh", "-c", "echo \"$DEVMENTOR_RUN_ID $DEVMENTOR_STEP $DEVMENTOR_ATTEMPT\" >> \"$1\"; sleep 0.4", "sh", executions];
        // A kill in a step costs that step an attempt (its runner is lost): ten kills may land in one step.
        var definition = new PipelineDefinition(new[] { "compile", "test", "package", "publish" }
            .Select(n => new StepDefinition(n, [record], Retry: new RetryPolicy(MaxAttempts: 12))).ToList());
        var seed = Environment.TickCount;
        var random = new Random(seed);
        var runs = new List<StartedRun>();
        // Steps that had succeeded when a kill came, with their attempt then: none of them may run again.
        var succeededBeforeKills = new Dictionary<Guid, int>();
        for (var kill = 1; kill <= 10; kill++)
        {
            await using var service = ServiceProcess.Start(scratch, environment);
            await service.WaitUntilHealthyAsync(TimeSpan.FromSeconds(60));
            runs.Add(await starter.Engine().StartAsync(Guid.NewGuid(), definition));
            await Task.Delay(TimeSpan.FromMilliseconds(random.Next(300, 3000)));
            if (kill >= 5 && succeededBeforeKills.Count == 0)
            {
                // A loaded machine can restart and claim so slowly that no step ends within the random delays; from
                // the fifth kill on, one comes after a step succeeded, so "no completed step runs again" is put to the test.
                await WaitForAnySucceededStepAsync(connectionString, TimeSpan.FromSeconds(60));
                await Task.Delay(TimeSpan.FromMilliseconds(random.Next(0, 500)));
            }

            service.Kill();
            await service.WaitForExitAsync(TimeSpan.FromSeconds(10));
            foreach (var (stepId, attempt) in await SucceededStepsAsync(connectionString))
            {
                succeededBeforeKills[stepId] = attempt;
            }
        }

        await using (var last = ServiceProcess.Start(scratch, environment))
        {
            await last.WaitUntilHealthyAsync(TimeSpan.FromSeconds(60));
            // A killed single instance resumes its runs within 60 s (Durable leases, the runner queue's leases, the outbox).
            foreach (var run in runs)
            {
                var view = await starter.Engine().WaitForEndAsync(run, TimeSpan.FromSeconds(60));
                Assert.True(view.Status == RunStatus.Succeeded, $"run {run.Number} ended {view.Status.ToWire()} (seed {seed}): {string.Join(", ", view.Steps.Select(s => $"{s.Name}={s.Status.ToWire()}/{s.Attempt} {s.Error}"))}");
            }
        }

        var lines = await File.ReadAllLinesAsync(executions);
        // Every attempt ran once (a line per attempt, none twice) and every step's last attempt succeeded.
        Assert.Equal(lines.Length, lines.Distinct().Count());
        var final = await SucceededStepsAsync(connectionString);
        Assert.Equal(runs.Count * 4, final.Count);
        Assert.InRange(lines.Length, final.Count, final.Values.Sum()); // a kill right after a claim leaves an attempt with no line
        foreach (var (stepId, attempt) in succeededBeforeKills)
        {
            Assert.True(final[stepId] == attempt, $"step {stepId} had succeeded at attempt {attempt} before a kill and ran again (attempt {final[stepId]}; seed {seed})");
        }

        Assert.NotEmpty(succeededBeforeKills);
    }

    /// <summary>
    /// The deploy stage survives a SIGKILL: the real executable is killed while its deployment worker waits for the
    /// release's health gate (the release warms up for 3 s); after the restart the interrupted deployment is worked
    /// again (the first attempt's release process, which outlived the kill, is stopped), its end reaches the waiting
    /// orchestration through the outbox, and the run succeeds with one deployment, one release process, no step run twice.
    /// </summary>
    [Fact]
    public async Task Service_killed_with_SIGKILL_during_the_deploy_stage_completes_the_run_with_the_deployment_made_once()
    {
        var connectionString = await TestPostgres.CreateDatabaseAsync("sigkilldeploy");
        var scratch = PipelineTestKit.NewScratchDirectory("sigkilldeploy");
        var data = Path.Combine(scratch, "data");
        var releases = Path.Combine(data, "releases");
        var environment = ServiceEnvironment(connectionString, data, workers: 1, PipelineTestKit.NewSharedDirectory("sigkilldeploy-shared"));
        // One blob container for both lives of the service: the restarted one restores the artifacts the first one kept.
        environment["AzureWebJobsStorage"] = (await TestAzurite.SharedAsync()).ConnectionString;
        environment["Blob__Container"] = TestAzurite.NewContainer("svc");
        environment["Deployments__PollMilliseconds"] = "100";
        environment["Deployments__HealthPollMilliseconds"] = "50";
        // Only the killed service works the run: the starter sequences nothing, runs no step and deploys nothing.
        await using var starter = await PipelineTestKit.StartAppAsync("sigkilldeploy", new Dictionary<string, string?>
        {
            ["Durable:Worker:Enabled"] = "false",
            ["Deployments:Worker:Enabled"] = "false",
        }, connectionString);

        var environments = JsonSerializer.Serialize(new[]
        {
            new { name = "staging", type = "local", start = new[] { "node", "app/server.js" }, healthPath = "/health", healthTimeoutSeconds = 60 },
        });
        var definition = new PipelineDefinition(
        [
            new StepDefinition("clone", [["sh", "-c", "printf 'deploy.environments=%s\\n' \"$ENVS\" >> \"$DEVMENTOR_OUTPUT\""]], Env: new Dictionary<string, string> { ["ENVS"] = environments }),
            new StepDefinition("build", [["sh", "-c", "mkdir -p app && printf '%s' \"$SERVER\" > app/server.js"]],
                Env: new Dictionary<string, string> { ["SERVER"] = Deployments.DeploymentTestKit.Server("survived-the-kill", warmUpMilliseconds: 3000) }, Artifacts: ["app/server.js"]),
        ]);
        StartedRun run;
        await using (var killed = ServiceProcess.Start(scratch, environment))
        {
            await killed.WaitUntilHealthyAsync(TimeSpan.FromSeconds(60));
            run = await starter.Engine().StartAsync(new StartRunRequest(Guid.NewGuid(), "manual", "main", "0123456789abcdef0123456789abcdef01234567", definition, Deploy: true, Environment: "staging"), CancellationToken.None);
            await WaitForAsync(async () => await CountAsync(connectionString, $"SELECT count(*) FROM deployments WHERE run_id = '{run.RunId}' AND status = 'deploying'") == 1,
                TimeSpan.FromSeconds(90), () => $"the run never reached its deploy stage\n{killed.Output[^Math.Min(4000, killed.Output.Length)..]}");
            killed.Kill();
            await killed.WaitForExitAsync(TimeSpan.FromSeconds(10));
        }

        try
        {
            await using var restarted = ServiceProcess.Start(scratch, environment);
            await restarted.WaitUntilHealthyAsync(TimeSpan.FromSeconds(60));
            var view = await starter.Engine().WaitForEndAsync(run, TimeSpan.FromSeconds(90));

            Assert.True(view.Status == RunStatus.Succeeded, $"the run ended {view.Status.ToWire()}: {string.Join(", ", view.Events.Select(e => $"{e.Type} {e.Data}"))}");
            Assert.All(view.Steps, s => Assert.Equal((StepStatus.Succeeded, 1), (s.Status, s.Attempt)));
            Assert.Equal(1, await CountAsync(connectionString, $"SELECT count(*) FROM deployments WHERE run_id = '{run.RunId}'"));
            Assert.Equal(1, await CountAsync(connectionString, $"SELECT count(*) FROM deployments WHERE run_id = '{run.RunId}' AND status = 'current' AND trigger = 'auto'"));
            Assert.Equal(["deployment.queued", "deployment.started", "deployment.requeued", "deployment.started", "deployment.succeeded"],
                view.Events.Where(e => e.Type.StartsWith("deployment.", StringComparison.Ordinal)).Select(e => e.Type));
            // The killed attempt's release was stopped: one process serves the release.
            Assert.Single(ReleaseProcesses(releases));
        }
        finally
        {
            foreach (var pid in ReleaseProcesses(releases))
            {
                using var left = System.Diagnostics.Process.GetProcessById(pid);
                left.Kill(entireProcessTree: true);
            }
        }
    }

    /// <summary>Processes whose working directory is under <paramref name="root"/> (/proc/*/cwd).</summary>
    private static List<int> ReleaseProcesses(string root)
    {
        var found = new List<int>();
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            try
            {
                if (int.TryParse(Path.GetFileName(directory), out var pid) && new FileInfo(Path.Combine(directory, "cwd")).LinkTarget is { } cwd &&
                    cwd.StartsWith(root + Path.DirectorySeparatorChar, StringComparison.Ordinal) && !File.ReadAllText(Path.Combine(directory, "stat")).Contains(") Z ", StringComparison.Ordinal))
                {
                    found.Add(pid);
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Exited while we looked, or not ours.
            }
        }

        return found;
    }

    private static async Task WaitForAnySucceededStepAsync(string connectionString, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while ((await SucceededStepsAsync(connectionString)).Count == 0)
        {
            Assert.True(DateTime.UtcNow < deadline, $"no step succeeded within {timeout} of the service's start");
            await Task.Delay(100);
        }
    }

    private static async Task<Dictionary<Guid, int>> SucceededStepsAsync(string connectionString)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT id, attempt FROM pipeline_steps WHERE status = 'succeeded'", connection);
        await using var reader = await command.ExecuteReaderAsync();
        var steps = new Dictionary<Guid, int>();
        while (await reader.ReadAsync())
        {
            steps[reader.GetGuid(0)] = reader.GetInt32(1);
        }

        return steps;
    }

    private static async Task<long> CountAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    private static async Task WaitForAsync(Func<Task<bool>> condition, TimeSpan timeout, Func<string> describe)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException(describe());
            }

            await Task.Delay(200);
        }
    }
}
