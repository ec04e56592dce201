namespace DevMentor.Core.Pipelines.Runners;

public sealed record RegisterRunnerRequest(string? RegistrationToken, string? Name, IReadOnlyList<string>? Labels);

/// <param name="Token">Shown once; the service keeps only its hash.</param>
public sealed record RegisterRunnerResponse(Guid RunnerId, string Name, IReadOnlyList<string> Labels, string Token);

public sealed record RunnerJob(
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
    public static RunnerJob From(ClaimedStep s) =>
        new(s.StepId, s.RunId, s.ProjectId, s.RunNumber, s.StepName, s.Position, s.Attempt, s.TimeoutSeconds, s.LeaseExpiresAt, s.Branch, s.Commit, s.Definition);

    public ClaimedStep ToClaimedStep() =>
        new(StepId, RunId, ProjectId, RunNumber, StepName, Position, Attempt, TimeoutSeconds, LeaseExpiresAt, Branch, Commit, Definition);
}

public sealed record HeartbeatRequest(int Attempt);

/// <param name="Action">continue, or cancel (kill the step's processes and report).</param>
public sealed record HeartbeatResponse(string Action, DateTimeOffset? LeaseExpiresAt);

public sealed record LogRequest(int Attempt, string Text);

/// <param name="Outcome">succeeded, failed, timed_out, canceled or error (runner-side trouble: retried).</param>
/// <param name="Plan">Steps to append to the run when the step succeeded (the clone step's plan).</param>
/// <param name="ClaimNext">Also claim this runner's next step, in the completion's transaction (see <see cref="CompleteResponse.Next"/>).</param>
public sealed record CompleteRequest(int Attempt, string Outcome, int? ExitCode, string? Error, Dictionary<string, string>? Outputs, PipelineDefinition? Plan = null, bool ClaimNext = false);

public sealed record TestsRequest(int Attempt, DevMentor.Core.Pipelines.Reports.TestSummary Summary);

/// <param name="Next">With claimNext: the runner's next step, leased to it like one from /runners/jobs/next; null when none was waiting.</param>
/// <param name="RetryInMs">Kept for older runners; always null: the run's orchestration schedules retries (with jitter) after the answer.</param>
public sealed record CompleteResponse(string StepStatus, string RunStatus, bool RunFinished, long? RetryInMs, RunnerJob? Next = null);

public static class RunnerOutcomes
{
    public static string ToWire(StepResultKind kind) => kind switch
    {
        StepResultKind.Succeeded => "succeeded",
        StepResultKind.Failed => "failed",
        StepResultKind.TimedOut => "timed_out",
        StepResultKind.Canceled => "canceled",
        StepResultKind.InfrastructureError => "error",
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    public static bool TryParse(string? value, out StepResultKind kind)
    {
        foreach (var candidate in Enum.GetValues<StepResultKind>())
        {
            if (ToWire(candidate) == value)
            {
                kind = candidate;
                return true;
            }
        }

        kind = default;
        return false;
    }
}

/// <summary>GET /runners/queue: what an autoscaler (KEDA's metrics-api scaler reads <c>queued</c>) needs.</summary>
/// <param name="Queued">Steps a runner could claim now.</param>
/// <param name="OldestWaitingSeconds">How long the longest-waiting of them has been claimable (0 when none).</param>
/// <param name="ByLabel">Per label, the claimable steps that require it.</param>
public sealed record RunnerQueueResponse(int Queued, double OldestWaitingSeconds, IReadOnlyDictionary<string, int> ByLabel);
