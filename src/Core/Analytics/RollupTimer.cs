using DevMentor.Core.Scheduling;
using Microsoft.Extensions.Logging;

namespace DevMentor.Core.Analytics;

/// <summary>
/// Rolls raw rows up into the hourly and daily tables: marks what changed since the watermarks,
/// then recomputes each dirty period in a transaction of its own. The first run has no watermark
/// and so backfills all history. A period that fails stays dirty and the others go on; the run
/// then fails so the timer history shows it.
/// </summary>
public sealed partial class RollupTimer(RollupStore store, AnalyticsOptions options, ILogger<RollupTimer> logger) : ITimerJob
{
    private const int Batch = 500;

    public async Task RunAsync(TimerInvocation invocation, CancellationToken cancellationToken) => await RollUpAsync(cancellationToken);

    /// <returns>How many periods were recomputed.</returns>
    public async Task<int> RollUpAsync(CancellationToken cancellationToken)
    {
        var marked = await store.MarkDirtyAsync(options.Settle, cancellationToken);
        var done = 0;
        var failed = new HashSet<DirtyPeriod>();
        Exception? firstError = null;
        while (true)
        {
            var batch = (await store.ListDirtyAsync(Batch + failed.Count, cancellationToken)).Where(p => !failed.Contains(p)).ToList();
            if (batch.Count == 0)
            {
                break;
            }

            var progressed = false;
            foreach (var period in batch)
            {
                try
                {
                    if (await store.RecomputeAsync(period, cancellationToken))
                    {
                        done++;
                        progressed = true;
                    }
                    else
                    {
                        failed.Add(period); // another instance has it: not ours to wait for
                    }
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    LogPeriodFailed(logger, e, period.Rollup, period.Granularity, period.PeriodStart);
                    failed.Add(period);
                    firstError ??= e;
                }
            }

            if (!progressed && batch.All(failed.Contains))
            {
                break;
            }
        }

        LogRolledUp(logger, marked, done);
        if (firstError is not null)
        {
            throw new InvalidOperationException($"Rolling up left {failed.Count} period(s) dirty; they are retried on the next run.", firstError);
        }

        return done;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Analytics rollup marked {Marked} period(s) and recomputed {Done}")]
    private static partial void LogRolledUp(ILogger logger, int marked, int done);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Analytics rollup of {Rollup} for the {Granularity} at {PeriodStart:O} failed; it stays dirty")]
    private static partial void LogPeriodFailed(ILogger logger, Exception exception, string rollup, string granularity, DateTimeOffset periodStart);
}
