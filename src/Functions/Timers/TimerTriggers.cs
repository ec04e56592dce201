using DevMentor.Core.Scheduling;
using Microsoft.Azure.Functions.Worker;

namespace DevMentor.Functions.Timers;

/// <summary>The TimerInfo of an occurrence the standalone scheduler has already claimed for this instance.</summary>
public sealed class ScheduledTimerInfo : TimerInfo
{
    public required TimerInvocation Invocation { get; init; }
}

/// <summary>
/// Runs a timer function's job once per occurrence across instances, under either host. The
/// standalone scheduler claims each occurrence before it fires (<see cref="ScheduledTimerInfo"/>).
/// The Functions host already fires each occurrence on one instance; its TimerInfo names no
/// occurrence, so the invocation is recorded under the second it arrived in, which also makes a
/// redelivery in the same second a no-op.
/// </summary>
public sealed class TimerTriggers(TimerExecutor executor, TimeProvider clock)
{
    public const string HostSource = "functions-host";

    public async Task RunAsync(string name, TimerInfo timer, ITimerJob job, CancellationToken cancellationToken)
    {
        if (timer is ScheduledTimerInfo scheduled)
        {
            await executor.RunClaimedAsync(name, scheduled.Invocation, job, cancellationToken);
            return;
        }

        var now = clock.GetUtcNow();
        var invocation = new TimerInvocation(new DateTimeOffset(now.Ticks - (now.Ticks % TimeSpan.TicksPerSecond), TimeSpan.Zero), timer.IsPastDue, HostSource);
        if (!await executor.TryClaimAsync(name, invocation, cancellationToken))
        {
            return;
        }

        // The host records a failed invocation (and its retry policy, if any, applies) only when the function throws.
        if (await executor.RunClaimedAsync(name, invocation, job, cancellationToken) is { } error)
        {
            throw new InvalidOperationException($"{name} failed for {invocation.ScheduledAt:O}: {error}");
        }
    }
}
