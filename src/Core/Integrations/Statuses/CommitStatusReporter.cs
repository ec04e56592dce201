using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace DevMentor.Core.Integrations.Statuses;

/// <summary>Where a run can be seen: the target URL of its commit status.</summary>
public sealed record RunLinks(Uri PublicBaseUrl)
{
    public Uri Run(Guid projectId, Guid runId) => new(PublicBaseUrl, $"projects/{projectId}/builds/{runId}");
}

public sealed class CommitStatusException(string message) : Exception(message);

/// <summary>
/// Reports each tracked run to its repository host: pending first, then the final state. Failures
/// back off exponentially (5 s, 10 s, … up to 5 min, with jitter) and give up after 12 attempts;
/// none of it touches the run itself.
/// </summary>
public sealed partial class CommitStatusReporter(
    CommitStatusStore store,
    IRunStateSource runs,
    IEnumerable<ICommitStatusClient> clients,
    RunLinks links,
    ILogger<CommitStatusReporter> logger) : BackgroundService
{
    public const int MaxAttempts = 12;
    private static readonly TimeSpan PollInterval = TimeSpan.FromSeconds(1);
    private readonly Dictionary<string, ICommitStatusClient> _clients = clients.ToDictionary(c => c.Provider, StringComparer.Ordinal);

    public static TimeSpan Backoff(int attempt) =>
        TimeSpan.FromSeconds(Math.Min(300, 5 * Math.Pow(2, attempt)) * (0.8 + (Random.Shared.NextDouble() * 0.4)));

    /// <returns>How many statuses were posted.</returns>
    public async Task<int> ReportDueAsync(CancellationToken cancellationToken)
    {
        var due = await store.DueAsync(100, cancellationToken);
        if (due.Count == 0)
        {
            return 0;
        }

        var states = (await runs.GetAsync(due.Select(r => r.RunId).ToList(), cancellationToken)).ToDictionary(s => s.RunId);
        var posted = 0;
        foreach (var report in due)
        {
            if (!states.TryGetValue(report.RunId, out var state))
            {
                await store.AbandonAsync(report.RunId, "the run no longer exists", cancellationToken);
                continue;
            }

            // Pending always goes first, even for a run that finished before we got to it.
            var (status, mark) = report.ReportedState switch
            {
                null => (Status(report, state.IsFinal ? new RunState(state.RunId, state.ProjectId, "queued") : state), "pending"),
                "pending" when state.IsFinal => (Status(report, state), "final"),
                _ => (null, null),
            };
            if (status is null || mark is null)
            {
                continue;
            }

            if (!_clients.TryGetValue(report.Provider, out var client))
            {
                await store.AbandonAsync(report.RunId, $"no status client for {report.Provider}", cancellationToken);
                continue;
            }

            try
            {
                await client.PostAsync(status, cancellationToken);
                await store.MarkReportedAsync(report.RunId, mark, cancellationToken);
                posted++;
            }
            catch (Exception e) when (e is HttpRequestException or CommitStatusException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
            {
                LogPostFailed(logger, report.Provider, report.Repository, report.Sha, report.Attempts + 1, e.Message);
                if (report.Attempts + 1 >= MaxAttempts)
                {
                    await store.AbandonAsync(report.RunId, $"gave up after {MaxAttempts} attempts: {e.Message}", cancellationToken);
                }
                else
                {
                    await store.MarkFailedAttemptAsync(report.RunId, Backoff(report.Attempts), e.Message, cancellationToken);
                }
            }
        }

        return posted;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (await ReportDueAsync(stoppingToken) == 0)
                {
                    await Task.Delay(PollInterval, stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e)
            {
                LogLoopFailed(logger, e);
                await Task.Delay(TimeSpan.FromSeconds(5), stoppingToken);
            }
        }
    }

    private CommitStatus Status(CommitStatusStore.Report report, RunState state) =>
        new(report.Repository, report.Sha, state.CommitState, state.Description, links.Run(report.ProjectId, report.RunId));

    [LoggerMessage(Level = LogLevel.Warning, Message = "Posting the commit status to {Provider} {Repository}@{Sha} failed (attempt {Attempt}): {Error}")]
    private static partial void LogPostFailed(ILogger logger, string provider, string repository, string sha, int attempt, string error);

    [LoggerMessage(Level = LogLevel.Error, Message = "The commit status reporter failed; retrying in 5 s")]
    private static partial void LogLoopFailed(ILogger logger, Exception exception);
}
