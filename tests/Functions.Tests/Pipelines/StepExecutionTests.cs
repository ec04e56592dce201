using DevMentor.Core.Pipelines.Results;
using DevMentor.Core.Pipelines;
using DevMentor.Core.Pipelines.Execution;
using DevMentor.Functions.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace DevMentor.Functions.Tests.Pipelines;

/// <summary>The embedded runner executing real commands: logs, environment, exit codes, timeouts, cancel, workspace restore.</summary>
public sealed class StepExecutionTests
{
    private static Task<TestApp> StartWithRunnerAsync(string purpose, IDictionary<string, string?>? settings = null)
    {
        var values = new Dictionary<string, string?>
        {
            ["Pipelines:Runner:Enabled"] = "true",
            ["Pipelines:Runner:Workers"] = "2",
            ["Pipelines:Runner:WorkDirectory"] = PipelineTestKit.NewScratchDirectory("work"),
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            values[key] = value;
        }

        return PipelineTestKit.StartAppAsync(purpose, values);
    }

    [Fact]
    public async Task Commands_run_without_a_shell_in_the_workspace_with_an_allow_listed_environment()
    {
        var secretName = "DEVMENTOR_TEST_SECRET_" + Guid.NewGuid().ToString("N")[..8].ToUpperInvariant();
        Environment.SetEnvironmentVariable(secretName, "s3cret-value");
        try
        {
            var shared = PipelineTestKit.NewSharedDirectory("env");
            await using var app = await StartWithRunnerAsync("execenv", new Dictionary<string, string?> { ["Pipelines:Runner:WritablePaths"] = shared });
            var envFile = Path.Combine(shared, "env.txt");
            var definition = PipelineTestKit.Steps(("build",
            [
                ["echo", "argv is not shell-expanded: $HOME;", "*"],
                ["sh", "-c", "echo hello from $DEVMENTOR_STEP; pwd; env > \"$1\"; echo version=1.2.3 >> \"$DEVMENTOR_OUTPUT\"", "sh", envFile],
            ]));

            var run = await app.Engine().StartAsync(Guid.NewGuid(), definition);
            var view = await app.Engine().WaitForEndAsync(run, TimeSpan.FromSeconds(30));

            Assert.Equal(RunStatus.Succeeded, view.Status);
            Assert.Equal("1.2.3", view.Steps[0].Outputs!.Value.GetProperty("version").GetString());
            var log = await app.Engine().ReadLogAsync(run.ProjectId, run.RunId, "build", CancellationToken.None);
            Assert.Contains("argv is not shell-expanded: $HOME; *", log, StringComparison.Ordinal);
            Assert.Contains("hello from build", log, StringComparison.Ordinal);
            Assert.Contains("$ sh -c", log, StringComparison.Ordinal);
            Assert.Contains("\n/workspace\n", log, StringComparison.Ordinal); // pwd: the run's workspace, where the sandbox puts it
            var environment = await File.ReadAllTextAsync(envFile);
            Assert.Contains($"DEVMENTOR_RUN_ID={run.RunId}", environment, StringComparison.Ordinal);
            Assert.Contains("HOME=/home/devmentor\n", environment, StringComparison.Ordinal); // the run's own home, not the runner's
            Assert.Contains("PATH=", environment, StringComparison.Ordinal);
            Assert.DoesNotContain(secretName, environment, StringComparison.Ordinal);
            Assert.DoesNotContain("ConnectionStrings", environment, StringComparison.Ordinal);
            Assert.DoesNotContain("Password", environment, StringComparison.OrdinalIgnoreCase);
        }
        finally
        {
            Environment.SetEnvironmentVariable(secretName, null);
        }
    }

