using System.Collections.Concurrent;
using System.Security.Cryptography;
using DevMentor.Core.Pipelines.Artifacts;

namespace DevMentor.Functions.Tests.Deployments;

/// <summary>
/// Test double of <see cref="IArtifactStore"/> (the real one, on PostgreSQL and the blob store,
/// belongs to the build-run feature): artifacts held in memory, keyed by run and name.
/// </summary>
public sealed class InMemoryArtifactStoreDouble : IArtifactStore
{
    private readonly ConcurrentDictionary<(Guid RunId, string Name), (ArtifactInfo Info, byte[] Bytes)> _artifacts = new();

    public void Put(Guid projectId, Guid runId, string name, string content) =>
        PutAsync(projectId, runId, "build", name, new MemoryStream(System.Text.Encoding.UTF8.GetBytes(content)), CancellationToken.None).GetAwaiter().GetResult();

    public async Task<ArtifactInfo> PutAsync(Guid projectId, Guid runId, string step, string name, Stream content, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        await content.CopyToAsync(buffer, cancellationToken);
        var bytes = buffer.ToArray();
        var info = new ArtifactInfo(runId, step, name, Convert.ToHexStringLower(SHA256.HashData(bytes)), bytes.Length, "application/octet-stream", DateTimeOffset.UtcNow);
        _artifacts[(runId, name)] = (info, bytes);
        return info;
    }

    public Task<IReadOnlyList<ArtifactInfo>> ListAsync(Guid runId, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<ArtifactInfo>>(_artifacts.Where(a => a.Key.RunId == runId).Select(a => a.Value.Info).OrderBy(i => i.Name, StringComparer.Ordinal).ToList());

    public Task<(ArtifactInfo Info, Stream Content)?> OpenAsync(Guid runId, string name, CancellationToken cancellationToken) =>
        Task.FromResult<(ArtifactInfo, Stream)?>(_artifacts.TryGetValue((runId, name), out var a) ? (a.Info, new MemoryStream(a.Bytes, writable: false)) : null);
}
