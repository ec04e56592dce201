namespace DevMentor.Core.Pipelines;

/// <summary>
/// Where step logs go: the blob store (<see cref="BlobStepLogStore"/>), one append blob per attempt,
/// with the lease that fences writers in PostgreSQL.
/// </summary>
public interface IStepLogStore
{
    /// <summary>Appends a chunk if <paramref name="owner"/> still holds the step's lease at <paramref name="attempt"/>.</summary>
    Task<bool> AppendAsync(Guid stepId, int attempt, string owner, string text, CancellationToken cancellationToken);

    /// <summary>The whole log of a run's step, every attempt in order; null when there is no such step.</summary>
    Task<string?> ReadAsync(Guid projectId, Guid runId, string stepName, CancellationToken cancellationToken);

    /// <summary>The chunks after <paramref name="afterId"/> and the step's status; null when there is no such step.</summary>
    Task<StepLogChunks?> ReadAfterAsync(Guid projectId, Guid runId, string stepName, long afterId, CancellationToken cancellationToken);
}

/// <param name="Chunks">Id, attempt and text of each chunk, in order.</param>
public sealed record StepLogChunks(StepStatus Status, IReadOnlyList<(long Id, int Attempt, string Text)> Chunks);
