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
public sealed partial class NotificationWorker(
    NotificationStore store, NotificationSender sender, TargetSecrets secrets, NotificationOptions options, ILogger<NotificationWorker> logger)
    : BackgroundService, ITimerJob
{
    private const int Batch = 50;
    private volatile bool _legacyProtected;

    public async Task RunAsync(TimerInvocation invocation, CancellationToken cancellationToken) => await PassAsync(cancellationToken);

    /// <summary>Detects new events and sends every due notification once; returns how many were attempted.</summary>
    public async Task<int> PassAsync(CancellationToken cancellationToken)
    {
        if (!_legacyProtected)
        {
            await ProtectLegacyAsync(cancellationToken);
            _legacyProtected = true;
        }

        await store.DetectAsync(options.Lookback, cancellationToken);
        var attempted = 0;
        for (IReadOnlyList<ClaimedNotification> due; (due = await store.ClaimDueAsync(Batch, options.Lease, cancellationToken)).Count > 0;)
        {
            await Parallel.ForEachAsync(due, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = cancellationToken }, async (n, ct) =>
            {
                var watch = Stopwatch.StartNew();
                var result = Decrypt(n) is { } plain ? await sender.SendAsync(plain, ct)
                    : new SendResult(false, null, "the target's URL or secret cannot be decrypted: the Data Protection key ring lost its key");
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

    /// <summary>Encrypts what subscriptions from before migration 0024 still hold in plaintext; returns how many.</summary>
    public async Task<int> ProtectLegacyAsync(CancellationToken cancellationToken)
    {
        var done = 0;
        foreach (var legacy in await store.LegacyTargetsAsync(cancellationToken))
        {
            var overHttp = legacy.Kind != NotificationKinds.Email;
            if (await store.ProtectLegacyAsync(legacy, overHttp ? TargetSecrets.RedactUrl(legacy.Target) : legacy.Target, overHttp ? secrets.Protect(legacy.Target) : null,
                    legacy.Secret is null ? null : secrets.Protect(legacy.Secret), legacy.Secret is null ? null : TargetSecrets.Hint(legacy.Secret), cancellationToken))
            {
                done++;
            }
        }

        return done;
    }

    // Plaintext exists only in memory, for the one attempt. A row from before 0024 not yet encrypted still has it in the clear.
    private ClaimedNotification? Decrypt(ClaimedNotification n)
    {
        try
        {
            return n with
            {
                Target = n.TargetProtected is { } target ? secrets.Unprotect(target) : n.Target,
                Secret = n.SecretProtected is { } secret ? secrets.Unprotect(secret) : n.Secret,
            };
        }
        catch (System.Security.Cryptography.CryptographicException)
        {
            return null;
        }
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
