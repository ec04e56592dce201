using DevMentor.Core.Pipelines.Artifacts;
using DevMentor.Core.Pipelines.Reports;
using DevMentor.Core.Pipelines.Results;

namespace DevMentor.Core.Pipelines.Execution;

/// <summary>
/// Where a worker gets steps and reports on them: the engine directly (embedded runner) or the
/// runner HTTP API (DevMentor.Runner). The step-execution code above it is the same for both.
/// </summary>
public interface IJobSource
{
    /// <summary>The next step for this runner, waiting up to <paramref name="wait"/>; null when none came.</summary>
    Task<ClaimedStep?> ClaimAsync(TimeSpan wait, CancellationToken cancellationToken);

    Task<HeartbeatAction> HeartbeatAsync(ClaimedStep step, CancellationToken cancellationToken);

    /// <returns>False when the lease is gone (the chunk was not stored).</returns>
    Task<bool> AppendLogAsync(ClaimedStep step, string text, CancellationToken cancellationToken);

    /// <returns>Null when the server rejected the completion (stale attempt).</returns>
    Task<CompletionOutcome?> CompleteAsync(ClaimedStep step, StepResult result, CancellationToken cancellationToken);

    /// <summary>
    /// Completes the step and claims this runner's next one in the same round trip where the
    /// source can (the embedded engine); otherwise completes and leaves the claim to the next
    /// <see cref="ClaimAsync"/>.
    /// </summary>
    async Task<(CompletionOutcome? Outcome, ClaimedStep? Next)> CompleteAndClaimNextAsync(ClaimedStep step, StepResult result, CancellationToken cancellationToken) =>
        (await CompleteAsync(step, result, cancellationToken), null);

    /// <summary>The step's test results (replacing any it sent before).</summary>
    /// <returns>False when the lease is gone (nothing stored).</returns>
    Task<bool> ReportTestsAsync(ClaimedStep step, TestSummary summary, CancellationToken cancellationToken);

    /// <summary>Keeps one file as the run's artifact <paramref name="name"/> (workspace-relative).</summary>
    /// <returns>Null when the lease is gone (nothing stored).</returns>
    Task<ArtifactInfo?> UploadArtifactAsync(ClaimedStep step, string name, Stream content, long length, CancellationToken cancellationToken);
}

/// <summary>The embedded runner's source: the engine in this process.</summary>
public sealed class EngineJobSource(PipelineEngine engine, string owner, IReadOnlyList<string> labels, BuildResults results) : IJobSource
{
    public string Owner => owner;

    public Task<ClaimedStep?> ClaimAsync(TimeSpan wait, CancellationToken cancellationToken) =>
        engine.ClaimAsync(owner, labels, wait, cancellationToken);

    public async Task<HeartbeatAction> HeartbeatAsync(ClaimedStep step, CancellationToken cancellationToken) =>
        (await engine.HeartbeatAsync(step.StepId, step.Attempt, owner, cancellationToken)).Action;

    public Task<bool> AppendLogAsync(ClaimedStep step, string text, CancellationToken cancellationToken) =>
        engine.AppendLogAsync(step.StepId, step.Attempt, owner, text, cancellationToken);

    public async Task<CompletionOutcome?> CompleteAsync(ClaimedStep step, StepResult result, CancellationToken cancellationToken) =>
        await engine.CompleteAsync(step.StepId, step.Attempt, owner, result, cancellationToken) is { Accepted: true } outcome ? outcome : null;

    public async Task<(CompletionOutcome? Outcome, ClaimedStep? Next)> CompleteAndClaimNextAsync(ClaimedStep step, StepResult result, CancellationToken cancellationToken) =>
        await engine.CompleteAsync(step.StepId, step.Attempt, owner, result, new ClaimRequest(owner, labels), cancellationToken) is { Outcome.Accepted: true } done
            ? (done.Outcome, done.Next)
            : (null, null);

    public Task<bool> ReportTestsAsync(ClaimedStep step, TestSummary summary, CancellationToken cancellationToken) =>
        results.RecordTestsAsync(step.StepId, step.Attempt, owner, summary, cancellationToken);

    public Task<ArtifactInfo?> UploadArtifactAsync(ClaimedStep step, string name, Stream content, long length, CancellationToken cancellationToken) =>
        results.StoreArtifactAsync(step.StepId, step.Attempt, owner, name, content, cancellationToken);
}
