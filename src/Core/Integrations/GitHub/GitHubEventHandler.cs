using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using DevMentor.Core.Integrations.Webhooks;
using DevMentor.Core.Tasks;

namespace DevMentor.Core.Integrations.GitHub;

/// <summary>
/// GitHub deliveries: push → <see cref="RepositoryEvents.PushAsync"/>; pull_request
/// opened/synchronize/reopened → a run for the head sha; issues → mirrored tasks; the rest is ignored.
/// </summary>
public sealed class GitHubEventHandler(RepositoryEvents events, IRepositoryProjects projects, ProjectTaskStore tasks) : IWebhookEventHandler
{
    private static readonly HashSet<string> BuildingPullRequestActions = ["opened", "synchronize", "reopened"];
    private static readonly HashSet<string> MirroredIssueActions = ["opened", "edited", "closed", "reopened"];

    public string Provider => GitHubWebhookIntake.Provider;

    public async Task<WebhookOutcome> HandleAsync(WebhookDelivery delivery, CancellationToken cancellationToken)
    {
        try
        {
            return delivery.Event switch
            {
                "push" => await PushAsync(delivery, Parse(delivery, GitHubJsonContext.Default.GitHubPushEvent), cancellationToken),
                "pull_request" => await PullRequestAsync(delivery, Parse(delivery, GitHubJsonContext.Default.GitHubPullRequestEvent), cancellationToken),
                "issues" => await IssuesAsync(delivery, Parse(delivery, GitHubJsonContext.Default.GitHubIssuesEvent), cancellationToken),
                _ => WebhookOutcome.Ignored($"event '{delivery.Event}' is not handled"),
            };
        }
        catch (JsonException e)
        {
            return WebhookOutcome.Failed($"payload of '{delivery.Event}' is not what GitHub sends: {e.Message}");
        }
    }

    private Task<WebhookOutcome> PushAsync(WebhookDelivery delivery, GitHubPushEvent push, CancellationToken cancellationToken) =>
        events.PushAsync(delivery, new RepositoryPush(
            Provider, push.Repository.FullName, push.Ref, push.Before, push.After, push.Deleted, push.Commits?.Count ?? 0,
            JsonSerializer.Serialize(push.Commits ?? [], GitHubJsonContext.Default.IReadOnlyListGitHubCommit)), cancellationToken);

    private async Task<WebhookOutcome> PullRequestAsync(WebhookDelivery delivery, GitHubPullRequestEvent pr, CancellationToken cancellationToken) =>
        BuildingPullRequestActions.Contains(pr.Action)
            ? await events.ChangeRequestAsync(delivery, new ChangeRequest(
                Provider, pr.Repository.FullName, pr.Number, pr.PullRequest.Head.Ref, pr.PullRequest.Head.Sha, $"PR #{pr.Number}"), cancellationToken)
            : WebhookOutcome.Ignored($"pull_request action '{pr.Action}' starts nothing");

    private async Task<WebhookOutcome> IssuesAsync(WebhookDelivery delivery, GitHubIssuesEvent issues, CancellationToken cancellationToken)
    {
        if (!MirroredIssueActions.Contains(issues.Action))
        {
            return WebhookOutcome.Ignored($"issues action '{issues.Action}' is not mirrored");
        }

        var linked = (await projects.FindAsync(Provider, issues.Repository.FullName, cancellationToken)).VisibleTo(delivery);
        foreach (var project in linked)
        {
            await tasks.UpsertAsync(project.ProjectId, "github", issues.Issue.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), issues.Issue.Number,
                issues.Issue.Title, issues.Issue.Body, issues.Issue.State, issues.Issue.HtmlUrl, cancellationToken);
        }

        return linked.Count > 0
            ? WebhookOutcome.Processed($"issue #{issues.Issue.Number} {issues.Action} mirrored into {linked.Count} project(s)")
            : WebhookOutcome.Ignored($"no project tracks {issues.Repository.FullName}");
    }

    private static T Parse<T>(WebhookDelivery delivery, JsonTypeInfo<T> type) =>
        JsonSerializer.Deserialize(delivery.Payload, type) ?? throw new JsonException("empty payload");
}
