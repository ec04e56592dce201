using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using System.Globalization;
using DevMentor.Core.Integrations.Webhooks;
using DevMentor.Core.Tasks;
using static DevMentor.Core.Integrations.Webhooks.PayloadRules;

namespace DevMentor.Core.Integrations.GitLab;

/// <summary>
/// GitLab deliveries: Push Hook and Tag Push Hook → pushes; Merge Request Hook open/update/reopen →
/// a run for the last commit; Issue Hook → tasks (two-way sync). A payload that is not GitLab's, or carries a value nothing can be
/// done with, ends <c>invalid</c> with the reason, before any query or run.
/// </summary>
public sealed class GitLabEventHandler(RepositoryEvents events, IRepositoryProjects projects, TaskSyncService tasks) : IWebhookEventHandler
{
    private static readonly HashSet<string> BuildingMergeRequestActions = ["open", "update", "reopen"];

    public string Provider => GitLabWebhookIntake.Provider;

    public async Task<WebhookOutcome> HandleAsync(WebhookDelivery delivery, CancellationToken cancellationToken)
    {
        switch (delivery.Event)
        {
            case "Push Hook" or "Tag Push Hook":
                var (push, pushProblem) = Parse(delivery, GitLabJsonContext.Default.GitLabPushEvent);
                return push is null ? WebhookOutcome.Invalid(pushProblem!) : await PushAsync(delivery, push, cancellationToken);
            case "Merge Request Hook":
                var (mr, mrProblem) = Parse(delivery, GitLabJsonContext.Default.GitLabMergeRequestEvent);
                return mr is null ? WebhookOutcome.Invalid(mrProblem!) : await MergeRequestAsync(delivery, mr, cancellationToken);
            case "Issue Hook":
                var (issue, issueProblem) = Parse(delivery, GitLabJsonContext.Default.GitLabIssueEvent);
                return issue is null ? WebhookOutcome.Invalid(issueProblem!) : await IssueAsync(delivery, issue, cancellationToken);
            default:
                return WebhookOutcome.Ignored($"event '{delivery.Event}' is not handled");
        }
    }

    private async Task<WebhookOutcome> PushAsync(WebhookDelivery delivery, GitLabPushEvent push, CancellationToken cancellationToken)
    {
        if (push.Project is not { } project)
        {
            return WebhookOutcome.Invalid("project is missing");
        }

        var problem = First(
            RepositoryName("project.path_with_namespace", project.PathWithNamespace, nested: true),
            FullRef("ref", push.Ref),
            Sha("before", push.Before),
            Sha("after", push.After),
            push.Commits is { ValueKind: not (JsonValueKind.Array or JsonValueKind.Null) } ? "commits is not an array" : null,
            push.TotalCommitsCount is < 0 ? "total_commits_count is negative" : null);
        return problem is not null
            ? WebhookOutcome.Invalid(problem)
            : await events.PushAsync(delivery, new RepositoryPush(
                Provider, project.PathWithNamespace!, push.Ref!, push.Before!, push.After!, Deleted: false,
                push.TotalCommitsCount ?? 0, push.Commits is { ValueKind: JsonValueKind.Array } commits ? commits.GetRawText() : "[]"), cancellationToken);
    }

    private async Task<WebhookOutcome> MergeRequestAsync(WebhookDelivery delivery, GitLabMergeRequestEvent mr, CancellationToken cancellationToken)
    {
        if (mr.ObjectAttributes is not { } attributes)
        {
            return WebhookOutcome.Invalid("object_attributes is missing");
        }

        if (attributes.Action is not { } action || !BuildingMergeRequestActions.Contains(action))
        {
            return WebhookOutcome.Ignored($"merge request action '{attributes.Action}' starts nothing");
        }

        if (mr.Project is not { } project || attributes.LastCommit is not { } lastCommit)
        {
            return WebhookOutcome.Invalid(mr.Project is null ? "project is missing" : "object_attributes.last_commit is missing");
        }

        var problem = First(
            RepositoryName("project.path_with_namespace", project.PathWithNamespace, nested: true),
            Number("object_attributes.iid", attributes.Iid),
            BranchName("object_attributes.source_branch", attributes.SourceBranch),
            Sha("object_attributes.last_commit.id", lastCommit.Id));
        return problem is not null
            ? WebhookOutcome.Invalid(problem)
            : await events.ChangeRequestAsync(delivery, new ChangeRequest(
                Provider, project.PathWithNamespace!, (int)attributes.Iid, attributes.SourceBranch!, lastCommit.Id!, $"MR !{attributes.Iid}"), cancellationToken);
    }

    private async Task<WebhookOutcome> IssueAsync(WebhookDelivery delivery, GitLabIssueEvent hook, CancellationToken cancellationToken)
    {
        if (hook.ObjectAttributes is not { } issue || hook.Project is not { } project)
        {
            return WebhookOutcome.Invalid(hook.Project is null ? "project is missing" : "object_attributes is missing");
        }

        var updatedAt = ParseTime(issue.UpdatedAt);
        var problem = First(
            RepositoryName("project.path_with_namespace", project.PathWithNamespace, nested: true),
            issue.Id is null or < 1 ? "object_attributes.id is missing" : null,
            issue.Iid is null or < 1 or > int.MaxValue ? "object_attributes.iid is missing or out of range" : null,
            string.IsNullOrEmpty(issue.Title) ? "object_attributes.title is missing" : null,
            updatedAt is null ? "object_attributes.updated_at is missing or not a time" : null);
        if (problem is not null)
        {
            return WebhookOutcome.Invalid(problem);
        }

        var external = new ExternalIssue(issue.Id!.Value.ToString(CultureInfo.InvariantCulture), (int)issue.Iid!.Value, issue.Title!, issue.Description,
            issue.State == "closed", [.. (hook.Labels ?? []).Select(l => l.Title).OfType<string>().Where(t => t.Length > 0)], issue.Url, updatedAt!.Value);
        var linked = (await projects.FindAsync(Provider, project.PathWithNamespace!, cancellationToken)).VisibleTo(delivery);
        foreach (var tracked in linked)
        {
            await tasks.ApplyIssueAsync(tracked.ProjectId, Provider, project.PathWithNamespace!, external, cancellationToken);
        }

        return linked.Count > 0
            ? WebhookOutcome.Processed($"issue #{issue.Iid} {issue.Action} synced into {linked.Count} project(s)")
            : WebhookOutcome.Ignored($"no project tracks {project.PathWithNamespace}");
    }

    /// <summary>GitLab sends ISO 8601 ("2026-01-02T03:04:05Z") or, in older versions, "2026-01-02 03:04:05 UTC".</summary>
    internal static DateTimeOffset? ParseTime(string? text) =>
        text is null ? null
        : DateTimeOffset.TryParse(text.Replace(" UTC", "Z", StringComparison.Ordinal), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time) ? time
        : null;

    private static (T? Value, string? Problem) Parse<T>(WebhookDelivery delivery, JsonTypeInfo<T> type) where T : class
    {
        try
        {
            return JsonSerializer.Deserialize(delivery.Payload, type) is { } parsed
                ? (parsed, null)
                : (null, "the payload is empty (JSON null)");
        }
        catch (JsonException e)
        {
            return (null, $"the payload is not the JSON object GitLab sends for '{delivery.Event}': {e.Message}");
        }
    }
}
