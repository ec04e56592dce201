using System.Diagnostics;
using System.Globalization;
using DevMentor.Core.Pipelines.Reports;
using Microsoft.Extensions.Logging;

namespace DevMentor.Core.Pipelines.Execution;

/// <summary>
/// Runs one claimed step to its end and reports it: workspace (restored when this runner does
/// not have it), commands without a shell under the step timeout, heartbeats that extend the
/// lease and bring back a cancel, a size-capped log shipped while the step runs.
/// The embedded runner and DevMentor.Runner both run steps through this class.
/// </summary>
public sealed partial class StepExecutor(RunnerOptions options, ProcessLauncher launcher, ILogger logger, IEnumerable<IBuiltInStep>? builtIns = null)
{
    private readonly Workspaces _workspaces = new(options.WorkDirectory);
    private readonly StepSandbox? _sandbox = options.Isolate ? new StepSandbox(options) : null;
    private readonly Dictionary<string, IBuiltInStep> _builtIns = (builtIns ?? []).ToDictionary(b => b.Name, StringComparer.Ordinal);

    public Workspaces Workspaces => _workspaces;

    /// <summary>Prunes idle workspaces at start and then every hour until stopped.</summary>
    public async Task CleanWorkspacesAsync(CancellationToken stopping)
    {
        while (!stopping.IsCancellationRequested)
        {
            var pruned = _workspaces.PruneIdle(options.WorkspaceMaxIdle, DateTime.UtcNow);
            if (pruned > 0)
            {
                LogPruned(logger, pruned, options.WorkspaceMaxIdle.TotalHours);
            }

            try
            {
                await Task.Delay(TimeSpan.FromHours(1), stopping);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <param name="claimNext">Claim this runner's next step together with the report (a worker that goes on).</param>
    /// <returns>The next step, when <paramref name="claimNext"/> got one: run it next.</returns>
    public async Task<ClaimedStep?> RunAsync(ClaimedStep step, IJobSource source, bool claimNext, CancellationToken stopping)
    {
        var log = new StepLogWriter(source, step, options.MaxLogBytes, options.Secrets);
        using var abort = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        var heard = HeartbeatAction.Continue;
        using var pumpStop = new CancellationTokenSource();
        var pump = PumpAsync(step, source, log, action =>
        {
            heard = action;
            abort.Cancel();
        }, pumpStop.Token);

        LogStepStarted(logger, step.StepName, step.RunId, step.Attempt);
        StepResult result;
        try
        {
            result = await ExecuteAsync(step, source, log, abort.Token);
            if (!abort.IsCancellationRequested)
            {
                try
                {
                    await KeepOutputsAsync(step, source, log, result, abort.Token);
                }
                catch (Exception e) when (e is HttpRequestException or IOException or UnauthorizedAccessException or Npgsql.NpgsqlException or ArgumentException)
                {
                    log.WriteLine($"[devmentor] could not keep the step's test results or artifacts: {e.Message}");
                    LogKeepFailed(logger, e, step.StepName, step.RunId);
                }
            }
        }
        catch (OperationCanceledException) when (abort.IsCancellationRequested)
        {
            result = new StepResult(StepResultKind.InfrastructureError, Error: "aborted");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            log.WriteLine($"[devmentor] runner error: {e.Message}");
            result = new StepResult(StepResultKind.InfrastructureError, Error: $"runner error: {e.Message}");
        }

        if (abort.IsCancellationRequested)
        {
            result = heard switch
            {
                HeartbeatAction.Cancel => new StepResult(StepResultKind.Canceled, Error: "canceled"),
                HeartbeatAction.Lost => result,
                _ => new StepResult(StepResultKind.InfrastructureError, Error: "the runner stopped while the step ran"),
            };
            log.WriteLine(heard switch
            {
                HeartbeatAction.Cancel => "[devmentor] canceled: the step's processes were killed",
                HeartbeatAction.Lost => "[devmentor] this runner lost the step's lease; stopped",
                _ => "[devmentor] the runner is stopping; the step will be retried",
            });
        }

        await pumpStop.CancelAsync();
        await pump;
        using var reporting = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            await log.FlushAsync(reporting.Token);
            if (heard == HeartbeatAction.Lost)
            {
                return null; // another attempt owns the step now; a report would be rejected anyway
            }

            var (outcome, next) = claimNext && !stopping.IsCancellationRequested
                ? await source.CompleteAndClaimNextAsync(step, result, reporting.Token)
                : (await source.CompleteAsync(step, result, reporting.Token), null);
            LogStepEnded(logger, step.StepName, step.RunId, step.Attempt, result.Kind.ToString(), outcome is null ? "rejected" : outcome.StepStatus.ToWire());
            if (outcome is { RunFinished: true })
            {
                _workspaces.Delete(step.RunId);
            }

            return next;
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException or IOException or Npgsql.NpgsqlException)
        {
            // The lease expires and the sweeper retries the step: nothing is lost.
            LogReportFailed(logger, e, step.StepName, step.RunId, step.Attempt);
            return null;
        }
    }

    private async Task<StepResult> ExecuteAsync(ClaimedStep step, IJobSource source, StepLogWriter log, CancellationToken abort)
    {
        var deadline = Stopwatch.StartNew();
        var timeout = TimeSpan.FromSeconds(step.TimeoutSeconds);
        var workspace = _workspaces.PathFor(step.RunId);
        if (step.Position == 0)
        {
            _workspaces.Reset(step.RunId);
        }
        else if (!_workspaces.IsUsableFor(step.RunId, step.Position))
        {
            var restore = step.Definition.Steps.Take(step.Position).Where(s => s.RestoresWorkspace).ToList();
            _workspaces.Reset(step.RunId);
            log.WriteLine($"[devmentor] restoring the workspace: this runner does not have it; re-running {(restore.Count == 0 ? "nothing" : string.Join(", ", restore.Select(s => s.Name)))} into a fresh workspace");
            foreach (var earlier in restore)
            {
                if (earlier.Uses is not null)
                {
                    log.WriteLine($"[devmentor] restore {earlier.Name}: uses {earlier.Uses}");
                    var restored = await RunBuiltInAsync(step, earlier, source, log, timeout - deadline.Elapsed, abort);
                    if (restored.Kind != StepResultKind.Succeeded)
                    {
                        return new StepResult(StepResultKind.InfrastructureError, Error: $"workspace restore failed: {earlier.Name}: {restored.Error}");
                    }

                    continue;
                }

                var restoreMounts = PrepareSandbox(step.RunId);
                foreach (var argv in earlier.Commands)
                {
                    log.WriteLine($"[devmentor] restore {earlier.Name}: $ {Display(argv)}");
                    var outcome = await RunCommandAsync(argv, restoreMounts, Environment(step, earlier, sandboxed: _sandbox is not null), log, timeout - deadline.Elapsed, abort);
                    if (outcome.TimedOut || outcome.ExitCode != 0)
                    {
                        return new StepResult(StepResultKind.InfrastructureError,
                            Error: $"workspace restore failed: {earlier.Name} {(outcome.TimedOut ? "timed out" : $"exited with code {outcome.ExitCode}")}");
                    }
                }
            }

            log.WriteLine("[devmentor] workspace restored");
        }

        _workspaces.BeginStep(step.RunId);
        var outputsFile = _workspaces.OutputsFile(step.RunId);
        if (File.Exists(outputsFile))
        {
            File.Delete(outputsFile);
        }

        if (step.Step.Uses is not null)
        {
            var builtIn = await RunBuiltInAsync(step, step.Step, source, log, timeout - deadline.Elapsed, abort);
            if (builtIn.Kind == StepResultKind.Succeeded)
            {
                _workspaces.CompleteStep(step.RunId, step.Position);
            }

            return builtIn;
        }

        var mounts = PrepareSandbox(step.RunId);
        foreach (var argv in step.Step.Commands)
        {
            log.WriteLine($"$ {Display(argv)}");
            var outcome = await RunCommandAsync(argv, mounts, Environment(step, step.Step, sandboxed: _sandbox is not null), log, timeout - deadline.Elapsed, abort);
            if (outcome.TimedOut)
            {
                log.WriteLine($"[devmentor] timed out after {step.TimeoutSeconds} s; the step's processes were killed");
                return new StepResult(StepResultKind.TimedOut, Error: $"timed out after {step.TimeoutSeconds} s");
            }

            if (outcome.ExitCode != 0)
            {
                log.WriteLine($"[devmentor] exited with code {outcome.ExitCode}");
                return step.Step.Retry?.OnExitCodes?.Contains(outcome.ExitCode) == true
                    ? new StepResult(StepResultKind.InfrastructureError, outcome.ExitCode, $"{argv[0]} exited with code {outcome.ExitCode}, an infrastructure failure for this step")
                    : new StepResult(StepResultKind.Failed, outcome.ExitCode, $"{argv[0]} exited with code {outcome.ExitCode}");
            }
        }

        var outputs = ReadOutputs(outputsFile);
        _workspaces.CompleteStep(step.RunId, step.Position);
        return StepResult.Success(outputs);
    }

    /// <summary>A <see cref="StepDefinition.Uses"/> step: the registered built-in under the step's timeout.</summary>
    private async Task<StepResult> RunBuiltInAsync(ClaimedStep step, StepDefinition definition, IJobSource source, StepLogWriter log, TimeSpan timeLeft, CancellationToken abort)
    {
        if (!_builtIns.TryGetValue(definition.Uses!, out var builtIn))
        {
            var known = _builtIns.Count == 0 ? "none" : string.Join(", ", _builtIns.Keys.Order(StringComparer.Ordinal));
            var message = $"unknown built-in step '{definition.Uses}' (this runner has: {known})";
            log.WriteLine($"[devmentor] {message}");
            return new StepResult(StepResultKind.Failed, 1, message);
        }

        if (timeLeft <= TimeSpan.Zero)
        {
            return new StepResult(StepResultKind.TimedOut, Error: $"timed out after {step.TimeoutSeconds} s");
        }

        using var limit = CancellationTokenSource.CreateLinkedTokenSource(abort);
        limit.CancelAfter(timeLeft);
        // Restoring runs an earlier built-in for a later step: it sees itself at its own position.
        var position = Math.Max(0, step.Definition.Steps.ToList().IndexOf(definition));
        var context = new BuiltInStepContext(step with { Position = position, StepName = definition.Name }, _workspaces.PathFor(step.RunId), source, log.WriteLine, Environment(step, definition), _sandbox);
        try
        {
            return await builtIn.RunAsync(context, limit.Token);
        }
        catch (OperationCanceledException) when (limit.IsCancellationRequested && !abort.IsCancellationRequested)
        {
            log.WriteLine($"[devmentor] timed out after {step.TimeoutSeconds} s");
            return new StepResult(StepResultKind.TimedOut, Error: $"timed out after {step.TimeoutSeconds} s");
        }
    }

    /// <summary>
    /// Test reports after the step ended (also when it failed: the failures are the point), and
    /// artifacts after it succeeded. Trouble here is logged, never turns the step's result around.
    /// </summary>
    private async Task KeepOutputsAsync(ClaimedStep step, IJobSource source, StepLogWriter log, StepResult result, CancellationToken abort)
    {
        var workspace = _workspaces.PathFor(step.RunId);
        if (step.Step.Reports is { Count: > 0 } reports && result.Kind is StepResultKind.Succeeded or StepResultKind.Failed && Directory.Exists(workspace))
        {
            var collected = TestReportCollector.Collect(workspace, reports, []);
            foreach (var problem in collected.Problems)
            {
                log.WriteLine($"[devmentor] test report {problem.Message}");
            }

            if (collected.Tests.Count > 0 || collected.Coverage.Count > 0)
            {
                var summary = collected.Summary;
                await source.ReportTestsAsync(step, summary, abort);
                log.WriteLine($"[devmentor] tests: {summary.Passed} passed, {summary.Failed} failed, {summary.Skipped} skipped" +
                    (summary.Coverage is { } line ? $"; line coverage {line.ToString(CultureInfo.InvariantCulture)} %" : "") +
                    (summary.BranchCoverage is { } branch ? $", branch coverage {branch.ToString(CultureInfo.InvariantCulture)} %" : ""));
            }
            else
            {
                log.WriteLine($"[devmentor] no test reports matched {string.Join(", ", reports)}");
            }
        }

        if (step.Step.Artifacts is { Count: > 0 } artifacts && result.Kind == StepResultKind.Succeeded && Directory.Exists(workspace))
        {
            var found = TestReportCollector.Find(workspace, artifacts);
            if (found.Count == 0)
            {
                log.WriteLine($"[devmentor] no artifacts matched {string.Join(", ", artifacts)}");
            }

            foreach (var name in found)
            {
                var file = new FileInfo(Path.Combine(workspace, name));
                if (file.Length > options.MaxArtifactBytes)
                {
                    log.WriteLine($"[devmentor] artifact {name} is {file.Length} bytes, over the {options.MaxArtifactBytes}-byte limit; not kept");
                    continue;
                }

                await using var content = file.OpenRead();
                var kept = await source.UploadArtifactAsync(step, name, content, file.Length, abort);
                log.WriteLine(kept is null
                    ? $"[devmentor] artifact {name} not kept: this runner lost the step's lease"
                    : $"[devmentor] artifact {name} ({kept.Size} bytes, sha256 {kept.Sha256})");
            }
        }
    }

    /// <summary>
    /// The run's workspace, home and outputs file, handed to the step account (built-in steps such as
    /// clone write them as the runner's user).
    /// </summary>
    private SandboxMounts PrepareSandbox(Guid runId)
    {
        var mounts = new SandboxMounts(_workspaces.PathFor(runId), _workspaces.HomeFor(runId), _workspaces.OutputsFile(runId));
        _sandbox?.Prepare(mounts);
        return mounts;
    }

    /// <param name="sandboxed">A command in the sandbox sees its workspace, home and outputs file at the sandbox's paths.</param>
    private Dictionary<string, string> Environment(ClaimedStep step, StepDefinition definition, bool sandboxed = false)
    {
        var environment = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var name in options.PassEnvironment)
        {
            if (System.Environment.GetEnvironmentVariable(name) is { } value)
            {
                environment[name] = value;
            }
        }

        foreach (var (name, value) in definition.Env ?? new Dictionary<string, string>())
        {
            environment[name] = value;
        }

        environment["CI"] = "true";
        environment["DEVMENTOR_RUN_ID"] = step.RunId.ToString();
        environment["DEVMENTOR_RUN_NUMBER"] = step.RunNumber.ToString(CultureInfo.InvariantCulture);
        environment["DEVMENTOR_PROJECT_ID"] = step.ProjectId.ToString();
        environment["DEVMENTOR_STEP"] = definition.Name;
        environment["DEVMENTOR_ATTEMPT"] = step.Attempt.ToString(CultureInfo.InvariantCulture);
        environment["DEVMENTOR_WORKSPACE"] = sandboxed ? StepSandbox.WorkspacePath : _workspaces.PathFor(step.RunId);
        environment["DEVMENTOR_OUTPUT"] = sandboxed ? StepSandbox.OutputsPath : _workspaces.OutputsFile(step.RunId);
        if (sandboxed)
        {
            // A home of the run's own (package caches between its steps), never the runner's.
            environment["HOME"] = StepSandbox.HomePath;
        }

        if (step.Branch is not null)
        {
            environment["DEVMENTOR_BRANCH"] = step.Branch;
        }

        if (step.Commit is not null)
        {
            environment["DEVMENTOR_COMMIT"] = step.Commit;
        }

        return environment;
    }

    private sealed record CommandOutcome(int ExitCode, bool TimedOut);

    private async Task<CommandOutcome> RunCommandAsync(
        IReadOnlyList<string> argv, SandboxMounts mounts, Dictionary<string, string> environment, StepLogWriter log, TimeSpan timeLeft, CancellationToken abort)
    {
        var workspace = mounts.Workspace;
        if (timeLeft <= TimeSpan.Zero)
        {
            return new CommandOutcome(-1, TimedOut: true);
        }

        var startInfo = new ProcessStartInfo
        {
            WorkingDirectory = workspace,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        // In the sandbox: when the runner dies, even by SIGKILL, bwrap's parent-death signal kills
        // it, and its PID namespace (with every descendant of the command) ends with it.
        var command = _sandbox is not null ? _sandbox.Wrap(argv, mounts) : argv;
        startInfo.FileName = command[0];
        foreach (var argument in command.Skip(1))
        {
            startInfo.ArgumentList.Add(argument);
        }

        startInfo.Environment.Clear();
        foreach (var (name, value) in environment)
        {
            startInfo.Environment[name] = value;
        }

        using var process = await launcher.StartAsync(startInfo, p =>
        {
            p.OutputDataReceived += (_, e) => Write(log, e.Data);
            p.ErrorDataReceived += (_, e) => Write(log, e.Data);
        });
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        using var limit = CancellationTokenSource.CreateLinkedTokenSource(abort);
        limit.CancelAfter(timeLeft);
        try
        {
            await process.WaitForExitAsync(limit.Token);
        }
        catch (OperationCanceledException)
        {
            Kill(process);
            await process.WaitForExitAsync(CancellationToken.None);
            process.WaitForExit();
            abort.ThrowIfCancellationRequested();
            return new CommandOutcome(-1, TimedOut: true);
        }

        process.WaitForExit(); // drains the redirected output
        return new CommandOutcome(process.ExitCode, TimedOut: false);
    }

    private void Kill(Process process)
    {
        try
        {
            // Sandboxed: SIGKILL to bwrap ends the PID namespace and with it every descendant.
            process.Kill(entireProcessTree: !options.Isolate);
        }
        catch (InvalidOperationException)
        {
            // Already exited.
        }
    }

    private static void Write(StepLogWriter log, string? line)
    {
        if (line is not null)
        {
            log.WriteLine(line);
        }
    }

    /// <summary>
    /// Ships the log every second and heartbeats on the configured interval until stopped, in two
    /// loops of their own: a slow log write (a blob store under load) never delays the heartbeat
    /// that keeps the step's lease.
    /// </summary>
    private async Task PumpAsync(ClaimedStep step, IJobSource source, StepLogWriter log, Action<HeartbeatAction> onStop, CancellationToken stop)
    {
        using var both = CancellationTokenSource.CreateLinkedTokenSource(stop);
        var tick = TimeSpan.FromMilliseconds(Math.Min(1000, options.HeartbeatInterval.TotalMilliseconds));
        var shipping = RepeatAsync(step, tick, async () =>
        {
            // A write under way is finished, not abandoned, when the pump stops: the final flush comes after it.
            using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await log.FlushAsync(limit.Token);
        }, both.Token);
        var heartbeats = RepeatAsync(step, options.HeartbeatInterval, async () =>
        {
            var action = await source.HeartbeatAsync(step, both.Token);
            if (action != HeartbeatAction.Continue)
            {
                onStop(action);
                await both.CancelAsync();
            }
        }, both.Token);
        await Task.WhenAll(shipping, heartbeats);
    }

    private async Task RepeatAsync(ClaimedStep step, TimeSpan interval, Func<Task> work, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(interval, stop);
                await work();
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is HttpRequestException or IOException or Npgsql.NpgsqlException or TimeoutException or OperationCanceledException or Storage.BlobStoreException)
            {
                // A blip: the next round tries again; a long outage ends in lease expiry and a retry elsewhere.
                LogPumpFailed(logger, e, step.StepName, step.RunId);
            }
        }
    }

