using DevMentor.Core.Durable;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Logging;

namespace DevMentor.Core.Code.Sync;

public sealed record SyncStageInput(Guid SyncId, string Stage);

/// <param name="Error">Null when every stage finished; else why the sync failed.</param>
public sealed record SyncFinishInput(Guid SyncId, string? Error);

/// <summary>
/// The sync of one (project, commit) as a Durable orchestration, the only runner of syncs: one activity
/// per stage, in order, each idempotent (<see cref="CodeSyncService.RunStageOnceAsync"/> skips a stage
/// already recorded as done and replaces what an interrupted run of it wrote), then a finishing
/// activity that records the outcome. The instance id is derived from (project, commit), so a
/// redelivered push finds the running instance; a crash mid-stage replays the orchestration and runs
/// the interrupted activity again. Transient failures are retried by the Durable retry policy; a
/// <see cref="SyncFailedException"/> (a missing repository or commit, a git failure no retry can fix) ends the sync at once.
/// </summary>
[DurableTask(Name)]
public sealed class CodeSyncOrchestration : TaskOrchestrator<Guid, string>
{
    public const string Name = "CodeSync";

    private static readonly TaskOptions Retry = TaskOptions.FromRetryPolicy(new RetryPolicy(5, TimeSpan.FromSeconds(2), 2, TimeSpan.FromMinutes(1))
    {
        // By name: the failure crossed the worker's serialisation. The fetch stage turns git failures no retry fixes into this type.
        HandleFailure = failure => failure.ErrorType != typeof(SyncFailedException).FullName,
    });

    public static string InstanceId(Guid projectId, string commitSha) => $"codesync-{projectId:N}-{commitSha}";

    public override async Task<string> RunAsync(TaskOrchestrationContext context, Guid input)
    {
        try
        {
            foreach (var stage in SyncStages.All)
            {
                await context.CallActivityAsync<string>(CodeSyncStageActivity.Name, new SyncStageInput(input, stage), Retry);
            }
        }
        catch (TaskFailedException e)
        {
            return await context.CallActivityAsync<string>(CodeSyncFinishActivity.Name, new SyncFinishInput(input, e.FailureDetails.ErrorMessage));
        }

        return await context.CallActivityAsync<string>(CodeSyncFinishActivity.Name, new SyncFinishInput(input, null));
    }
}

/// <summary>One stage of a sync, recorded; the first marks the sync running.</summary>
[DurableTask(Name)]
public sealed class CodeSyncStageActivity(CodeStore store, CodeSyncService syncs) : TaskActivity<SyncStageInput, string>
{
    public const string Name = "CodeSyncStage";

    public override async Task<string> RunAsync(TaskActivityContext context, SyncStageInput input)
    {
        var sync = input.Stage == SyncStages.All[0]
            ? await store.BeginAsync(input.SyncId, CancellationToken.None) ?? await store.GetSyncAsync(input.SyncId, CancellationToken.None)
            : await store.GetSyncAsync(input.SyncId, CancellationToken.None);
        return sync is null ? "gone" : await syncs.RunStageOnceAsync(sync, input.Stage, CancellationToken.None);
    }
}

/// <summary>Records how the sync ended: its summary, or the error that stopped it.</summary>
[DurableTask(Name)]
public sealed class CodeSyncFinishActivity(CodeStore store, CodeSyncService syncs) : TaskActivity<SyncFinishInput, string>
{
    public const string Name = "CodeSyncFinish";

    public override async Task<string> RunAsync(TaskActivityContext context, SyncFinishInput input)
    {
        if (await store.GetSyncAsync(input.SyncId, CancellationToken.None) is not { } sync)
        {
            return "gone";
        }

        if (input.Error is { } error)
        {
            await store.FinishAsync(sync.Id, "failed", null, error, CancellationToken.None);
            return "failed: " + error;
        }

        var summary = await syncs.SummaryAsync(sync, CancellationToken.None);
        await store.FinishAsync(sync.Id, "succeeded", summary, null, CancellationToken.None);
        return summary;
    }
}

/// <summary>
/// Starts the orchestration of a queued sync, once per (project, commit) at a time: an instance pending or running is left
/// alone; one that ended (a failed sync asked for again, or an orchestration that died) is started afresh under the same id.
/// </summary>
public sealed partial class DurableSyncScheduler(DurableClientSource clients, CodeSyncOptions options, ILogger<DurableSyncScheduler> logger) : ISyncScheduler
{
    /// <summary>How long a push waits for the Durable client while the host starts; after that the sweep starts the sync.</summary>
    private static readonly TimeSpan ClientWait = TimeSpan.FromSeconds(30);

    public async Task<bool> ScheduleAsync(CodeSync sync, CancellationToken cancellationToken)
    {
        if (!options.Enabled)
        {
            return false; // Sync:Enabled = false: stored, queued, started by a sweep once syncs are on again
        }

        var id = CodeSyncOrchestration.InstanceId(sync.ProjectId, sync.CommitSha);
        DurableTaskClient client;
        try
        {
            client = await clients.GetAsync(cancellationToken).WaitAsync(ClientWait, cancellationToken);
        }
        catch (TimeoutException)
        {
            LogNoClient(logger, id);
            return false; // stored and visible as queued: CodeSyncSweep starts it once the hub is up
        }

        if (await client.GetInstanceAsync(id, cancellationToken) is { RuntimeStatus: OrchestrationRuntimeStatus.Running or OrchestrationRuntimeStatus.Pending or OrchestrationRuntimeStatus.Suspended })
        {
            return false; // a redelivery of a push whose sync is under way
        }

        try
        {
            await client.ScheduleNewOrchestrationInstanceAsync(CodeSyncOrchestration.Name, sync.Id, new StartOrchestrationOptions(id), cancellationToken);
            LogScheduled(logger, sync.ProjectId, sync.CommitSha, id);
            return true;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Two deliveries of the same push raced (the other one started it), or the hub refused: the sync stays queued, and the sweep looks again.
            LogNotStarted(logger, id, e.Message);
            return false;
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Sync of {ProjectId}@{Commit} started as orchestration {InstanceId}")]
    private static partial void LogScheduled(ILogger logger, Guid projectId, string commit, string instanceId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Orchestration {InstanceId} was not started: {Reason}")]
    private static partial void LogNotStarted(ILogger logger, string instanceId, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "No Durable client within 30 s: orchestration {InstanceId} is left to the CodeSyncSweep timer")]
    private static partial void LogNoClient(ILogger logger, string instanceId);
}
