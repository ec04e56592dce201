using DevMentor.Core.Builds.Git;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace DevMentor.Core.Code.Sync;

/// <summary>
/// Runs queued syncs one at a time per instance. A claimed sync holds a lease that is renewed while
/// it runs; when an instance dies mid-sync the lease lapses and another instance (or this one after
/// a restart) claims it and resumes at its first unfinished stage. Failures that may pass (network,
/// database) put the sync back with a growing delay, up to <see cref="CodeSyncOptions.MaxAttempts"/> runs.
/// </summary>
public sealed partial class CodeSyncWorker(CodeStore store, CodeSyncService sync, CodeSyncOptions options, ILogger<CodeSyncWorker> logger) : BackgroundService
{
    /// <returns>Whether a sync was run.</returns>
    public async Task<bool> RunOnceAsync(CancellationToken cancellationToken)
    {
        var claimed = await store.ClaimAsync(options.EffectiveLease, cancellationToken);
        if (claimed is null)
        {
            return false;
        }

        using var renewing = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var renewal = RenewAsync(claimed.Id, renewing.Token);
        try
        {
            var summary = await sync.RunAsync(claimed, cancellationToken);
            LogSynced(logger, claimed.ProjectId, claimed.CommitSha, summary);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            var permanent = e is SyncFailedException or GitCheckoutException { InfrastructureFailure: false };
            if (permanent || claimed.Attempts >= options.MaxAttempts)
            {
                await store.FinishAsync(claimed.Id, "failed", null, e.Message, CancellationToken.None);
            }
            else
            {
                await store.ReleaseAsync(claimed.Id, TimeSpan.FromSeconds(Math.Min(60, 2 * Math.Pow(2, claimed.Attempts))), e.Message, CancellationToken.None);
            }
        }
        finally
        {
            await renewing.CancelAsync();
            await renewal;
        }

        return true;
    }

    private async Task RenewAsync(Guid syncId, CancellationToken cancellationToken)
    {
        try
        {
            while (true)
            {
                await Task.Delay(options.EffectiveLease / 3, cancellationToken);
                await store.RenewLeaseAsync(syncId, options.EffectiveLease, cancellationToken);
            }
        }
        catch (OperationCanceledException)
        {
            // the sync ended
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (!await RunOnceAsync(stoppingToken))
                {
                    await Task.Delay(options.EffectivePoll, stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e)
            {
                LogLoopFailed(logger, e);
                await Task.Delay(TimeSpan.FromSeconds(2), stoppingToken);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Synced {ProjectId}@{Commit}: {Summary}")]
    private static partial void LogSynced(ILogger logger, Guid projectId, string commit, string summary);

    [LoggerMessage(Level = LogLevel.Error, Message = "The code sync worker failed; retrying in 2 s")]
    private static partial void LogLoopFailed(ILogger logger, Exception exception);
}