    private static Dictionary<string, string>? ReadOutputs(string file)
    {
        if (!File.Exists(file))
        {
            return null;
        }

        var outputs = new Dictionary<string, string>(StringComparer.Ordinal);
        // NUL cannot be stored; the service refuses it, so it is replaced here rather than lose the step's report.
        foreach (var line in File.ReadLines(file).Take(100).Select(l => l.Replace('\0', '\uFFFD')))
        {
            var equals = line.IndexOf('=', StringComparison.Ordinal);
            if (equals > 0)
            {
                outputs[line[..equals].Trim()] = line[(equals + 1)..];
            }
        }

        // The sandbox gets an empty file to write to: nothing written is no outputs, as without one.
        return outputs.Count == 0 && new FileInfo(file).Length == 0 ? null : outputs;
    }

    private static string Display(IReadOnlyList<string> argv) =>
        string.Join(' ', argv.Select(a => a.Length == 0 || a.Any(c => char.IsWhiteSpace(c) || c is '\'' or '"' or '$') ? "'" + a.Replace("'", "'\\''", StringComparison.Ordinal) + "'" : a));

    [LoggerMessage(Level = LogLevel.Information, Message = "Deleted {Count} workspaces no step had used for {Hours} h")]
    private static partial void LogPruned(ILogger logger, int count, double hours);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Step {Step} of run {RunId} attempt {Attempt} starting")]
    private static partial void LogStepStarted(ILogger logger, string step, Guid runId, int attempt);

    [LoggerMessage(Level = LogLevel.Information, Message = "Step {Step} of run {RunId} attempt {Attempt} ended {Result}; server recorded {Status}")]
    private static partial void LogStepEnded(ILogger logger, string step, Guid runId, int attempt, string result, string status);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not report step {Step} of run {RunId} attempt {Attempt}; its lease will expire and it will be retried")]
    private static partial void LogReportFailed(ILogger logger, Exception exception, string step, Guid runId, int attempt);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not keep the test results or artifacts of step {Step} of run {RunId}")]
    private static partial void LogKeepFailed(ILogger logger, Exception exception, string step, Guid runId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Heartbeat or log shipping for step {Step} of run {RunId} failed; trying again")]
    private static partial void LogPumpFailed(ILogger logger, Exception exception, string step, Guid runId);
}
