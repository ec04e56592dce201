using System.Text.Json;
using DevMentor.Core.Integrations.Webhooks;
using DevMentor.Core.Tasks;

namespace DevMentor.Core.Integrations.GitHub;

/// <summary>
/// Turns a stored GitHub delivery into effects: push → commits recorded and one run per project
/// that builds the branch; pull_request opened/synchronize/reopened → a run for the head sha;
/// issues → mirrored tasks. Runs are started with an idempotency key derived from the delivery,
/// so re-processing a delivery never starts a second run.
/// </summary>
public sealed class GitHubEventHandler(
    IRepositoryProjects projects,
    IWebhookBuildStarter buildStarter,
    RepositoryPushStore pushes,
    ProjectTaskStore tasks) : IWebhookEventHandler
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
                "issues" => await IssuesAsync(Parse(delivery, GitHubJsonContext.Default.GitHubIssuesEvent), cancellationToken),
                _ => WebhookOutcome.Ignored($"event '{delivery.Event}' is not handled"),
            };
        }
        catch (JsonException e)
        {
            return WebhookOutcome.Failed($"payload of '{delivery.Event}' is not what GitHub sends: {e.Message}");
        }
    }

    private async Task<WebhookOutcome> PushAsync(WebhookDelivery delivery, GitHubPushEvent push, CancellationToken cancellationToken)
    {
        var linked = await projects.FindAsync(Provider, push.Repository.FullName, cancellationToken);
        if (linked.Count == 0)
        {
            return WebhookOutcome.Ignored($"no project tracks {push.Repository.FullName}");
        }

        if (push.Deleted || IsZeroSha(push.After))
        {
            return WebhookOutcome.Ignored($"{push.Ref} was deleted");
        }

        var isTag = push.Ref.StartsWith("refs/tags/", StringComparison.Ordinal);
        var name = isTag ? push.Ref["refs/tags/".Length..] : push.Ref.StartsWith("refs/heads/", StringComparison.Ordinal) ? push.Ref["refs/heads/".Length..] : push.Ref;
        var commitsJson = JsonSerializer.Serialize(push.Commits ?? [], GitHubJsonContext.Default.IReadOnlyListGitHubCommit);
        var started = new List<string>();
        foreach (var project in linked)
        {
            await pushes.RecordAsync(delivery.Id, project.ProjectId, push.Ref, push.Before, push.After, commitsJson, cancellationToken);
            var builds = isTag ? project.BuildTags : BuildsBranch(project, name);
            if (builds)
            {
                var runId = await buildStarter.StartAsync(
                    new WebhookBuildRequest(project.ProjectId, name, push.After, isTag ? "tag" : "push", null, $"github:{delivery.DeliveryId}:{project.ProjectId}"),
                    cancellationToken);
                started.Add($"{project.ProjectId}:{runId}");
            }
        }

        return started.Count > 0
            ? WebhookOutcome.Processed($"push to {push.Ref} ({push.Commits?.Count ?? 0} commits) started runs {string.Join(", ", started)}")
            : WebhookOutcome.Ignored($"push to {push.Ref} recorded; no project builds {(isTag ? "tags" : "that branch")}");
    }

    private async Task<WebhookOutcome> PullRequestAsync(WebhookDelivery delivery, GitHubPullRequestEvent pr, CancellationToken cancellationToken)
    {
        if (!BuildingPullRequestActions.Contains(pr.Action))
        {
            return WebhookOutcome.Ignored($"pull_request action '{pr.Action}' starts nothing");
        }

        var linked = await projects.FindAsync(Provider, pr.Repository.FullName, cancellationToken);
        if (linked.Count == 0)
        {
            return WebhookOutcome.Ignored($"no project tracks {pr.Repository.FullName}");
        }

        var started = new List<string>();
        foreach (var project in linked)
        {
            var runId = await buildStarter.StartAsync(
                new WebhookBuildRequest(project.ProjectId, pr.PullRequest.Head.Ref, pr.PullRequest.Head.Sha, "pull_request", $"PR #{pr.Number}", $"github:{delivery.DeliveryId}:{project.ProjectId}"),
                cancellationToken);
            started.Add($"{project.ProjectId}:{runId}");
        }

        return WebhookOutcome.Processed($"pull request #{pr.Number} {pr.Action} started runs {string.Join(", ", started)}");
    }

    private async Task<WebhookOutcome> IssuesAsync(GitHubIssuesEvent issues, CancellationToken cancellationToken)
    {
        if (!MirroredIssueActions.Contains(issues.Action))
        {
            return WebhookOutcome.Ignored($"issues action '{issues.Action}' is not mirrored");
        }

        var linked = await projects.FindAsync(Provider, issues.Repository.FullName, cancellationToken);
        foreach (var project in linked)
        {
            await tasks.UpsertAsync(project.ProjectId, "github", issues.Issue.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), issues.Issue.Number,
                issues.Issue.Title, issues.Issue.Body, issues.Issue.State, issues.Issue.HtmlUrl, cancellationToken);
        }

        return linked.Count > 0
            ? WebhookOutcome.Processed($"issue #{issues.Issue.Number} {issues.Action} mirrored into {linked.Count} project(s)")
            : WebhookOutcome.Ignored($"no project tracks {issues.Repository.FullName}");
    }

    private static bool BuildsBranch(LinkedProject project, string branch) =>
        project.BuildBranches.Count == 0 ? branch == project.DefaultBranch : project.BuildBranches.Contains(branch);

    private static bool IsZeroSha(string sha) => sha.Length > 0 && sha.All(c => c == '0');

    private static T Parse<T>(WebhookDelivery delivery, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type) =>
        JsonSerializer.Deserialize(delivery.Payload, type) ?? throw new JsonException("empty payload");
}
