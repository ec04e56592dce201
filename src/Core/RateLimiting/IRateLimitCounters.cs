namespace DevMentor.Core.RateLimiting;

/// <summary>
/// Fixed-window request counters: in-process by default, Redis when configured so that every
/// instance of the service counts against one limit.
/// </summary>
public interface IRateLimitCounters
{
    /// <summary>Counts one request for <paramref name="key"/> in the current window of length <paramref name="window"/>.</summary>
    Task<RateLimitCount> IncrementAsync(string key, TimeSpan window, CancellationToken cancellationToken);
}

/// <param name="Count">Requests counted in the window, this one included.</param>
/// <param name="ResetAt">When the window ends and the count starts again.</param>
public readonly record struct RateLimitCount(long Count, DateTimeOffset ResetAt);
