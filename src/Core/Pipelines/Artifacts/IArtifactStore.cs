namespace DevMentor.Core.Pipelines.Artifacts;

/// <summary>One file a run kept: its content lives in the blob store under its SHA-256.</summary>
/// <param name="Name">The path relative to the workspace, '/'-separated (e.g. <c>packages/app-1.0.0.tgz</c>).</param>
public sealed record ArtifactInfo(Guid RunId, string Step, string Name, string Sha256, long Size, string ContentType, DateTimeOffset CreatedAt);

/// <summary>
/// A run's artifacts: metadata in PostgreSQL, content in <see cref="Storage.IBlobStore"/>,
/// content-addressed so the same bytes from many runs are stored once.
/// </summary>
public interface IArtifactStore
{
    /// <summary>Stores one artifact (read once, never held whole in memory); storing the same name again replaces it.</summary>
    Task<ArtifactInfo> PutAsync(Guid projectId, Guid runId, string step, string name, Stream content, CancellationToken cancellationToken);

    Task<IReadOnlyList<ArtifactInfo>> ListAsync(Guid runId, CancellationToken cancellationToken);

    /// <summary>The artifact's metadata and an open stream of its bytes; null when the run has no artifact of that name.</summary>
    Task<(ArtifactInfo Info, Stream Content)?> OpenAsync(Guid runId, string name, CancellationToken cancellationToken);
}
