using System.Diagnostics;
using DevMentor.Core.Scheduling;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace DevMentor.Core.Notifications;

/// <summary>
/// Turns finished runs and deployments into outbox rows and delivers what is due, with retries and
/// backoff. Under the standalone host a loop does it every <see cref="NotificationOptions.PollInterval"/>;
/// the NotificationDispatch timer runs the same pass (under the Functions host the only one).
/// Everything lives in the database, so a restart loses nothing: a row leased by a process that died
/// is sent again once its lease runs out (at least once).
/// </summary>
public sealed partial class NotificationWorker(NotificationStore store, NotificationSender sender, NotificationOptions options, ILogger<NotificationWorker> logger)
    : BackgroundService, ITimerJob
{
    private const int Batch = 50;

    public async Task RunAsync(TimerInvocation invocation, CancellationToken cancellationToken) => await PassAsync(cancellationToken);

    /// <summary>Detects new events and sends every due notification once; returns how many were attempted.</summary>
    public async Task<int> PassAsync(CancellationToken cancellationToken)
    {
        await store.DetectAsync(options.Lookback, cancellationToken);
        var attempted = 0;
        for (IReadOnlyList<ClaimedNotification> due; (due = await store.ClaimDueAsync(Batch, options.Lease, cancellationToken)).Count > 0;)
        {
            await Parallel.ForEachAsync(due, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = cancellationToken }, async (n, ct) =>
            {
                var watch = Stopwatch.StartNew();
                var result = await sender.SendAsync(n, ct);
                if (await store.RecordAsync(n, result, watch.Elapsed.TotalMilliseconds, options, ct))
                {
                    LogDisabled(logger, n.SubscriptionId, n.ProjectId, options.DisableAfterFailures);
                }
                else if (!result.Succeeded)
                {
                    LogAttemptFailed(logger, n.Id, n.Attempt, n.Kind, result.Error);
                }
            });
            attempted += due.Count;
        }

        return attempted;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await PassAsync(stoppingToken);
                await Task.Delay(options.PollInterval, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                LogPassFailed(logger, e);
                await Task.Delay(TimeSpan.FromSeconds(5), stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Notification target {SubscriptionId} of project {ProjectId} disabled after {Failures} failed deliveries in a row")]
    private static partial void LogDisabled(ILogger logger, Guid subscriptionId, Guid projectId, int failures);

    [LoggerMessage(Level = LogLevel.Information, Message = "Notification {Id} attempt {Attempt} ({Kind}) failed: {Error}")]
    private static partial void LogAttemptFailed(ILogger logger, Guid id, int attempt, string kind, string? error);

    [LoggerMessage(Level = LogLevel.Error, Message = "A notification pass failed; retrying in 5 s")]
    private static partial void LogPassFailed(ILogger logger, Exception exception);
}
