namespace DevMentor.Core.Pipelines;

/// <summary>
/// Durable state of runs and steps and the runner queue. Every method is one transaction: a step's
/// outcome and the outbox row that hands it to the run's orchestration are never written apart.
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
    /// <remarks>Records the attempt's outcome and its outbox row together; the run's orchestration acts on it.</remarks>
    Task<StepCompletion?> CompleteAsync(Guid stepId, int attempt, string? owner, StepResult result, ClaimRequest? claimNext, CancellationToken cancellationToken);

    /// <param name="by">Who canceled: in the run's <c>run.canceled</c> event and the cancel event's payload (the deploy stage names them when it stops a deployment).</param>
    Task<(CancelResult Result, bool StepQueued)> CancelAsync(Guid projectId, Guid runId, string? by, CancellationToken cancellationToken);

    Task<RunView?> GetRunAsync(Guid projectId, Guid runId, CancellationToken cancellationToken);

    Task<RunPage> ListRunsAsync(RunQuery query, CancellationToken cancellationToken);

    /// <summary>Running steps whose lease expired (their runner is lost).</summary>
    Task<IReadOnlyList<(Guid StepId, int Attempt)>> ExpiredLeasesAsync(int limit, CancellationToken cancellationToken);

    /// <summary>Running steps leased by owners starting with <paramref name="ownerPrefix"/> but not <paramref name="exceptPrefix"/> (a restarted runner's old claims).</summary>
    Task<IReadOnlyList<(Guid StepId, int Attempt, string Owner)>> RunningStepsOfAsync(string ownerPrefix, string exceptPrefix, CancellationToken cancellationToken);

    Task<Orchestration.StepOutcome?> QueueStepAsync(Guid runId, int position, int attempt, CancellationToken cancellationToken);

    /// <summary>The attempt's recorded outcome, its outbox row taken (the queueing activity answers it); null when none yet.</summary>
    Task<Orchestration.StepOutcome?> TakeStepOutcomeAsync(Guid runId, int position, int attempt, CancellationToken cancellationToken);

    Task<Orchestration.StepTimeoutCheck> CheckStepTimeoutAsync(Guid runId, int position, int attempt, CancellationToken cancellationToken);

    Task<bool> FinishRunAsync(Guid runId, RunStatus status, string? reason, CancellationToken cancellationToken);

    Task RequestApprovalAsync(Orchestration.ApprovalRequest request, CancellationToken cancellationToken);

    Task<Orchestration.ApprovalDecision?> ExpireApprovalAsync(Guid runId, string environment, CancellationToken cancellationToken);

    Task<bool> DecideApprovalAsync(Guid runId, string environment, bool approved, string by, string? comment, CancellationToken cancellationToken);

    Task<int> PromoteAsync(CancellationToken cancellationToken);

    /// <summary>The claimable steps for an autoscaler (GET /runners/queue).</summary>
    Task<RunnerQueueStats> QueueStatsAsync(CancellationToken cancellationToken);
}

/// <summary>Who claims: the lease owner and the labels its steps may require.</summary>
public sealed record ClaimRequest(string Owner, IReadOnlyList<string> Labels);

/// <param name="StepQueued">Whether a step became claimable for other runners (wake idle workers).</param>
/// <param name="Next">The caller's next step, claimed in the completion's transaction.</param>
/// <param name="RunId">The step's run (when the completion was accepted).</param>
/// <param name="OutcomeEvent">The event the recorded outcome is raised as (when the completion was accepted).</param>
public sealed record StepCompletion(CompletionOutcome Outcome, bool StepQueued, ClaimedStep? Next, Guid RunId = default, string? OutcomeEvent = null);
