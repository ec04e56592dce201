using System.Globalization;
using System.Text.Json;
using DevMentor.Core.Integrations.Webhooks;
using DevMentor.Core.Tasks;
using Octokit.Webhooks.Events;
using static DevMentor.Core.Integrations.Webhooks.PayloadRules;

namespace DevMentor.Core.Integrations.GitHub;

/// <summary>
/// GitHub deliveries: push → <see cref="RepositoryEvents.PushAsync"/>; pull_request
/// opened/synchronize/reopened → a run for the head sha; issues → tasks (two-way sync); ping → pong; the
/// rest is ignored. A payload that does not parse as GitHub's event, or carries a value nothing
/// can be done with, ends <c>invalid</c> with the reason, before any query or run.
/// </summary>
public sealed class GitHubEventHandler(RepositoryEvents events, IRepositoryProjects projects, TaskSyncService tasks) : IWebhookEventHandler
{
    private static readonly HashSet<string> BuildingPullRequestActions = ["opened", "synchronize", "reopened"];
    private static readonly HashSet<string> MirroredIssueActions = ["opened", "edited", "closed", "reopened", "labeled", "unlabeled"];
    private static readonly Dictionary<string, HashSet<string>> ActedOn = new(StringComparer.Ordinal)
    {
        ["pull_request"] = BuildingPullRequestActions,
        ["issues"] = MirroredIssueActions,
    };

    public string Provider => GitHubWebhookIntake.Provider;

    public async Task<WebhookOutcome> HandleAsync(WebhookDelivery delivery, CancellationToken cancellationToken)
    {
        if (delivery.Event is not ("push" or "pull_request" or "issues" or "ping"))
        {
            return WebhookOutcome.Ignored($"event '{delivery.Event}' is not handled");
        }

        var (parsed, problem) = GitHubPayloads.Instance.Parse(delivery.Event, delivery.Payload);
        if (problem is not null)
        {
            return ActedOn.TryGetValue(delivery.Event, out var actions) && GitHubPayloads.PeekAction(delivery.Payload) is { } action && !actions.Contains(action)
                ? WebhookOutcome.Ignored($"{delivery.Event} action '{action}' starts nothing")
                : WebhookOutcome.Invalid(problem);
        }

        return parsed switch
        {
            PushEvent push => await PushAsync(delivery, push, cancellationToken),
            PullRequestEvent pr => await PullRequestAsync(delivery, pr, cancellationToken),
            IssuesEvent issues => await IssuesAsync(delivery, issues, cancellationToken),
            PingEvent => WebhookOutcome.Processed("pong"),
            _ => WebhookOutcome.Invalid($"the payload of '{delivery.Event}' parsed as {parsed?.GetType().Name}, not that event"),
        };
    }

    private async Task<WebhookOutcome> PushAsync(WebhookDelivery delivery, PushEvent push, CancellationToken cancellationToken)
    {
        if (push.Repository is not { } repository)
        {
            return WebhookOutcome.Invalid("repository is missing");
        }

        var problem = First(
            RepositoryName("repository.full_name", repository.FullName, nested: false),
            FullRef("ref", push.Ref),
            Sha("before", push.Before),
            Sha("after", push.After),
            Present("commits", push.Commits));
        if (problem is not null)
        {
            return WebhookOutcome.Invalid(problem);
        }

        // The commits as GitHub describes them (the library's types carry GitHub's field names).
        var commits = JsonSerializer.Serialize(push.Commits);
        return await events.PushAsync(delivery, new RepositoryPush(
            Provider, repository.FullName, push.Ref, push.Before, push.After, push.Deleted, push.Commits.Count, commits), cancellationToken);
    }

    private async Task<WebhookOutcome> PullRequestAsync(WebhookDelivery delivery, PullRequestEvent pr, CancellationToken cancellationToken)
    {
        if (pr.Action is not { } action || !BuildingPullRequestActions.Contains(action))
        {
            return WebhookOutcome.Ignored($"pull_request action '{pr.Action}' starts nothing");
        }

        if (pr.Repository is not { } repository || pr.PullRequest?.Head is not { } head)
        {
            return WebhookOutcome.Invalid(pr.Repository is null ? "repository is missing" : pr.PullRequest is null ? "pull_request is missing" : "pull_request.head is missing");
        }

        var problem = First(
            RepositoryName("repository.full_name", repository.FullName, nested: false),
            Number("number", pr.Number),
            BranchName("pull_request.head.ref", head.Ref),
            Sha("pull_request.head.sha", head.Sha));
        return problem is not null
            ? WebhookOutcome.Invalid(problem)
            : await events.ChangeRequestAsync(delivery, new ChangeRequest(
                Provider, repository.FullName, (int)pr.Number, head.Ref, head.Sha, $"PR #{pr.Number}"), cancellationToken);
    }

    private async Task<WebhookOutcome> IssuesAsync(WebhookDelivery delivery, IssuesEvent issues, CancellationToken cancellationToken)
    {
        if (issues.Action is not { } action || !MirroredIssueActions.Contains(action))
        {
            return WebhookOutcome.Ignored($"issues action '{issues.Action}' is not mirrored");
        }

        if (issues.Repository is not { } repository || issues.Issue is not { } issue)
        {
            return WebhookOutcome.Invalid(issues.Repository is null ? "repository is missing" : "issue is missing");
        }

        var problem = First(
            RepositoryName("repository.full_name", repository.FullName, nested: false),
            Number("issue.number", issue.Number),
            Present("issue.title", issue.Title));
        if (problem is not null)
        {
            return WebhookOutcome.Invalid(problem);
        }

        var external = new ExternalIssue(issue.Id.ToString(CultureInfo.InvariantCulture), (int)issue.Number, issue.Title, issue.Body,
            issue.State?.StringValue == "closed", [.. (issue.Labels ?? []).Select(l => l.Name).Where(n => !string.IsNullOrEmpty(n))],
            issue.HtmlUrl, issue.UpdatedAt);
        var linked = (await projects.FindAsync(Provider, repository.FullName, cancellationToken)).VisibleTo(delivery);
        foreach (var project in linked)
        {
            await tasks.ApplyIssueAsync(project.ProjectId, Provider, repository.FullName, external, cancellationToken);
        }

        return linked.Count > 0
            ? WebhookOutcome.Processed($"issue #{issue.Number} {action} mirrored into {linked.Count} project(s)")
            : WebhookOutcome.Ignored($"no project tracks {repository.FullName}");
    }
}
