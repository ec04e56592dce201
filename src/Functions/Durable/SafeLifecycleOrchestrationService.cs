using DurableTask.Core;

namespace DevMentor.Functions.Durable;

/// <summary>
/// The orchestration service as <see cref="DurableSidecar"/> hands it to the preview sidecar. The sidecar starts and
/// stops the service from <c>async void</c> host callbacks, so an exception there ends the process, and
/// DurableTask.AzureStorage throws on a second start and on a stop before any start (a service stopped before its
/// worker ever connected). Here start and stop happen at most once each, in that order, and a failing start or stop is logged.
/// Everything else passes straight through.
/// </summary>
internal sealed partial class SafeLifecycleOrchestrationService(IOrchestrationService inner, ILogger logger) : IOrchestrationService
{
    private readonly Lock _lock = new();
    private Task? _start;
    private Task? _stop;

    public Task StartAsync()
    {
        lock (_lock)
        {
            return _stop is null ? _start ??= StartOnceAsync() : Task.CompletedTask;
        }
    }

    public Task StopAsync() => StopAsync(isForced: false);

    public Task StopAsync(bool isForced)
    {
        lock (_lock)
        {
            return _stop ??= StopOnceAsync(_start, isForced);
        }
    }

    private async Task StartOnceAsync()
    {
        try
        {
            await inner.StartAsync();
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Storage unreachable at start: no instance progresses until a restart; readiness shows the hub down.
            StartFailure = e;
            LogStartFailed(logger, e);
        }
    }

    private async Task StopOnceAsync(Task? start, bool isForced)
    {
        if (start is null)
        {
            return;
        }

        await start;
        if (StartFailure is not null)
        {
            return;
        }

        try
        {
            await inner.StopAsync(isForced);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            LogStopFailed(logger, e);
        }
    }

    /// <summary>Why the backend did not start, when it did not.</summary>
    public Exception? StartFailure { get; private set; }

    public Task CreateAsync() => inner.CreateAsync();
    public Task CreateAsync(bool recreateInstanceStore) => inner.CreateAsync(recreateInstanceStore);
    public Task CreateIfNotExistsAsync() => inner.CreateIfNotExistsAsync();
    public Task DeleteAsync() => inner.DeleteAsync();
    public Task DeleteAsync(bool deleteInstanceStore) => inner.DeleteAsync(deleteInstanceStore);
    public bool IsMaxMessageCountExceeded(int currentMessageCount, OrchestrationRuntimeState runtimeState) => inner.IsMaxMessageCountExceeded(currentMessageCount, runtimeState);
    public int GetDelayInSecondsAfterOnProcessException(Exception exception) => inner.GetDelayInSecondsAfterOnProcessException(exception);
    public int GetDelayInSecondsAfterOnFetchException(Exception exception) => inner.GetDelayInSecondsAfterOnFetchException(exception);
    public int TaskOrchestrationDispatcherCount => inner.TaskOrchestrationDispatcherCount;
    public int MaxConcurrentTaskOrchestrationWorkItems => inner.MaxConcurrentTaskOrchestrationWorkItems;
    public BehaviorOnContinueAsNew EventBehaviourForContinueAsNew => inner.EventBehaviourForContinueAsNew;
    public Task<TaskOrchestrationWorkItem> LockNextTaskOrchestrationWorkItemAsync(TimeSpan receiveTimeout, CancellationToken cancellationToken) =>
        inner.LockNextTaskOrchestrationWorkItemAsync(receiveTimeout, cancellationToken);
    public Task RenewTaskOrchestrationWorkItemLockAsync(TaskOrchestrationWorkItem workItem) => inner.RenewTaskOrchestrationWorkItemLockAsync(workItem);
    public Task CompleteTaskOrchestrationWorkItemAsync(TaskOrchestrationWorkItem workItem, OrchestrationRuntimeState newOrchestrationRuntimeState,
        IList<TaskMessage> outboundMessages, IList<TaskMessage> orchestratorMessages, IList<TaskMessage> timerMessages, TaskMessage continuedAsNewMessage,
        OrchestrationState orchestrationState) =>
        inner.CompleteTaskOrchestrationWorkItemAsync(workItem, newOrchestrationRuntimeState, outboundMessages, orchestratorMessages, timerMessages, continuedAsNewMessage, orchestrationState);
    public Task AbandonTaskOrchestrationWorkItemAsync(TaskOrchestrationWorkItem workItem) => inner.AbandonTaskOrchestrationWorkItemAsync(workItem);
    public Task ReleaseTaskOrchestrationWorkItemAsync(TaskOrchestrationWorkItem workItem) => inner.ReleaseTaskOrchestrationWorkItemAsync(workItem);
    public int TaskActivityDispatcherCount => inner.TaskActivityDispatcherCount;
    public int MaxConcurrentTaskActivityWorkItems => inner.MaxConcurrentTaskActivityWorkItems;
    public Task<TaskActivityWorkItem> LockNextTaskActivityWorkItem(TimeSpan receiveTimeout, CancellationToken cancellationToken) =>
        inner.LockNextTaskActivityWorkItem(receiveTimeout, cancellationToken);
    public Task<TaskActivityWorkItem> RenewTaskActivityWorkItemLockAsync(TaskActivityWorkItem workItem) => inner.RenewTaskActivityWorkItemLockAsync(workItem);
    public Task CompleteTaskActivityWorkItemAsync(TaskActivityWorkItem workItem, TaskMessage responseMessage) => inner.CompleteTaskActivityWorkItemAsync(workItem, responseMessage);
    public Task AbandonTaskActivityWorkItemAsync(TaskActivityWorkItem workItem) => inner.AbandonTaskActivityWorkItemAsync(workItem);

    [LoggerMessage(Level = LogLevel.Error, Message = "The Durable Task backend did not start: no orchestration progresses until the service restarts")]
    private static partial void LogStartFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The Durable Task backend did not stop cleanly")]
    private static partial void LogStopFailed(ILogger logger, Exception exception);
}
