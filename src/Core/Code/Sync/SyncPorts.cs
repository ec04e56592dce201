namespace DevMentor.Core.Code.Sync;

/// <param name="MirrorDirectory">Where the per-project bare mirrors live (Sync:MirrorDirectory; default {data dir}/mirrors).</param>
/// <param name="MaxAnalysedBytes">Files larger than this are indexed, not analysed (1 MiB).</param>
/// <param name="MaxAttempts">Runs of a sync (each resuming at its first unfinished stage) before it is failed.</param>
/// <param name="Durable">Sync:Runner = durable: each queued sync runs as a Durable orchestration (<see cref="CodeSyncOrchestration"/>) instead of in the lease worker.</param>
public sealed record CodeSyncOptions(
    string MirrorDirectory, bool WorkerEnabled = true, TimeSpan? PollInterval = null, TimeSpan? Lease = null, int MaxAttempts = 5, long MaxAnalysedBytes = 1024 * 1024,
    bool Durable = false)
{
    public TimeSpan EffectivePoll => PollInterval ?? TimeSpan.FromSeconds(1);

    public TimeSpan EffectiveLease => Lease ?? TimeSpan.FromSeconds(60);
}

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

/// <summary>Hands a queued sync to what runs it outside the lease worker (the Durable orchestration).</summary>
public interface ISyncScheduler
{
    Task ScheduleAsync(CodeSync sync, CancellationToken cancellationToken);
}