    [Fact]
    public async Task A_non_zero_exit_fails_the_step_once_without_retry()
    {
        await using var app = await StartWithRunnerAsync("execfail");
        var run = await app.Engine().StartAsync(Guid.NewGuid(), PipelineTestKit.Steps(("test", [["sh", "-c", "echo failing; exit 3"]]), ("build", [["true"]])));

        var view = await app.Engine().WaitForEndAsync(run, TimeSpan.FromSeconds(30));

        Assert.Equal(RunStatus.Failed, view.Status);
        Assert.Equal((StepStatus.Failed, 3, 1), (view.Steps[0].Status, view.Steps[0].ExitCode, view.Steps[0].Attempt));
        Assert.Equal(StepStatus.Skipped, view.Steps[1].Status);
        Assert.Contains("exited with code 3", await app.Engine().ReadLogAsync(run.ProjectId, run.RunId, "test", CancellationToken.None), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_exit_code_the_step_declares_as_infrastructure_failure_is_retried()
    {
        await using var app = await StartWithRunnerAsync("execretrycode");
        var definition = new PipelineDefinition([new StepDefinition("clone",
            [["sh", "-c", "[ \"$DEVMENTOR_ATTEMPT\" -ge 2 ] || exit 128"]],
            Retry: new RetryPolicy(OnExitCodes: [128]))]);

        var run = await app.Engine().StartAsync(Guid.NewGuid(), definition);
        var view = await app.Engine().WaitForEndAsync(run, TimeSpan.FromSeconds(30));

        Assert.Equal(RunStatus.Succeeded, view.Status);
        Assert.Equal(2, view.Steps[0].Attempt);
        Assert.Contains(view.Events, e => e.Type == "step.retrying" && e.Data!.Value.GetProperty("error").GetString()!.Contains("128", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_step_past_its_timeout_is_killed_and_timed_out()
    {
        await using var app = await StartWithRunnerAsync("exectimeout");
        var sleep = ProcessTable.UniqueSleep(60);
        var definition = new PipelineDefinition([new StepDefinition("test", [["sleep", sleep]], TimeoutSeconds: 1)]);

        var run = await app.Engine().StartAsync(Guid.NewGuid(), definition);
        var view = await app.Engine().WaitForEndAsync(run, TimeSpan.FromSeconds(30));

        Assert.Equal(RunStatus.TimedOut, view.Status);
        Assert.Equal((StepStatus.TimedOut, 1), (view.Steps[0].Status, view.Steps[0].Attempt));
        await ProcessTable.WaitUntilGoneAsync(sleep, TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task Cancel_during_a_running_step_kills_its_process_tree_within_five_seconds()
    {
        await using var app = await StartWithRunnerAsync("execcancel", new Dictionary<string, string?> { ["Pipelines:HeartbeatSeconds"] = "1" });
        var sleep = ProcessTable.UniqueSleep(600);
        // A shell with a child: the whole tree has to go, not just the direct child.
        var run = await app.Engine().StartAsync(Guid.NewGuid(), PipelineTestKit.Steps(("test", [["sh", "-c", "sleep \"$1\" & sleep \"$1\"; wait", "sh", sleep]]), ("build", [["true"]])));
        // bwrap (and its PID 1), sh and both sleeps carry the token.
        await ProcessTable.WaitForAsync(sleep, TimeSpan.FromSeconds(30), count: 4);

        var watch = System.Diagnostics.Stopwatch.StartNew();
        Assert.Equal(CancelResult.Canceled, await app.Engine().CancelAsync(run.ProjectId, run.RunId, CancellationToken.None));
        await ProcessTable.WaitUntilGoneAsync(sleep, TimeSpan.FromSeconds(5));
        Assert.InRange(watch.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(5));

        var view = await app.Engine().WaitForRunAsync(run, v => v.Events.Any(e => e.Type == "run.canceled"), TimeSpan.FromSeconds(5));
        Assert.Equal(RunStatus.Canceled, view.Status);
        Assert.Equal([StepStatus.Canceled, StepStatus.Canceled], view.Steps.Select(s => s.Status));
        var log = "";
        for (var i = 0; i < 50 && !log.Contains("canceled", StringComparison.Ordinal); i++)
        {
            await Task.Delay(100);
            log = await app.Engine().ReadLogAsync(run.ProjectId, run.RunId, "test", CancellationToken.None) ?? "";
        }

        Assert.Contains("[devmentor] canceled", log, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_runner_without_the_workspace_restores_it_by_rerunning_clone_without_a_new_attempt()
    {
        await using var app = await PipelineTestKit.StartAppAsync("execrestore");
        var engine = app.Engine();
        var shared = PipelineTestKit.NewSharedDirectory("restore");
        var counter = Path.Combine(shared, "clone-runs.txt");
        var definition = PipelineTestKit.Steps(
            ("clone", [["sh", "-c", "echo cloned >> \"$1\"; echo source > repo.txt", "sh", counter]]),
            ("lint", [["sh", "-c", "echo lint >> lint.txt"]]),
            ("test", [["sh", "-c", "cat repo.txt; test ! -e lint.txt"]]));
        var run = await engine.StartAsync(Guid.NewGuid(), definition);

        // Runner A clones and lints; runner B, with its own disk, takes the test step.
        await RunOneAsync(app, "runner-a", PipelineTestKit.NewScratchDirectory("work-a"), shared);
        await RunOneAsync(app, "runner-a", PipelineTestKit.NewScratchDirectory("work-a2"), shared);
        await RunOneAsync(app, "runner-b", PipelineTestKit.NewScratchDirectory("work-b"), shared);

        var view = await engine.WaitForEndAsync(run, TimeSpan.FromSeconds(20));
        Assert.Equal(RunStatus.Succeeded, view.Status);
        Assert.All(view.Steps, s => Assert.Equal(1, s.Attempt));
        // clone ran for its own step, then twice more as restores (a2 and b lacked the workspace);
        // lint is not a restore step, so the test step's fresh workspace has no lint.txt.
        Assert.Equal(3, (await File.ReadAllLinesAsync(counter)).Length);
        var log = await engine.ReadLogAsync(run.ProjectId, run.RunId, "test", CancellationToken.None);
        Assert.Contains("[devmentor] restoring the workspace", log, StringComparison.Ordinal);
        Assert.Contains("restore clone: $ sh -c", log, StringComparison.Ordinal);
        Assert.Contains("source", log, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_same_runner_keeps_its_workspace_between_steps()
    {
        await using var app = await PipelineTestKit.StartAppAsync("execkeep");
        var engine = app.Engine();
        var shared = PipelineTestKit.NewSharedDirectory("keep");
        var counter = Path.Combine(shared, "clone-runs.txt");
        var run = await engine.StartAsync(Guid.NewGuid(), PipelineTestKit.Steps(
            ("clone", [["sh", "-c", "echo cloned >> \"$1\"; echo source > repo.txt", "sh", counter]]),
            ("test", [["cat", "repo.txt"]])));
        var work = PipelineTestKit.NewScratchDirectory("work");

        await RunOneAsync(app, "runner-a", work, shared);
        await RunOneAsync(app, "runner-a", work, shared);

        var view = await engine.WaitForEndAsync(run, TimeSpan.FromSeconds(20));
        Assert.Equal(RunStatus.Succeeded, view.Status);
        Assert.Single(await File.ReadAllLinesAsync(counter));
        Assert.DoesNotContain("restoring", await engine.ReadLogAsync(run.ProjectId, run.RunId, "test", CancellationToken.None), StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(work, run.RunId.ToString("N"))), "a finished run's workspace is removed");
    }

    private static async Task RunOneAsync(TestApp app, string owner, string workDirectory, string shared)
    {
        var source = new EngineJobSource(app.Engine(), owner, ["linux"], app.Services.GetRequiredService<BuildResults>());
        var options = new RunnerOptions { WorkDirectory = workDirectory, HeartbeatInterval = TimeSpan.FromMilliseconds(200), SandboxWritablePaths = [shared] };
        var executor = new StepExecutor(options, ProcessLauncher.Shared, NullLogger.Instance);
        var step = await source.ClaimAsync(TimeSpan.FromSeconds(20), CancellationToken.None);
        Assert.NotNull(step);
        await executor.RunAsync(step, source, claimNext: false, CancellationToken.None);
    }
}
