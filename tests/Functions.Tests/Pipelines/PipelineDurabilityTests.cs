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

    [Fact]
    public async Task Service_killed_with_SIGKILL_mid_run_completes_the_run_after_restart_without_repeating_completed_steps()
    {
        var connectionString = await TestPostgres.CreateDatabaseAsync("sigkill");
        var scratch = PipelineTestKit.NewScratchDirectory("sigkill");
        var shared = PipelineTestKit.NewSharedDirectory("sigkill-shared");
        var executions = Path.Combine(shared, "executions.txt");
        var sleep = ProcessTable.UniqueSleep(600);
        var environment = ServiceEnvironment(connectionString, Path.Combine(scratch, "data"), workers: 2, shared);
        await using var starter = await PipelineTestKit.StartAppAsync("sigkill", connectionString: connectionString);

        string[] Record(string name) => ["sh", "-c", $"echo {name}$DEVMENTOR_ATTEMPT >> \"$1\"", "sh", executions];
        var definition = new PipelineDefinition(
        [
            new StepDefinition("compile", [Record("compile")]),
            // Hangs on its first attempt only, so the kill lands while it runs and the retry finishes.
            new StepDefinition("test", [["sh", "-c", $"echo test$DEVMENTOR_ATTEMPT >> \"$1\"; if [ \"$DEVMENTOR_ATTEMPT\" = 1 ]; then sleep {sleep}; fi", "sh", executions]]),
            new StepDefinition("package", [Record("package")]),
        ]);

        StartedRun run;
        await using (var first = ServiceProcess.Start(scratch, environment))
        {
            await first.WaitUntilHealthyAsync(TimeSpan.FromSeconds(60));
            run = await starter.Engine().StartAsync(Guid.NewGuid(), definition);
            await ProcessTable.WaitForAsync(sleep, TimeSpan.FromSeconds(60));

            first.Kill();
            await first.WaitForExitAsync(TimeSpan.FromSeconds(10));
            // No orphans: the step's processes died with the killed service.
            await ProcessTable.WaitUntilGoneAsync(sleep, TimeSpan.FromSeconds(5));
        }

        Assert.Equal(["compile1", "test1"], await File.ReadAllLinesAsync(executions));
        Assert.Equal(RunStatus.Running, (await starter.Engine().GetRunAsync(run.ProjectId, run.RunId, CancellationToken.None))!.Status);

        await using var second = ServiceProcess.Start(scratch, environment);
        await second.WaitUntilHealthyAsync(TimeSpan.FromSeconds(60));
        var view = await starter.Engine().WaitForEndAsync(run, TimeSpan.FromSeconds(60));

        Assert.Equal(RunStatus.Succeeded, view.Status);
        Assert.Equal(["compile1", "test1", "test2", "package1"], await File.ReadAllLinesAsync(executions));
        Assert.Equal([1, 2, 1], view.Steps.Select(s => s.Attempt));
        Assert.Contains(view.Events, e => e.Type == "step.retrying" && e.Step == "test");
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
