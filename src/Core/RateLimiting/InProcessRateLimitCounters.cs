using System.Collections.Concurrent;

namespace DevMentor.Core.RateLimiting;

/// <summary>
/// The embedded default: fixed windows aligned to the clock (so every instance agrees on when a
/// window ends), counted in this process. Windows that ended are dropped as new ones begin.
/// </summary>
public sealed class InProcessRateLimitCounters(TimeProvider clock) : IRateLimitCounters
{
    private readonly ConcurrentDictionary<(string Key, long Window), long> _counts = new();
    private long _lastPrunedWindow;

    public Task<RateLimitCount> IncrementAsync(string key, TimeSpan window, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var windowIndex = now.UtcTicks / window.Ticks;
        var count = _counts.AddOrUpdate((key, windowIndex), 1, (_, current) => current + 1);
        var resetAt = new DateTimeOffset((windowIndex + 1) * window.Ticks, TimeSpan.Zero);

        if (Interlocked.Exchange(ref _lastPrunedWindow, windowIndex) != windowIndex)
        {
            foreach (var entry in _counts.Keys.Where(k => k.Window < windowIndex && k.Key == key || k.Window < windowIndex - 1))
            {
                _counts.TryRemove(entry, out _);
            }
        }

        return Task.FromResult(new RateLimitCount(count, resetAt));
    }
}
