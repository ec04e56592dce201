using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace DevMentor.Core.Caching;

/// <summary>
/// The cache port on Redis, shared by every instance: a write on one instance removes the shared
/// entry, so no other instance can read the old value afterwards. While Redis is down the cache is
/// bypassed (every read a miss). It deliberately does not fall back to an in-process cache: other
/// instances' writes could not invalidate that, and it would serve stale data.
/// </summary>
/// <remarks>
/// A removal that fails during an outage is remembered and replayed when Redis is back (until
/// then this instance treats that key as a miss), so an entry that outlived the outage in Redis is
/// not served after a write that happened during it. Past 10,000 remembered keys every entry under
/// the cache prefix is removed on reconnection instead.
/// </remarks>
public sealed partial class RedisCache : ICache
{
    private const int MaxPendingRemovals = 10_000;
    private static readonly TimeSpan ReplayRetryDelay = TimeSpan.FromMilliseconds(500);

    private readonly RedisConnection _redis;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<string, byte> _pendingRemovals = new(StringComparer.Ordinal);
    private int _overflowed;
    private int _replaying;

    public RedisCache(RedisConnection redis, ILogger<RedisCache> logger)
    {
        _redis = redis;
        _logger = logger;
        redis.Restored += () => _ = ReplayRemovalsAsync();
    }

    public async Task<byte[]?> GetAsync(string key, CancellationToken cancellationToken)
    {
        if (!_pendingRemovals.IsEmpty && (Volatile.Read(ref _overflowed) == 1 || _pendingRemovals.ContainsKey(key)))
        {
            ReplayIfPending(_redis.IsConnected);
            return null;
        }

        var (ok, value) = await _redis.TryRunAsync(db => db.StringGetAsync(RedisKeyFor(key)), cancellationToken);
        ReplayIfPending(ok);
        return ok && value.HasValue ? (byte[]?)value : null;
    }

    public async Task SetAsync(string key, byte[] value, TimeSpan timeToLive, CancellationToken cancellationToken)
    {
        var (ok, _) = await _redis.TryRunAsync(db => db.StringSetAsync(RedisKeyFor(key), value, timeToLive), cancellationToken);
        if (ok && Volatile.Read(ref _overflowed) == 0)
        {
            _pendingRemovals.TryRemove(key, out _); // the entry now holds what was just written
        }

        ReplayIfPending(ok);
    }

    public async Task RemoveAsync(string key, CancellationToken cancellationToken)
    {
        var (ok, _) = await _redis.TryRunAsync(db => db.KeyDeleteAsync(RedisKeyFor(key)), cancellationToken);
        if (!ok)
        {
            if (_pendingRemovals.Count >= MaxPendingRemovals)
            {
                Volatile.Write(ref _overflowed, 1);
            }

            _pendingRemovals[key] = 0;
        }
    }

    /// <summary>Redis answered again (a stall ends without a reconnection event): replay what is pending.</summary>
    private void ReplayIfPending(bool redisAnswered)
    {
        if (redisAnswered && !_pendingRemovals.IsEmpty && Volatile.Read(ref _replaying) == 0)
        {
            _ = Task.Run(ReplayRemovalsAsync);
        }
    }

    private RedisKey RedisKeyFor(string key) => _redis.KeyPrefix + "cache:" + key;

    /// <summary>Replays removals that failed during the outage; runs when the connection is restored.</summary>
    private async Task ReplayRemovalsAsync()
    {
        if (Interlocked.Exchange(ref _replaying, 1) == 1)
        {
            return;
        }

        try
        {
            // The connection can be back before Redis accepts commands (a partition that ends with
            // an AUTH change answers NOAUTH for a moment), so a failed pass is retried while the
            // connection stays up; once it drops, the next restoration starts a new replay.
            while (!_pendingRemovals.IsEmpty && _redis.IsConnected)
            {
                var done = Volatile.Read(ref _overflowed) == 1 ? await TryFlushAllAsync() : await TryRemovePendingAsync();
                if (done)
                {
                    return;
                }

                await Task.Delay(ReplayRetryDelay);
            }
        }
        finally
        {
            Interlocked.Exchange(ref _replaying, 0);
        }
    }

    private async Task<bool> TryFlushAllAsync()
    {
        var (ok, count) = await _redis.TryRunAsync(db => db.ScriptEvaluateAsync(
            "local n = 0 local cursor = '0' repeat local r = redis.call('SCAN', cursor, 'MATCH', ARGV[1], 'COUNT', 1000) cursor = r[1] for _, k in ipairs(r[2]) do n = n + redis.call('DEL', k) end until cursor == '0' return n",
            values: [_redis.KeyPrefix + "cache:*"]), CancellationToken.None);
        if (ok)
        {
            _pendingRemovals.Clear();
            Volatile.Write(ref _overflowed, 0);
            LogFlushed(_logger, (long)count);
        }

        return ok;
    }

    private async Task<bool> TryRemovePendingAsync()
    {
        foreach (var key in _pendingRemovals.Keys)
        {
            var (ok, _) = await _redis.TryRunAsync(db => db.KeyDeleteAsync(RedisKeyFor(key)), CancellationToken.None);
            if (!ok)
            {
                return false;
            }

            _pendingRemovals.TryRemove(key, out _);
        }

        return true;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Removed {Count} cache entries after an outage with too many missed invalidations to replay one by one")]
    private static partial void LogFlushed(ILogger logger, long count);
}
