using System.Diagnostics.Metrics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace DevMentor.Core.Pipelines;

/// <summary>
/// The pipeline use cases: start, claim, heartbeat, complete, cancel, retry, read. Durable state
/// lives in <see cref="IPipelineStore"/>; this class adds validation, the retry schedule and the
/// in-process wake-ups of idle workers.
/// </summary>
public sealed partial class PipelineEngine(
    IPipelineStore store,
    IStepLogStore logs,
    StepAvailability availability,
    PipelineOptions options,
    ILogger<PipelineEngine> logger,
    IRunDefinitionSource? definitions = null,
    PipelineTelemetry? telemetry = null)
{
    public const string MeterName = "DevMentor.Pipelines";
    private static readonly Meter Meter = new(MeterName);
    private static readonly Counter<long> RunsStarted = Meter.CreateCounter<long>("devmentor.pipeline.runs.started");
    private static readonly Counter<long> StepsCompleted = Meter.CreateCounter<long>("devmentor.pipeline.steps.completed");
    private static readonly Counter<long> StaleCompletions = Meter.CreateCounter<long>("devmentor.pipeline.steps.stale_completions");

    public PipelineOptions Options => options;
    public StepAvailability Availability => availability;
    public IStepLogStore Logs => logs;
    public IPipelineStore Store => store;

    public async Task<StartedRun> StartAsync(StartRunRequest request, CancellationToken cancellationToken)
    {
        var definition = request.Definition
            ?? (definitions is null ? null : await definitions.DefinitionForAsync(request, cancellationToken))
            ?? options.DefaultDefinition;
        PipelineDefinitionValidator.EnsureValid(definition);
        var (run, queued) = await store.StartRunAsync(request, definition, RequestHash(request, definition), cancellationToken);
        if (!run.Replayed)
        {
            RunsStarted.Add(1);
            LogRunStarted(logger, run.RunId, run.ProjectId, run.Number, run.Status.ToWire(), request.Trigger);
            if (telemetry is not null)
            {
                await telemetry.RunStartedAsync(run, cancellationToken);
            }
        }

        if (queued)
        {
            availability.Pulse();
        }

        return run;
    }

    /// <summary>A new run with the old run's pinned definition, branch and commit, linked to it.</summary>
    public async Task<StartedRun?> RetryAsync(Guid projectId, Guid runId, string? idempotencyKey, CancellationToken cancellationToken)
    {
        var old = await store.GetRunAsync(projectId, runId, cancellationToken);
        if (old is null)
        {
            return null;
        }

        if (!old.Status.IsTerminal())
        {
            throw new RunNotRetryableException($"Run {old.Number} is still {old.Status.ToWire()}; retry it once it has finished or cancel it first.");
        }

        return await StartAsync(new StartRunRequest(projectId, "retry", old.Branch, old.Commit, old.Definition, old.Deploy, old.Environment, idempotencyKey, old.RunId), cancellationToken);
    }

    public Task<ClaimedStep?> TryClaimAsync(string owner, IReadOnlyList<string> labels, CancellationToken cancellationToken) =>
        store.ClaimAsync(owner, labels, cancellationToken);

    /// <summary>Claims a step, waiting up to <paramref name="wait"/> for one (a long poll).</summary>
    public async Task<ClaimedStep?> ClaimAsync(string owner, IReadOnlyList<string> labels, TimeSpan wait, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + wait;
        while (true)
        {
            var claimed = await store.ClaimAsync(owner, labels, cancellationToken);
            if (claimed is not null)
            {
                return claimed;
            }

            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero)
            {
                return null;
            }

            await availability.WaitAsync(left < options.PollInterval ? left : options.PollInterval, cancellationToken);
        }
    }

    public Task<RunnerQueueStats> QueueStatsAsync(CancellationToken cancellationToken) => store.QueueStatsAsync(cancellationToken);

    public Task<HeartbeatResult> HeartbeatAsync(Guid stepId, int attempt, string owner, CancellationToken cancellationToken) =>
        store.HeartbeatAsync(stepId, attempt, owner, cancellationToken);

    /// <returns>Null when the step does not exist; <see cref="CompletionOutcome.Accepted"/> false for a stale attempt.</returns>
    public async Task<CompletionOutcome?> CompleteAsync(Guid stepId, int attempt, string? owner, StepResult result, CancellationToken cancellationToken) =>
        (await CompleteAsync(stepId, attempt, owner, result, claimNext: null, cancellationToken))?.Outcome;

    /// <summary>
    /// Completes a step and, when <paramref name="claimNext"/> is set and the completion was
    /// accepted, claims the runner's next step in the same transaction (see <see cref="StepCompletion.Next"/>).
    /// </summary>
    public async Task<StepCompletion?> CompleteAsync(Guid stepId, int attempt, string? owner, StepResult result, ClaimRequest? claimNext, CancellationToken cancellationToken)
    {
        if (result.Plan is { } plan && PipelineDefinitionValidator.Validate(plan) is { Count: > 0 } problems)
        {
            result = new StepResult(StepResultKind.Failed, result.ExitCode is null or 0 ? 1 : result.ExitCode, $"the planned steps are invalid: {string.Join(" ", problems)}", result.Outputs);
        }

        var completed = await store.CompleteAsync(stepId, attempt, owner, result, Backoff, claimNext, cancellationToken);
        if (completed is not { } done)
        {
            return null;
        }

        if (!done.Outcome.Accepted)
        {
            StaleCompletions.Add(1);
            LogStaleCompletion(logger, stepId, attempt, owner ?? "sweeper", done.Outcome.StepStatus.ToWire());
            return done;
        }

        StepsCompleted.Add(1, new KeyValuePair<string, object?>("status", done.Outcome.StepStatus.ToWire()));
        if (done.Outcome.RetryIn is { } retryIn)
        {
            LogRetrying(logger, stepId, attempt, result.Error, (long)retryIn.TotalMilliseconds);
            _ = WakeLaterAsync(retryIn);
        }

        if (done.StepQueued)
        {
            availability.Pulse();
        }

        if (done.Outcome.RunFinished && telemetry is not null)
        {
            await telemetry.ReportEndedRunsAsync(CancellationToken.None);
        }

        return done;
    }

    public async Task<CancelResult> CancelAsync(Guid projectId, Guid runId, CancellationToken cancellationToken)
    {
        var (result, queued) = await store.CancelAsync(projectId, runId, cancellationToken);
        if (result == CancelResult.Canceled)
        {
            LogCanceled(logger, runId);
            if (telemetry is not null)
            {
                await telemetry.ReportEndedRunsAsync(CancellationToken.None);
            }
        }

        if (queued)
        {
            availability.Pulse();
        }

        return result;
    }

    public Task<RunView?> GetRunAsync(Guid projectId, Guid runId, CancellationToken cancellationToken) => store.GetRunAsync(projectId, runId, cancellationToken);

    public Task<RunPage> ListRunsAsync(RunQuery query, CancellationToken cancellationToken) => store.ListRunsAsync(query, cancellationToken);

    public Task<bool> AppendLogAsync(Guid stepId, int attempt, string owner, string text, CancellationToken cancellationToken) =>
        logs.AppendAsync(stepId, attempt, owner, text, cancellationToken);

    public Task<string?> ReadLogAsync(Guid projectId, Guid runId, string stepName, CancellationToken cancellationToken) =>
        logs.ReadAsync(projectId, runId, stepName, cancellationToken);

    /// <summary>The sweeper's pass: expired leases become infrastructure failures (retried or failed), overdue steps time out, stalled runs time out.</summary>
    public async Task<SweepReport> SweepAsync(CancellationToken cancellationToken)
    {
        var (expired, overdue) = await store.FindStuckStepsAsync(options.LeaseDuration, 500, cancellationToken);
        int requeued = 0, failed = 0, timedOut = 0;
        foreach (var (stepId, attempt) in expired)
        {
            var outcome = await CompleteAsync(stepId, attempt, owner: null,
                new StepResult(StepResultKind.InfrastructureError, Error: "the runner's lease expired (runner lost)"), cancellationToken);
            if (outcome is { Accepted: true })
            {
                if (outcome.StepStatus == StepStatus.Queued)
                {
                    requeued++;
                }
                else
                {
                    failed++;
                }
            }
        }

        foreach (var (stepId, attempt) in overdue)
        {
            if (await store.TimeOutStepAsync(stepId, attempt, cancellationToken))
            {
                timedOut++;
            }
        }

        var runsTimedOut = await store.TimeOutStalledRunsAsync(options.RunProgressTimeout, cancellationToken);
        var promoted = await store.PromoteAsync(cancellationToken);
        if (promoted > 0 || runsTimedOut > 0)
        {
            availability.Pulse();
        }

        if (telemetry is not null)
        {
            await telemetry.ReportEndedRunsAsync(cancellationToken); // also whatever ended by a time-out above
        }

        return new SweepReport(requeued, failed, timedOut, runsTimedOut, promoted);
    }

    private TimeSpan Backoff(int failedAttempt, TimeSpan firstDelay, double factor) =>
        RetryBackoff.Delay(failedAttempt, firstDelay, factor, options.RetryJitter, Random.Shared.NextDouble());

    private async Task WakeLaterAsync(TimeSpan delay)
    {
        await Task.Delay(delay + TimeSpan.FromMilliseconds(20));
        availability.Pulse();
    }

    /// <summary>What makes two starts "the same request" for Idempotency-Key.</summary>
    private static string RequestHash(StartRunRequest request, PipelineDefinition definition)
    {
        var canonical = string.Join('\n', request.Trigger, request.Branch, request.Commit, request.Deploy, request.Environment, request.RetryOf,
            JsonSerializer.Serialize(definition, PipelineJsonContext.Default.PipelineDefinition));
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(canonical)));
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Run {RunId} (project {ProjectId} #{Number}) started by {Trigger}: {Status}")]
    private static partial void LogRunStarted(ILogger logger, Guid runId, Guid projectId, int number, string status, string trigger);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Rejected completion of step {StepId} attempt {Attempt} by {Owner}: the lease is gone (step is {Status})")]
    private static partial void LogStaleCompletion(ILogger logger, Guid stepId, int attempt, string owner, string status);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Step {StepId} attempt {Attempt} failed on infrastructure ({Error}); retrying in {RetryInMs} ms")]
    private static partial void LogRetrying(ILogger logger, Guid stepId, int attempt, string? error, long retryInMs);

    [LoggerMessage(Level = LogLevel.Information, Message = "Run {RunId} canceled")]
    private static partial void LogCanceled(ILogger logger, Guid runId);
}
