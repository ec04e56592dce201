using DevMentor.Core.Durable;
using DevMentor.Core.Scheduling;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Logging;

namespace DevMentor.Core.Code.Sync;

/// <summary>
/// The CodeSyncSweep timer: starts the orchestration of every unfinished sync that has none. A sync is stored before its
/// instance is scheduled (the delivery or request that asked for it is then answered), so a crash in between, or a Durable
/// client that was not there in time, leaves a queued sync with no instance; an orchestration that ended without recording
/// the sync's end (terminated by an operator) leaves a running one. Scheduling is idempotent by instance id: a sync whose
/// instance is pending or running is left alone, so two sweeps, or a sweep and a redelivered push, start it once.
/// </summary>
public sealed partial class CodeSyncSweep(CodeStore store, DurableClientSource clients, ISyncScheduler scheduler, CodeSyncOptions options, ILogger<CodeSyncSweep> logger) : ITimerJob
{
    /// <summary>How long a new sync is left to the request that stored it (its scheduler waits up to 30 s for the client).</summary>
    public static readonly TimeSpan Grace = TimeSpan.FromMinutes(1);

    private const int Batch = 100;

    public async Task RunAsync(TimerInvocation invocation, CancellationToken cancellationToken)
    {
        var started = await SweepAsync(Grace, cancellationToken);
        if (started > 0)
        {
            LogStarted(logger, started);
        }
    }

    /// <returns>How many orchestrations were started.</returns>
    public async Task<int> SweepAsync(TimeSpan olderThan, CancellationToken cancellationToken)
    {
        if (!options.Enabled || !clients.IsReady)
        {
            return 0; // syncs paused here, or the hub is not up yet: the next occurrence looks again
        }

        var client = await clients.GetAsync(cancellationToken);
        var started = 0;
        foreach (var sync in await store.UnfinishedSyncsAsync(olderThan, Batch, cancellationToken))
        {
            var instance = await client.GetInstanceAsync(CodeSyncOrchestration.InstanceId(sync.ProjectId, sync.CommitSha), cancellationToken);
            if (instance is { RuntimeStatus: OrchestrationRuntimeStatus.Running or OrchestrationRuntimeStatus.Pending or OrchestrationRuntimeStatus.Suspended })
            {
                continue;
            }

            if (await scheduler.ScheduleAsync(sync, cancellationToken))
            {
                started++;
            }
        }

        return started;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "CodeSyncSweep started {Count} sync orchestrations that were stored but never started (or ended unrecorded)")]
    private static partial void LogStarted(ILogger logger, int count);
}
