namespace DevMentor.Core.Pipelines;

/// <summary>
/// Durable state of runs and steps. Every method is one transaction: a step's result, the run's
/// status and the next step's scheduling are never written apart.
/// </summary>
public interface IPipelineStore
{
    /// <returns>The run, and whether a step became claimable.</returns>
    Task<(StartedRun Run, bool StepQueued)> StartRunAsync(StartRunRequest request, PipelineDefinition definition, string requestHash, CancellationToken cancellationToken);

    Task<ClaimedStep?> ClaimAsync(string owner, IReadOnlyList<string> labels, CancellationToken cancellationToken);

    Task<HeartbeatResult> HeartbeatAsync(Guid stepId, int attempt, string owner, CancellationToken cancellationToken);

    /// <param name="owner">The lease owner the caller claims to be; null for the sweeper, which only completes expired leases.</param>
    /// <param name="claimNext">When set and the completion is accepted, claims the runner's next step in the same transaction.</param>
    /// <returns>Null when the step does not exist.</returns>
    Task<StepCompletion?> CompleteAsync(Guid stepId, int attempt, string? owner, StepResult result, Func<int, TimeSpan, double, TimeSpan> backoff, ClaimRequest? claimNext, CancellationToken cancellationToken);

    Task<(CancelResult Result, bool StepQueued)> CancelAsync(Guid projectId, Guid runId, CancellationToken cancellationToken);

    Task<RunView?> GetRunAsync(Guid projectId, Guid runId, CancellationToken cancellationToken);

    Task<RunPage> ListRunsAsync(RunQuery query, CancellationToken cancellationToken);

    /// <summary>Steps whose lease expired, running steps past their timeout, runs without progress; then promotes waiting runs.</summary>
    Task<(IReadOnlyList<(Guid StepId, int Attempt)> ExpiredLeases, IReadOnlyList<(Guid StepId, int Attempt)> Overdue)> FindStuckStepsAsync(TimeSpan grace, int limit, CancellationToken cancellationToken);

    /// <summary>Ends an overdue running step as timed out, whoever holds it.</summary>
    Task<bool> TimeOutStepAsync(Guid stepId, int attempt, CancellationToken cancellationToken);

    Task<int> TimeOutStalledRunsAsync(TimeSpan progressTimeout, CancellationToken cancellationToken);

    Task<int> PromoteAsync(CancellationToken cancellationToken);

    /// <summary>The claimable steps for an autoscaler (GET /runners/queue).</summary>
    Task<RunnerQueueStats> QueueStatsAsync(CancellationToken cancellationToken);
}

/// <summary>Who claims: the lease owner and the labels its steps may require.</summary>
public sealed record ClaimRequest(string Owner, IReadOnlyList<string> Labels);

/// <param name="StepQueued">Whether a step became claimable for other runners (wake idle workers).</param>
/// <param name="Next">The caller's next step, claimed in the completion's transaction.</param>
public sealed record StepCompletion(CompletionOutcome Outcome, bool StepQueued, ClaimedStep? Next);
