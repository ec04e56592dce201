using DevMentor.Core.Data;
using DevMentor.Core.Scheduling;
using Microsoft.Extensions.Logging;

namespace DevMentor.Core.Housekeeping;

/// <summary>Purges expired idempotency keys and old timer history every five minutes.</summary>
public sealed partial class HousekeepingTimer(Database database, ILogger<HousekeepingTimer> logger) : ITimerJob
{
    public async Task RunAsync(TimerInvocation invocation, CancellationToken cancellationToken)
    {
        await using var keys = database.DataSource.CreateCommand("DELETE FROM idempotency_keys WHERE expires_at < now()");
        var expiredKeys = await keys.ExecuteNonQueryAsync(cancellationToken);

        // The newest row per timer stays: it is how a restart knows whether an occurrence was missed.
        await using var history = database.DataSource.CreateCommand("""
            DELETE FROM timer_runs t
            WHERE t.started_at < now() - interval '7 days'
              AND t.occurrence < (SELECT max(occurrence) FROM timer_runs newest WHERE newest.function_name = t.function_name)
            """);
        var oldRuns = await history.ExecuteNonQueryAsync(cancellationToken);
        LogPurged(logger, expiredKeys, oldRuns);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Housekeeping purged {ExpiredKeys} expired idempotency keys and {OldRuns} old timer runs")]
    private static partial void LogPurged(ILogger logger, int expiredKeys, int oldRuns);
}
