namespace DevMentor.Core.Pipelines;

/// <summary>Exponential backoff with jitter for infrastructure retries.</summary>
public static class RetryBackoff
{
    /// <param name="failedAttempt">The attempt that just failed, from 1.</param>
    /// <param name="random01">A uniform sample in [0, 1): 0.5 gives the exact exponential delay.</param>
    public static TimeSpan Delay(int failedAttempt, TimeSpan firstDelay, double factor, double jitter, double random01)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(failedAttempt, 1);
        var exponential = firstDelay.TotalMilliseconds * Math.Pow(factor, failedAttempt - 1);
        var jittered = exponential * (1 + (jitter * ((2 * random01) - 1)));
        return TimeSpan.FromMilliseconds(Math.Clamp(jittered, 0, TimeSpan.FromHours(6).TotalMilliseconds));
    }
}
