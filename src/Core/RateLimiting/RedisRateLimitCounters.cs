using StackExchange.Redis;

namespace DevMentor.Core.RateLimiting;

/// <summary>
/// Fixed-window counters in Redis, shared by every instance: one key per client and window, counted
/// with INCR and set to expire when the window ends (one Lua script, so both happen or neither). The
/// script names its one key in KEYS, so on a Redis Cluster the library sends it to the node owning
/// that key's slot and the script never touches another slot (no hash tag needed).
/// Windows are aligned to the clock exactly as <see cref="InProcessRateLimitCounters"/>'s are.
/// While Redis is down, counting falls back to those in-process counters (limits then hold per
/// instance, which is the best that can be done without a shared store).
/// </summary>
public sealed class RedisRateLimitCounters(Caching.RedisConnection redis, InProcessRateLimitCounters fallback, TimeProvider clock) : IRateLimitCounters
{
    private const string IncrementScript =
        "local count = redis.call('INCR', KEYS[1]) if count == 1 then redis.call('PEXPIREAT', KEYS[1], ARGV[1]) end return count";

    /// <summary>Keys outlive their window by this much, for clocks that disagree a little.</summary>
    private static readonly TimeSpan ExpiryGrace = TimeSpan.FromSeconds(5);

    public async Task<RateLimitCount> IncrementAsync(string key, TimeSpan window, CancellationToken cancellationToken)
    {
        var windowIndex = clock.GetUtcNow().UtcTicks / window.Ticks;
        var resetAt = new DateTimeOffset((windowIndex + 1) * window.Ticks, TimeSpan.Zero);
        RedisKey redisKey = $"{redis.KeyPrefix}ratelimit:{(long)window.TotalMilliseconds}:{key}:{windowIndex}";
        var expireAt = (resetAt + ExpiryGrace).ToUnixTimeMilliseconds();

        var (ok, result) = await redis.TryRunAsync(db => db.ScriptEvaluateAsync(IncrementScript, [redisKey], [expireAt]), cancellationToken);
        return ok ? new RateLimitCount((long)result, resetAt) : await fallback.IncrementAsync(key, window, cancellationToken);
    }
}
