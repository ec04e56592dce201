using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;

namespace DevMentor.Core.Tasks;

/// <summary>
/// Two-way sync of tasks and their GitHub/GitLab issues. Out: after a write here the task is pushed
/// to its issue (opened on the first push); a failure is kept on the task (<c>syncError</c>) and the
/// next change tries again, so a provider that is down never fails a task write. In: an issue
/// delivery is applied by <see cref="ProjectTaskStore.ApplyIssueAsync"/> under the task's lock; a
/// conflict the task won is pushed back so both sides agree again.
/// </summary>
public sealed partial class TaskSyncService(ProjectTaskStore store, IEnumerable<IIssueTracker> trackers, ILogger<TaskSyncService> logger)
{
    private readonly Dictionary<string, IIssueTracker> _trackers = trackers.ToDictionary(t => t.Provider, StringComparer.Ordinal);

    public bool Supports(string? provider) => provider is not null && _trackers.ContainsKey(provider);

    /// <returns>The task as stored after the push (linked and synced, or carrying the error).</returns>
    public async Task<ProjectTask> PushAsync(string? provider, string? repository, ProjectTask task, string? actor, CancellationToken cancellationToken)
    {
        if (provider is null || repository is null || !_trackers.TryGetValue(provider, out var tracker))
        {
            await store.SetSyncErrorAsync(task.Id, "The project has no GitHub or GitLab repository to sync with.", cancellationToken);
        }
        else
        {
            try
            {
                var issue = task.Issue?.Number is { } number
                    ? await tracker.UpdateAsync(repository, number, task.Fields, cancellationToken)
                    : await tracker.CreateAsync(repository, task.Fields, cancellationToken);
                await store.LinkIssueAsync(task.Id, task.Version, provider, issue, actor, cancellationToken);
            }
            catch (IssueTrackerException e)
            {
                LogPushFailed(logger, task.ProjectId, task.Number, e.Message);
                await store.SetSyncErrorAsync(task.Id, e.Message, cancellationToken);
            }
        }

        return await store.GetAsync(task.ProjectId, task.Number, cancellationToken) ?? task;
    }

    /// <summary>An issue webhook: the task created or updated; a conflict the task won is pushed to the issue.</summary>
    public async Task<(IssueApplied Result, ProjectTask Task)> ApplyIssueAsync(Guid projectId, string provider, string repository, ExternalIssue issue, CancellationToken cancellationToken)
    {
        var (result, task) = await store.ApplyIssueAsync(projectId, provider, issue, cancellationToken);
        if (result == IssueApplied.ConflictTaskWon)
        {
            task = await PushAsync(provider, repository, task, "sync", cancellationToken);
        }

        return (result, task);
    }

    /// <summary>
    /// Commits of a push: each message saying <c>fixes #12</c> (fix, fixes, fixed, close(s|d),
    /// resolve(s|d)) closes task 12 and links the commit; a synced task's issue is closed too.
    /// </summary>
    /// <returns>The numbers of the tasks closed.</returns>
    public async Task<IReadOnlyList<int>> LinkCommitsAsync(Guid projectId, string provider, string repository, IEnumerable<TaskCommit> commits, CancellationToken cancellationToken)
    {
        var closed = new List<int>();
        foreach (var commit in commits)
        {
            foreach (var number in ReferencedTasks(commit.Message))
            {
                var task = await store.LinkCommitAsync(projectId, number, commit with { Message = FirstLine(commit.Message) }, $"commit {commit.Sha[..Math.Min(12, commit.Sha.Length)]}", cancellationToken);
                if (task is null)
                {
                    continue;
                }

                closed.Add(number);
                if (task.Sync)
                {
                    await PushAsync(provider, repository, task, "sync", cancellationToken);
                }
            }
        }

        return closed;
    }

    public static IEnumerable<int> ReferencedTasks(string message) =>
        FixesPattern().Matches(message)
            .Select(m => int.TryParse(m.Groups[1].ValueSpan, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n) ? n : 0)
            .Where(n => n > 0)
            .Distinct();

    private static string FirstLine(string message)
    {
        var line = message.Split('\n', 2)[0].TrimEnd('\r');
        return line.Length > 200 ? line[..200] : line;
    }

    [GeneratedRegex(@"\b(?:fix|fixes|fixed|close|closes|closed|resolve|resolves|resolved):?\s+#(\d{1,9})\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant, matchTimeoutMilliseconds: 1000)]
    private static partial Regex FixesPattern();

    [LoggerMessage(Level = LogLevel.Warning, Message = "Task {Number} of project {ProjectId} did not reach its issue: {Reason}")]
    private static partial void LogPushFailed(ILogger logger, Guid projectId, int number, string reason);
}
