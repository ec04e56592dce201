namespace DevMentor.Core.Code.Sync;

/// <param name="MirrorDirectory">Where the per-project bare mirrors live (Sync:MirrorDirectory; default {data dir}/mirrors).</param>
/// <param name="Enabled">Sync:Enabled: this instance starts the orchestrations of the syncs it stores, and sweeps. False stores
/// them as queued and starts nothing (syncs paused, or tests whose projects point at unreachable hosts); the sweep of an
/// instance with it on, or of this one once it is turned back on, starts them.</param>
/// <param name="MaxAnalysedBytes">Files larger than this are indexed, not analysed (1 MiB).</param>
public sealed record CodeSyncOptions(string MirrorDirectory, bool Enabled = true, long MaxAnalysedBytes = 1024 * 1024);

/// <summary>The build a push asked for, started (again: idempotently, by its key) by the sync's build stage.</summary>
public sealed record SyncBuild(string Branch, string Trigger, string IdempotencyKey);

/// <summary>Starts (or finds, by idempotency key) the build of a synced commit; implemented by the webhook integration.</summary>
public interface ISyncBuildStarter
{
    Task<Guid> StartAsync(Guid projectId, string commitSha, SyncBuild build, CancellationToken cancellationToken);
}

/// <summary>Reports the <c>devmentor/analysis</c> commit status to the project's repository host.</summary>
public interface IAnalysisStatusReporter
{
    /// <returns>False when the project's host takes no statuses (a plain git remote).</returns>
    Task<bool> ReportAsync(Guid projectId, string commitSha, bool success, string description, CancellationToken cancellationToken);
}

/// <summary>Hands a queued sync to what runs it: the <see cref="CodeSyncOrchestration"/> (<see cref="DurableSyncScheduler"/>).</summary>
public interface ISyncScheduler
{
    /// <returns>Whether an instance was started (false: one is already pending or running, or no Durable client was available).</returns>
    Task<bool> ScheduleAsync(CodeSync sync, CancellationToken cancellationToken);
}
