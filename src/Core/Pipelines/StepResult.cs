namespace DevMentor.Core.Pipelines;

public enum StepResultKind
{
    /// <summary>Every command exited 0.</summary>
    Succeeded,
    /// <summary>A command exited non-zero: final, never retried (a failing test is not flaky infrastructure).</summary>
    Failed,
    /// <summary>The step ran past its timeout: final.</summary>
    TimedOut,
    /// <summary>The runner stopped the step because the run was canceled.</summary>
    Canceled,
    /// <summary>Runner-side trouble (could not start, workspace restore failed, runner shutting down): retried.</summary>
    InfrastructureError,
}

/// <param name="Plan">
/// Steps to append to the run when this step succeeds (the clone step's plan of install, test,
/// build…): pinned in the run's definition and inserted in the completion's transaction.
/// </param>
public sealed record StepResult(StepResultKind Kind, int? ExitCode = null, string? Error = null, IReadOnlyDictionary<string, string>? Outputs = null, PipelineDefinition? Plan = null)
{
    public static StepResult Success(IReadOnlyDictionary<string, string>? outputs = null) => new(StepResultKind.Succeeded, 0, null, outputs);
}

/// <summary>What a step's end does to the step and the run; pure, so every branch is unit tested.</summary>
public sealed record StepDecision(StepStatus StepStatus, TimeSpan? RetryIn, RunStatus? RunEnds, string? Error);

public static class StepCompletionRules
{
    /// <param name="hasNextStep">Whether a later step waits (pending) behind this one.</param>
    public static StepDecision Decide(StepResult result, int attempt, int maxAttempts, bool hasNextStep, Func<int, TimeSpan> backoff)
    {
        switch (result.Kind)
        {
            case StepResultKind.Succeeded:
                return new StepDecision(StepStatus.Succeeded, null, hasNextStep ? null : RunStatus.Succeeded, null);
            case StepResultKind.Failed:
                return new StepDecision(StepStatus.Failed, null, RunStatus.Failed, result.Error ?? $"exited with code {result.ExitCode}");
            case StepResultKind.TimedOut:
                return new StepDecision(StepStatus.TimedOut, null, RunStatus.TimedOut, result.Error ?? "the step ran past its timeout");
            case StepResultKind.Canceled:
                return new StepDecision(StepStatus.Canceled, null, RunStatus.Canceled, result.Error ?? "canceled");
            case StepResultKind.InfrastructureError when attempt < maxAttempts:
                return new StepDecision(StepStatus.Queued, backoff(attempt), null, result.Error);
            case StepResultKind.InfrastructureError:
                return new StepDecision(StepStatus.Failed, null, RunStatus.Failed, $"gave up after {attempt} attempts: {result.Error}");
            default:
                throw new ArgumentOutOfRangeException(nameof(result));
        }
    }
}
