using System.Globalization;
using DevMentor.Core.Pipelines.Artifacts;
using DevMentor.Core.Scheduling;
using DevMentor.Core.Storage;
using Microsoft.Extensions.Logging;

namespace DevMentor.Core.Retention;

/// <summary>
/// Purges what is older than its retention, blobs and rows: step logs (blobs under the run), artifacts
/// (rows, then each blob no row points at any more), run history, webhook deliveries and raw usage
/// events. Rollups stay. Rows go first and blobs after, so a crash leaves at worst an orphan blob,
/// never a row pointing at nothing; step logs are marked purged only once their blobs are gone.
/// </summary>
public sealed partial class RetentionTimer(RetentionStore store, IBlobStore blobs, RetentionOptions options, ILogger<RetentionTimer> logger) : ITimerJob
{
    public async Task RunAsync(TimerInvocation invocation, CancellationToken cancellationToken) => await PurgeAsync(cancellationToken);

    public async Task<PurgeCounts> PurgeAsync(CancellationToken cancellationToken)
    {
        int logRuns = 0, artifacts = 0, runs = 0, deliveries = 0, usage = 0, blobCount = 0;

        // Step logs of finished runs, then runs past their history (their remaining blobs with them).
        for (IReadOnlyList<Guid> due; (due = await store.RunsWithDueLogsAsync(options, cancellationToken)).Count > 0;)
        {
            foreach (var run in due)
            {
                blobCount += await DeletePrefixAsync(RunPrefix(run) + "steps/", cancellationToken);
                await store.MarkLogsPurgedAsync(run, cancellationToken);
                logRuns++;
            }
        }

        for (IReadOnlyList<string> shas; (shas = await store.DeleteDueArtifactsAsync(options, cancellationToken)).Count > 0;)
        {
            artifacts += shas.Count;
            blobCount += await DeleteUnreferencedArtifactsAsync(shas, cancellationToken);
        }

        for (IReadOnlyList<Guid> due; (due = await store.DueRunsAsync(options, cancellationToken)).Count > 0;)
        {
            var shas = await store.DeleteRunsAsync(due, cancellationToken);
            runs += due.Count;
            blobCount += await DeleteUnreferencedArtifactsAsync(shas, cancellationToken);
            foreach (var run in due)
            {
                blobCount += await DeletePrefixAsync(RunPrefix(run), cancellationToken);
            }
        }

        for (int n; (n = await store.PurgeWebhookDeliveriesAsync(options, cancellationToken)) > 0;)
        {
            deliveries += n;
        }

        for (int n; (n = await store.PurgeUsageEventsAsync(options, cancellationToken)) > 0;)
        {
            usage += n;
        }

        var counts = new PurgeCounts(logRuns, artifacts, runs, deliveries, usage, blobCount);
        LogPurged(logger, logRuns, artifacts, runs, deliveries, usage, blobCount);
        return counts;
    }

    private static string RunPrefix(Guid run) => string.Create(CultureInfo.InvariantCulture, $"runs/{run:N}/");

    private async Task<int> DeleteUnreferencedArtifactsAsync(IReadOnlyList<string> shas, CancellationToken cancellationToken)
    {
        if (shas.Count == 0)
        {
            return 0;
        }

        var deleted = 0;
        foreach (var sha in await store.UnreferencedAsync(shas, cancellationToken))
        {
            if (await blobs.DeleteAsync(ContentAddress.KeyFor(PostgresArtifactStore.BlobPrefix, sha), cancellationToken))
            {
                deleted++;
            }
        }

        return deleted;
    }

    private async Task<int> DeletePrefixAsync(string prefix, CancellationToken cancellationToken)
    {
        var deleted = 0;
        string? token = null;
        do
        {
            var page = await blobs.ListAsync(prefix, token, 1000, cancellationToken);
            foreach (var blob in page.Items)
            {
                if (await blobs.DeleteAsync(blob.Key, cancellationToken))
                {
                    deleted++;
                }
            }

            token = page.ContinuationToken;
        }
        while (token is not null);
        return deleted;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Retention purged the step logs of {LogRuns} run(s), {Artifacts} artifact(s), {Runs} run(s), {Deliveries} webhook deliveries, {Usage} usage events and {Blobs} blob(s)")]
    private static partial void LogPurged(ILogger logger, int logRuns, int artifacts, int runs, int deliveries, int usage, int blobs);
}
