using DevMentor.Core.Analytics;
using DevMentor.Core.Code.Sync;
using DevMentor.Core.Housekeeping;
using DevMentor.Core.Integrations.Remotes;
using DevMentor.Core.Integrations.Webhooks;
using DevMentor.Core.Notifications;
using DevMentor.Core.Pipelines;
using DevMentor.Core.Retention;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;

namespace DevMentor.Functions.Timers;

/// <summary>Purges expired idempotency keys and old timer history.</summary>
public sealed class HousekeepingFunction(TimerTriggers timers, HousekeepingTimer job)
{
    private const string Name = "Housekeeping";

    [Function(Name)]
    public Task RunAsync([TimerTrigger("0 */5 * * * *")] TimerInfo timer, CancellationToken cancellationToken) =>
        timers.RunAsync(Name, timer, job, cancellationToken);
}

/// <summary>Re-queues steps whose runner vanished, times out overdue steps and stalled runs, starts waiting runs.</summary>
public sealed class PipelineSweeperFunction(TimerTriggers timers, PipelineSweeper job)
{
    private const string Name = "PipelineSweeper";

    [Function(Name)]
    public Task RunAsync([TimerTrigger("*/15 * * * * *")] TimerInfo timer, CancellationToken cancellationToken) =>
        timers.RunAsync(Name, timer, job, cancellationToken);
}

/// <summary>Processes webhook deliveries that were stored but never finished.</summary>
public sealed class WebhookRedeliveryFunction(TimerTriggers timers, WebhookRedeliveryTimer job)
{
    private const string Name = "WebhookRedelivery";

    [Function(Name)]
    public Task RunAsync([TimerTrigger("*/30 * * * * *")] TimerInfo timer, CancellationToken cancellationToken) =>
        timers.RunAsync(Name, timer, job, cancellationToken);
}

/// <summary>Finishes GitHub repositories and hooks whose creation a crash interrupted.</summary>
public sealed class RemoteProvisioningResumeFunction(TimerTriggers timers, RemoteProvisioningTimer job)
{
    private const string Name = "RemoteProvisioningResume";

    [Function(Name)]
    public Task RunAsync([TimerTrigger("0 * * * * *")] TimerInfo timer, CancellationToken cancellationToken) =>
        timers.RunAsync(Name, timer, job, cancellationToken);
}

/// <summary>Rolls runs, tests, deployments and usage up into the hourly and daily analytics tables.</summary>
public sealed class AnalyticsRollupFunction(TimerTriggers timers, RollupTimer job)
{
    private const string Name = "AnalyticsRollup";

    [Function(Name)]
    public Task RunAsync([TimerTrigger("0 */5 * * * *")] TimerInfo timer, CancellationToken cancellationToken) =>
        timers.RunAsync(Name, timer, job, cancellationToken);
}

/// <summary>Purges step logs, artifacts, run history, webhook deliveries and usage events past their retention (rollups stay).</summary>
public sealed class RetentionFunction(TimerTriggers timers, RetentionTimer job)
{
    private const string Name = "Retention";

    [Function(Name)]
    public Task RunAsync([TimerTrigger("0 17 * * * *")] TimerInfo timer, CancellationToken cancellationToken) =>
        timers.RunAsync(Name, timer, job, cancellationToken);
}

/// <summary>Detects run and deployment events and delivers due notifications (the standalone host also runs this in a loop).</summary>
public sealed class NotificationDispatchFunction(TimerTriggers timers, NotificationWorker job)
{
    private const string Name = "NotificationDispatch";

    [Function(Name)]
    public Task RunAsync([TimerTrigger("*/10 * * * * *")] TimerInfo timer, CancellationToken cancellationToken) =>
        timers.RunAsync(Name, timer, job, cancellationToken);
}

/// <summary>Starts the orchestration of code syncs that were stored but never started (a crash or no Durable client in between).</summary>
public sealed class CodeSyncSweepFunction(TimerTriggers timers, CodeSyncSweep job)
{
    private const string Name = "CodeSyncSweep";

    /// <param name="durable">Unused here: under the Functions host this binding is what offers the client to DurableClientSource
    /// (DurableClientCapture), so the sweep also works on an instance that has run no other Durable-bound function yet.</param>
    [Function(Name)]
    public Task RunAsync([TimerTrigger("*/30 * * * * *")] TimerInfo timer, [DurableClient] DurableTaskClient durable, CancellationToken cancellationToken) =>
        timers.RunAsync(Name, timer, job, cancellationToken);
}
