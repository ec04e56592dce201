using System.Text.Json;

namespace DevMentor.Core.Pipelines;

public sealed record StartRunRequest(
    Guid ProjectId,
    string Trigger,
    string? Branch,
    string? Commit,
    PipelineDefinition? Definition = null,
    bool Deploy = false,
    string? Environment = null,
    string? IdempotencyKey = null,
    Guid? RetryOf = null,
    string? Label = null);

/// <param name="Replayed">True when an earlier start with the same Idempotency-Key is answered again.</param>
public sealed record StartedRun(Guid RunId, Guid ProjectId, int Number, RunStatus Status, bool Replayed);

/// <summary>A step leased to one runner; <see cref="Attempt"/> is the fencing token it presents afterwards.</summary>
public sealed record ClaimedStep(
    Guid StepId,
    Guid RunId,
    Guid ProjectId,
    int RunNumber,
    string StepName,
    int Position,
    int Attempt,
    int TimeoutSeconds,
    DateTimeOffset LeaseExpiresAt,
    string? Branch,
    string? Commit,
    PipelineDefinition Definition)
{
    public StepDefinition Step => Definition.Steps[Position];
}

public enum HeartbeatAction
{
    /// <summary>The lease was extended: keep going.</summary>
    Continue,
    /// <summary>The run was canceled (or the step timed out server-side): kill the step's processes.</summary>
    Cancel,
    /// <summary>This runner no longer holds the lease (another attempt owns the step): stop and report nothing.</summary>
    Lost,
}

public sealed record HeartbeatResult(HeartbeatAction Action, DateTimeOffset? LeaseExpiresAt);

/// <param name="Accepted">False when the caller's attempt no longer holds the lease (stale runner): nothing changed.</param>
/// <param name="StepStatus">The step's status after the outcome (queued again, not yet due, when an infrastructure failure will be retried).</param>
/// <param name="RunStatus">The status this outcome ends the run with (the orchestration writes it just after), else the run's current one.</param>
public sealed record CompletionOutcome(bool Accepted, StepStatus StepStatus, RunStatus RunStatus)
{
    public bool RunFinished => RunStatus.IsTerminal();
}

public sealed record StepView(
    Guid StepId,
    string Name,
    int Position,
    StepStatus Status,
    int Attempt,
    int MaxAttempts,
    DateTimeOffset? StartedAt,
    DateTimeOffset? FinishedAt,
    DateTimeOffset? DueAt,
    int? ExitCode,
    string? Error,
    string? LeaseOwner,
    JsonElement? Outputs);

public sealed record RunEvent(long Id, DateTimeOffset At, string Type, string? Step, JsonElement? Data);

public sealed record RunView(
    Guid RunId,
    Guid ProjectId,
    int Number,
    RunStatus Status,
    string Trigger,
    string? Branch,
    string? Commit,
    bool Deploy,
    string? Environment,
    Guid? RetryOf,
    DateTimeOffset CreatedAt,
    DateTimeOffset? StartedAt,
    DateTimeOffset? FinishedAt,
    PipelineDefinition Definition,
    IReadOnlyList<StepView> Steps,
    IReadOnlyList<RunEvent> Events,
    IReadOnlyList<RunApproval>? Approvals = null)
{
    /// <summary>The approval the run waits for now, if any.</summary>
    public RunApproval? WaitingApproval => Status.IsTerminal() ? null : Approvals?.FirstOrDefault(a => a.Status == "waiting");
}

public sealed record RunSummary(
    Guid RunId,
    Guid ProjectId,
    int Number,
    RunStatus Status,
    string Trigger,
    string? Branch,
    string? Commit,
    Guid? RetryOf,
    DateTimeOffset CreatedAt,
    DateTimeOffset? StartedAt,
    DateTimeOffset? FinishedAt);

public sealed record RunQuery(Guid ProjectId, RunStatus? Status = null, string? Branch = null, int Limit = 20, int? BeforeNumber = null);

public sealed record RunPage(IReadOnlyList<RunSummary> Items, int? NextBeforeNumber);

public enum CancelResult
{
    Canceled,
    AlreadyFinished,
    NotFound,
}

/// <summary>What waits for a runner: claimable steps (queued and due), the longest wait, and the labels they require.</summary>
/// <param name="ByLabel">Per required label, the claimable steps that require it (a step requiring two labels counts under both; steps requiring none under none).</param>
public sealed record RunnerQueueStats(int Queued, double OldestWaitingSeconds, IReadOnlyDictionary<string, int> ByLabel);

/// <param name="LostRunners">Expired leases recorded as infrastructure failures.</param>
public sealed record SweepReport(int LostRunners, int RunsPromoted)
{
    public int Total => LostRunners + RunsPromoted;
}

public sealed class IdempotencyConflictException(string message) : Exception(message);

public sealed class RunNotRetryableException(string message) : Exception(message);
