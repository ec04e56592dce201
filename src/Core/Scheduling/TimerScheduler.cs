using System.Collections.Concurrent;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace DevMentor.Core.Scheduling;

/// <summary>
/// Fires timer functions in standalone mode. Every instance computes the same occurrences;
/// <see cref="TimerRunStore.TryClaimAsync"/> lets exactly one of them run each. An occurrence
/// missed while no instance was running is run once at start, flagged past-due.
/// </summary>
public sealed partial class TimerScheduler(
    TimerCatalog catalog,
    TimerExecutor executor,
    TimerRunStore runs,
    TimeProvider clock,
    ILogger<TimerScheduler> logger) : BackgroundService
{
    private readonly ConcurrentDictionary<string, Task> _running = new();

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (catalog.Timers.Count == 0)
        {
            return;
        }

        await Task.Yield();
        var now = clock.GetUtcNow().UtcDateTime;
        var next = new Dictionary<string, DateTime>();
        foreach (var timer in catalog.Timers)
        {
            await FirePastDueAsync(timer, now, stoppingToken);
            next[timer.Name] = timer.NextAfter(now);
        }

        while (!stoppingToken.IsCancellationRequested)
        {
            var due = next.Values.Min();
            var wait = due - clock.GetUtcNow().UtcDateTime;
            if (wait > TimeSpan.Zero)
            {
                try
                {
                    await Task.Delay(wait, clock, stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }

            foreach (var timer in catalog.Timers.Where(t => next[t.Name] <= due))
            {
                Fire(timer, new TimerInvocation(new DateTimeOffset(next[timer.Name], TimeSpan.Zero), IsPastDue: false, "scheduler"), stoppingToken);
                next[timer.Name] = timer.NextAfter(next[timer.Name]);
            }
        }

        await Task.WhenAll(_running.Values);
    }

    private async Task FirePastDueAsync(TimerRegistration timer, DateTime now, CancellationToken stoppingToken)
    {
        try
        {
            var last = await runs.LastOccurrenceAsync(timer.Name, stoppingToken);
            if (last is null)
            {
                return; // Never ran here: nothing can have been missed.
            }

            // Only the latest missed occurrence matters; a long outage is not replayed tick by tick.
            var from = last.Value.UtcDateTime < now.AddDays(-1) ? now.AddDays(-1) : last.Value.UtcDateTime;
            var missed = timer.Schedule.GetNextOccurrences(from, now).Where(o => o > last.Value.UtcDateTime).DefaultIfEmpty().Last();
            if (missed != default)
            {
                Fire(timer, new TimerInvocation(new DateTimeOffset(missed, TimeSpan.Zero), IsPastDue: true, "scheduler"), stoppingToken);
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LogSchedulerError(logger, e, timer.Name);
        }
    }

    private void Fire(TimerRegistration timer, TimerInvocation invocation, CancellationToken stoppingToken)
    {
        if (_running.TryGetValue(timer.Name, out var previous) && !previous.IsCompleted)
        {
            LogStillRunning(logger, timer.Name, invocation.ScheduledAt);
            return;
        }

        _running[timer.Name] = Task.Run(async () =>
        {
            try
            {
                if (await executor.TryClaimAsync(timer.Name, invocation, stoppingToken))
                {
                    await timer.Fire(invocation, stoppingToken);
                }
            }
            catch (Exception e) when (e is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                // The database may be down for a moment; the next occurrence tries again.
                LogSchedulerError(logger, e, timer.Name);
            }
            catch (OperationCanceledException)
            {
            }
        }, CancellationToken.None);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Timer {Name} is still running; skipping its occurrence at {ScheduledAt:O} on this instance")]
    private static partial void LogStillRunning(ILogger logger, string name, DateTimeOffset scheduledAt);

    [LoggerMessage(Level = LogLevel.Error, Message = "Timer {Name} could not be fired")]
    private static partial void LogSchedulerError(ILogger logger, Exception exception, string name);
}
