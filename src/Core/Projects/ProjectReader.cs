using System.Text.Json;
using DevMentor.Core.Caching;

namespace DevMentor.Core.Projects;

/// <summary>
/// Reads a project with its collaborators through the cache (TTL 5 minutes).
/// <para>
/// Why every hit is validated against the database's version instead of trusting invalidation
/// alone: writers remove the entry from the cache after they commit, but with the in-process cache
/// each instance holds its own copy, and an invalidation message (LISTEN/NOTIFY, pub/sub) reaches
/// the other instances some time after the writer has already answered. A client that writes through
/// instance A and then reads through instance B could see the old project in that gap. Comparing the
/// cached entry's version with the row's (an index probe on a primary or unique key) closes the gap
/// for every cache backend, so a read after a write is never stale. What the cache saves is the
/// collaborator aggregation and building the document; removal on write keeps memory tidy, and
/// <see cref="ProjectVersionProbe"/> answers many concurrent probes with one query.
/// </para>
/// </summary>
public sealed class ProjectReader(ProjectStore store, ProjectVersionProbe probe, ICache cache, CacheMetrics metrics)
{
    // The in-process cache hands back the very array it stored: remembering what each array decoded
    // to skips the JSON work on hits. Keyed by reference, so a backend returning new arrays (Redis) just decodes.
    private readonly System.Runtime.CompilerServices.ConditionalWeakTable<byte[], ProjectSnapshot> _decoded = new();

    public static readonly TimeSpan TimeToLive = TimeSpan.FromMinutes(5);
    private const string CacheName = "project";

    public static string CacheKey(Guid id) => $"project:v1:{id:N}";

    public async Task<ProjectSnapshot?> GetAsync(string idOrSlug, CancellationToken cancellationToken)
    {
        var key = Guid.TryParse(idOrSlug, out var id) ? id.ToString() : idOrSlug.ToLowerInvariant();
        if (id == Guid.Empty && !ProjectSlug.IsWellFormed(key))
        {
            return null; // no project can have it; spares the database odd input (NUL bytes, 10 kB paths)
        }

        var head = await probe.GetAsync(key, cancellationToken);
        if (head is null)
        {
            return null;
        }

        var cached = await cache.GetAsync(CacheKey(head.Value.Id), cancellationToken);
        if (cached is not null)
        {
            var known = _decoded.TryGetValue(cached, out var decoded);
            var snapshot = known ? decoded : Deserialize(cached);
            if (snapshot?.Project.Version == head.Value.Version)
            {
                metrics.Hit(CacheName);
                if (!known)
                {
                    _decoded.AddOrUpdate(cached, snapshot);
                }

                return snapshot;
            }
        }

        metrics.Miss(CacheName);
        var fresh = await store.LoadSnapshotAsync(head.Value.Id, cancellationToken);
        if (fresh is not null)
        {
            var bytes = JsonSerializer.SerializeToUtf8Bytes(fresh, ProjectsJsonContext.Default.ProjectSnapshot);
            _decoded.AddOrUpdate(bytes, fresh);
            await cache.SetAsync(CacheKey(fresh.Project.Id), bytes, TimeToLive, cancellationToken);
        }

        return fresh;
    }

    /// <summary>
    /// The given projects at the given versions (a list page), in order: cached entries at that version
    /// are used, the rest are loaded in one query. A project written since the page was read comes back
    /// newer, never older.
    /// </summary>
    public async Task<IReadOnlyList<Project>> GetManyAsync(IReadOnlyList<ProjectHead> heads, CancellationToken cancellationToken)
    {
        var found = new Dictionary<Guid, Project>(heads.Count);
        var missing = new List<Guid>();
        // Concurrently: with Redis these are round trips; in process they complete at once.
        var entries = await Task.WhenAll(heads.Select(h => cache.GetAsync(CacheKey(h.Id), cancellationToken)));
        for (var i = 0; i < heads.Count; i++)
        {
            var (head, cached) = (heads[i], entries[i]);
            var snapshot = cached is null ? null : _decoded.TryGetValue(cached, out var decoded) ? decoded : Deserialize(cached);
            if (snapshot is not null && snapshot.Project.Version >= head.Version)
            {
                metrics.Hit(CacheName);
                found[head.Id] = snapshot.Project;
            }
            else
            {
                metrics.Miss(CacheName);
                missing.Add(head.Id);
            }
        }

        if (missing.Count > 0)
        {
            foreach (var fresh in await store.LoadSnapshotsAsync([.. missing], cancellationToken))
            {
                found[fresh.Project.Id] = fresh.Project;
                var bytes = JsonSerializer.SerializeToUtf8Bytes(fresh, ProjectsJsonContext.Default.ProjectSnapshot);
                _decoded.AddOrUpdate(bytes, fresh);
                await cache.SetAsync(CacheKey(fresh.Project.Id), bytes, TimeToLive, cancellationToken);
            }
        }

        // A project cannot vanish (archiving keeps the row), so every head is found.
        return heads.Where(h => found.ContainsKey(h.Id)).Select(h => found[h.Id]).ToList();
    }

    public Task InvalidateAsync(Guid id, CancellationToken cancellationToken) => cache.RemoveAsync(CacheKey(id), cancellationToken);

    private static ProjectSnapshot? Deserialize(byte[] bytes)
    {
        try
        {
            return JsonSerializer.Deserialize(bytes, ProjectsJsonContext.Default.ProjectSnapshot);
        }
        catch (JsonException)
        {
            return null; // an entry written by another version of the service: a miss
        }
    }
}
