using System.Diagnostics.Metrics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using DevMentor.Core.Pipelines.Orchestration;
using Microsoft.Extensions.Logging;

namespace DevMentor.Core.Pipelines;

/// <summary>
/// The pipeline use cases: start, claim, heartbeat, complete, cancel, retry, read, and what the run
/// orchestration's activities do. Runs are sequenced by <see cref="Orchestration.PipelineRunOrchestrator"/>;
/// this class validates, records through <see cref="IPipelineStore"/> (whose outbox carries starts,
/// outcomes and cancels to the orchestration) and wakes idle workers and the outbox dispatcher in-process.
/// </summary>
public sealed partial class PipelineEngine(
    IPipelineStore store,
    IStepLogStore logs,
    StepAvailability availability,
    PipelineOptions options,
    ILogger<PipelineEngine> logger,
    RunOutboxSignal outbox,
    StepOutcomeWaiters waiters,
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
        var (run, _) = await store.StartRunAsync(request, definition, RequestHash(request, definition), cancellationToken);
        if (!run.Replayed)
        {
            outbox.Pulse();
            RunsStarted.Add(1);
            LogRunStarted(logger, run.RunId, run.ProjectId, run.Number, run.Status.ToWire(), request.Trigger);
            if (telemetry is not null)
            {
                await telemetry.RunStartedAsync(run, cancellationToken);
            }
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

        var completed = await store.CompleteAsync(stepId, attempt, owner, result, claimNext, cancellationToken);
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

        // The activity that queued this attempt may be waiting for it in this process (version 3): it carries the
        // outcome and takes the outbox row, so the dispatcher need not wake for it (its poll still finds the row).
        if (done.OutcomeEvent is not { } raised || !waiters.Notify(done.RunId, raised))
        {
            outbox.Pulse();
        }

        StepsCompleted.Add(1, new KeyValuePair<string, object?>("status", done.Outcome.StepStatus.ToWire()));
        if (done.Outcome.StepStatus == StepStatus.Queued)
        {
            LogRetrying(logger, stepId, attempt, result.Error);
        }

        return done;
    }

    public Task<CancelResult> CancelAsync(Guid projectId, Guid runId, CancellationToken cancellationToken) => CancelAsync(projectId, runId, null, cancellationToken);

    /// <param name="by">Who canceled (recorded with the cancel; null when unknown).</param>
    public async Task<CancelResult> CancelAsync(Guid projectId, Guid runId, string? by, CancellationToken cancellationToken)
    {
        var (result, queued) = await store.CancelAsync(projectId, runId, by, cancellationToken);
        if (result == CancelResult.Canceled)
        {
            outbox.Pulse();
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

    /// <summary>Activity: puts a step's attempt on the runner queue, or returns the outcome it already has.</summary>
    public async Task<StepOutcome?> QueueStepAsync(Guid runId, int position, int attempt, CancellationToken cancellationToken)
    {
        var recorded = await store.QueueStepAsync(runId, position, attempt, cancellationToken);
        if (recorded is null)
        {
            availability.Pulse();
        }

        return recorded;
    }

    /// <summary>
    /// Activity (version 3): after queueing, waits up to <see cref="PipelineOptions.StepOutcomeWait"/> for the attempt's
    /// outcome, so a short step's outcome returns with the activity instead of as an event in an episode of its own.
    /// Null when it did not come in time (the outbox raises it when it comes).
    /// </summary>
    public async Task<StepOutcome?> AwaitStepOutcomeAsync(Guid runId, int position, int attempt, CancellationToken cancellationToken)
    {
        if (options.StepOutcomeWait <= TimeSpan.Zero)
        {
            return null;
        }

        using (var waiter = waiters.Register(runId, StepOutcome.NameFor(position, attempt)))
        {
            await waiter.WaitAsync(options.StepOutcomeWait);
        }

        // Always a last look, signalled or not: the outcome may have been recorded by another instance, or just now.
        return await store.TakeStepOutcomeAsync(runId, position, attempt, cancellationToken);
    }

    /// <summary>Activity: the attempt's timer fired.</summary>
    public async Task<StepTimeoutCheck> CheckStepTimeoutAsync(Guid runId, int position, int attempt, CancellationToken cancellationToken)
    {
        var check = await store.CheckStepTimeoutAsync(runId, position, attempt, cancellationToken);
        if (check.Ended is { Kind: StepResultKind.TimedOut })
        {
            LogTimedOut(logger, runId, position, attempt);
        }

        return check;
    }

    /// <summary>A user's approval or rejection of the deployment the run waits for; false when it no longer waits.</summary>
    public async Task<bool> DecideApprovalAsync(Guid runId, string environment, bool approved, string by, string? comment, CancellationToken cancellationToken)
    {
        var decided = await store.DecideApprovalAsync(runId, environment, approved, by, comment, cancellationToken);
        if (decided)
        {
            outbox.Pulse();
            LogApprovalDecided(logger, runId, environment, approved ? "approved" : "rejected", by);
        }

        return decided;
    }

    /// <summary>Activity: the run's final status; a freed slot starts a waiting run.</summary>
    public async Task<bool> FinishRunAsync(Guid runId, RunStatus status, string? reason, CancellationToken cancellationToken)
    {
        var finished = await store.FinishRunAsync(runId, status, reason, cancellationToken);
        if (finished)
        {
            availability.Pulse();
            if (telemetry is not null)
            {
                await telemetry.ReportEndedRunsAsync(CancellationToken.None);
            }
        }

        return finished;
    }

    /// <summary>
    /// Running steps leased to an earlier process of this runner (owner starting with <paramref name="ownerPrefix"/>
    /// but not <paramref name="currentOwnerPrefix"/>) are infrastructure failures now: that process is gone.
    /// </summary>
    public async Task<int> RecoverLostClaimsAsync(string ownerPrefix, string currentOwnerPrefix, CancellationToken cancellationToken)
    {
        var recovered = 0;
        foreach (var (stepId, attempt, owner) in await store.RunningStepsOfAsync(ownerPrefix, currentOwnerPrefix, cancellationToken))
        {
            var outcome = await CompleteAsync(stepId, attempt, owner,
                new StepResult(StepResultKind.InfrastructureError, Error: "the service running it stopped before the step ended (restarted)"), cancellationToken);
            if (outcome is { Accepted: true })
            {
                recovered++;
            }
        }

        return recovered;
    }

    /// <summary>
    /// The sweeper's pass over the runner queue: an expired lease (a lost runner) is the attempt's infrastructure
    /// failure, recorded like any outcome (the orchestration retries it); waiting runs are promoted when slots are
    /// free (a promotion lost in a crash). Timeouts are the orchestration's durable timers, not the sweeper's.
    /// </summary>
    public async Task<SweepReport> SweepAsync(CancellationToken cancellationToken)
    {
        var expired = await store.ExpiredLeasesAsync(500, cancellationToken);
        var lost = 0;
        foreach (var (stepId, attempt) in expired)
        {
            var outcome = await CompleteAsync(stepId, attempt, owner: null,
                new StepResult(StepResultKind.InfrastructureError, Error: "the runner's lease expired (runner lost)"), cancellationToken);
            if (outcome is { Accepted: true })
            {
                lost++;
            }
        }

        var promoted = await store.PromoteAsync(cancellationToken);
        if (promoted > 0)
        {
            availability.Pulse();
        }

        return new SweepReport(lost, promoted);
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

    [LoggerMessage(Level = LogLevel.Warning, Message = "Step {StepId} attempt {Attempt} failed on infrastructure ({Error}); the run's orchestration retries it after its backoff")]
    private static partial void LogRetrying(ILogger logger, Guid stepId, int attempt, string? error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Run {RunId}: step {Position} attempt {Attempt} ran past its timeout; its runner is told to stop it")]
    private static partial void LogTimedOut(ILogger logger, Guid runId, int position, int attempt);

    [LoggerMessage(Level = LogLevel.Information, Message = "Run {RunId}: the deployment to {Environment} was {Decision} by {By}")]
    private static partial void LogApprovalDecided(ILogger logger, Guid runId, string environment, string decision, string by);

    [LoggerMessage(Level = LogLevel.Information, Message = "Run {RunId} canceled")]
    private static partial void LogCanceled(ILogger logger, Guid runId);
}
