using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace DevMentor.Core.Caching;

/// <summary>
/// The cache port on Redis, shared by every instance: one copy of each entry, in Redis (on a
/// cluster, on the node that owns the key's slot). A write on any instance deletes that copy, so no
/// instance can read the old value afterwards: invalidation is the DEL itself, synchronous, with no
/// message to miss. That is why there is no in-process layer and no pub/sub: a local copy would need
/// an invalidation message (which pub/sub delivers at most once, after the writer has answered) and
/// could serve stale data in between. While Redis is down the cache is bypassed (every read a miss).
/// </summary>
/// <remarks>
/// Every command touches one key (GET, SET with PX, DEL), so each goes to one slot on a cluster and
/// no hash tag is needed. A removal that fails during an outage is remembered and retried until
/// Redis takes it (until then this instance treats that key as a miss), so an entry that outlived
/// the outage in Redis is not served after a write that happened during it. Past 10,000 remembered
/// keys every entry under the cache prefix is removed instead, node by node.
/// </remarks>
public sealed partial class RedisCache : ICache, IAsyncDisposable
{
    private static readonly TimeSpan RetryInterval = TimeSpan.FromMilliseconds(500);

    private readonly RedisConnection _redis;
    private readonly ILogger _logger;
    private readonly int _maxPendingRemovals;
    // Key → the number of the failure that put it there: a retry only clears the failure it retried,
    // never a later one for the same key.
    private readonly ConcurrentDictionary<string, long> _pendingRemovals = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stopping = new();
    private long _failures;
    private int _overflowed;
    private int _retrying;

    public RedisCache(RedisConnection redis, ILogger<RedisCache> logger)
        : this(redis, logger, maxPendingRemovals: 10_000)
    {
    }

    internal RedisCache(RedisConnection redis, ILogger<RedisCache> logger, int maxPendingRemovals)
    {
        _redis = redis;
        _logger = logger;
        _maxPendingRemovals = maxPendingRemovals;
    }

    /// <summary>Removals that have not reached Redis yet (for tests and diagnostics).</summary>
    internal int PendingRemovals => Volatile.Read(ref _overflowed) == 1 ? -1 : _pendingRemovals.Count;

    public async Task<byte[]?> GetAsync(string key, CancellationToken cancellationToken)
    {
        if (!_pendingRemovals.IsEmpty && (Volatile.Read(ref _overflowed) == 1 || _pendingRemovals.ContainsKey(key)))
        {
            return null; // Redis may still hold what a write here removed
        }

        var (ok, value) = await _redis.TryRunAsync(db => db.StringGetAsync(RedisKeyFor(key)), cancellationToken);
        return ok && value.HasValue ? (byte[]?)value : null;
    }

    public async Task SetAsync(string key, byte[] value, TimeSpan timeToLive, CancellationToken cancellationToken)
    {
        var (ok, _) = await _redis.TryRunAsync(db => db.StringSetAsync(RedisKeyFor(key), value, timeToLive), cancellationToken);
        if (ok && Volatile.Read(ref _overflowed) == 0)
        {
            _pendingRemovals.TryRemove(key, out _); // the entry now holds what was just written
        }
    }

    public async Task RemoveAsync(string key, CancellationToken cancellationToken)
    {
        var (ok, _) = await _redis.TryRunAsync(db => db.KeyDeleteAsync(RedisKeyFor(key)), cancellationToken);
        if (ok)
        {
            return;
        }

        if (_pendingRemovals.Count >= _maxPendingRemovals)
        {
            Volatile.Write(ref _overflowed, 1);
        }

        _pendingRemovals[key] = Interlocked.Increment(ref _failures);
        StartRetrying();
    }

    public async ValueTask DisposeAsync() => await _stopping.CancelAsync();

    private RedisKey RedisKeyFor(string key) => _redis.KeyPrefix + "cache:" + key;

    private void StartRetrying()
    {
        if (Interlocked.CompareExchange(ref _retrying, 1, 0) == 0)
        {
            _ = Task.Run(RetryRemovalsAsync);
        }
    }

    /// <summary>
    /// Retries what is pending every half second until Redis takes it. While Redis is down each try
    /// fails at once (the library fails commands for a node it is not connected to), so this costs
    /// nothing, and it needs no reconnection event: it simply succeeds once Redis answers again.
    /// </summary>
    private async Task RetryRemovalsAsync()
    {
        try
        {
            while (!_pendingRemovals.IsEmpty && !_stopping.IsCancellationRequested)
            {
                var done = Volatile.Read(ref _overflowed) == 1 ? await TryRemoveAllAsync() : await TryRemovePendingAsync();
                if (!done)
                {
                    await Task.Delay(RetryInterval, _stopping.Token);
                }
            }
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
            return;
        }
        finally
        {
            Volatile.Write(ref _retrying, 0);
        }

        if (!_pendingRemovals.IsEmpty)
        {
            StartRetrying(); // a removal failed just as the loop found nothing left
        }
    }

    private async Task<bool> TryRemovePendingAsync()
    {
        foreach (var pending in _pendingRemovals)
        {
            var (ok, _) = await _redis.TryRunAsync(db => db.KeyDeleteAsync(RedisKeyFor(pending.Key)), _stopping.Token);
            if (!ok)
            {
                return false;
            }

            _pendingRemovals.TryRemove(pending);
        }

        return true;
    }

    /// <summary>
    /// Deletes every entry under the cache prefix on every primary (a cluster spreads them over its
    /// nodes; SCAN sees one node's keys only). Keys are deleted one by one, as a multi-key DEL would
    /// span slots.
    /// </summary>
    private async Task<bool> TryRemoveAllAsync()
    {
        if (_redis.Multiplexer is not { } multiplexer)
        {
            return false;
        }

        var covered = _pendingRemovals.ToArray(); // what this pass answers for; later failures stay pending
        var pattern = Glob.Escape(_redis.KeyPrefix + "cache:") + "*";
        var database = multiplexer.GetDatabase();
        long removed = 0;
        try
        {
            foreach (var server in multiplexer.GetServers().Where(s => !s.IsReplica))
            {
                var deletions = new List<Task<bool>>();
                await foreach (var key in server.KeysAsync(pattern: pattern, pageSize: 1000).WithCancellation(_stopping.Token))
                {
                    deletions.Add(database.KeyDeleteAsync(key));
                    if (deletions.Count == 1000)
                    {
                        removed += (await Task.WhenAll(deletions).WaitAsync(_redis.Options.OperationTimeout * 10, _stopping.Token)).Count(d => d);
                        deletions.Clear();
                    }
                }

                removed += (await Task.WhenAll(deletions).WaitAsync(_redis.Options.OperationTimeout * 10, _stopping.Token)).Count(d => d);
            }
        }
        catch (Exception e) when (e is TimeoutException or RedisException)
        {
            return false;
        }

        foreach (var pending in covered)
        {
            _pendingRemovals.TryRemove(pending);
        }

        if (_pendingRemovals.Count < _maxPendingRemovals)
        {
            Volatile.Write(ref _overflowed, 0);
        }

        LogRemovedAll(_logger, removed);
        return true;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Removed {Count} cache entries after an outage with too many missed invalidations to retry one by one")]
    private static partial void LogRemovedAll(ILogger logger, long count);

    private static class Glob
    {
        public static string Escape(string text) =>
            string.Concat(text.Select(c => c is '*' or '?' or '[' or ']' or '\\' ? "\\" + c : c.ToString()));
    }
}
