using System.Globalization;
using DevMentor.Core.Tasks;
using Octokit;

namespace DevMentor.Core.Integrations.GitHub;

/// <summary>A task's GitHub issue through Octokit (the service's one client): title, body, open/closed and labels.</summary>
public sealed class GitHubIssueTracker(GitHubApi github) : IIssueTracker
{
    public string Provider => GitHubWebhookIntake.Provider;

    public async Task<ExternalIssue> CreateAsync(string repository, TaskFields fields, CancellationToken cancellationToken)
    {
        var (owner, name) = Split(repository);
        var issue = new NewIssue(fields.Title) { Body = fields.Body };
        foreach (var label in fields.Labels)
        {
            issue.Labels.Add(label);
        }

        var created = await CallAsync(c => c.Issue.Create(owner, name, issue), $"opening an issue in {repository}", cancellationToken);
        if (TaskStates.IsFinished(fields.State))
        {
            // GitHub opens every new issue; a task created finished closes it straight after.
            created = await CallAsync(c => c.Issue.Update(owner, name, created.Number, new IssueUpdate { State = ItemState.Closed }),
                $"closing issue #{created.Number} of {repository}", cancellationToken);
        }

        return ToExternal(created);
    }

    public async Task<ExternalIssue> UpdateAsync(string repository, int issueNumber, TaskFields fields, CancellationToken cancellationToken)
    {
        var (owner, name) = Split(repository);
        var update = new IssueUpdate
        {
            Title = fields.Title,
            Body = fields.Body ?? "",
            State = TaskStates.IsFinished(fields.State) ? ItemState.Closed : ItemState.Open,
        };
        update.ClearLabels();
        foreach (var label in fields.Labels)
        {
            update.AddLabel(label);
        }

        var updated = await CallAsync(c => c.Issue.Update(owner, name, issueNumber, update), $"updating issue #{issueNumber} of {repository}", cancellationToken);
        return ToExternal(updated);
    }

    private async Task<T> CallAsync<T>(Func<IGitHubClient, Task<T>> call, string what, CancellationToken cancellationToken)
    {
        try
        {
            return await GitHubApi.CallAsync(call, github.Client, what, cancellationToken);
        }
        catch (GitHubApiException e)
        {
            throw new IssueTrackerException(e.Message, e);
        }
    }

    private static ExternalIssue ToExternal(Issue issue) => new(
        issue.Id.ToString(CultureInfo.InvariantCulture), issue.Number, issue.Title ?? "", issue.Body, issue.State.Value == ItemState.Closed,
        [.. (issue.Labels ?? []).Select(l => l.Name)], issue.HtmlUrl, issue.UpdatedAt ?? issue.CreatedAt);

    private static (string Owner, string Name) Split(string fullName)
    {
        var slash = fullName.IndexOf('/', StringComparison.Ordinal);
        return slash > 0 && slash < fullName.Length - 1
            ? (fullName[..slash], fullName[(slash + 1)..])
            : throw new IssueTrackerException($"'{fullName}' is not a GitHub owner/name.");
    }
}
