using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using DevMentor.Core.Integrations.Webhooks;

namespace DevMentor.Core.Integrations.GitLab;

/// <summary>GitLab deliveries: Push Hook and Tag Push Hook → pushes; Merge Request Hook open/update/reopen → a run for the last commit.</summary>
public sealed class GitLabEventHandler(RepositoryEvents events) : IWebhookEventHandler
{
    private static readonly HashSet<string> BuildingMergeRequestActions = ["open", "update", "reopen"];

    public string Provider => GitLabWebhookIntake.Provider;

    public async Task<WebhookOutcome> HandleAsync(WebhookDelivery delivery, CancellationToken cancellationToken)
    {
        try
        {
            return delivery.Event switch
            {
                "Push Hook" or "Tag Push Hook" => await PushAsync(delivery, Parse(delivery, GitLabJsonContext.Default.GitLabPushEvent), cancellationToken),
                "Merge Request Hook" => await MergeRequestAsync(delivery, Parse(delivery, GitLabJsonContext.Default.GitLabMergeRequestEvent), cancellationToken),
                _ => WebhookOutcome.Ignored($"event '{delivery.Event}' is not handled"),
            };
        }
        catch (JsonException e)
        {
            return WebhookOutcome.Failed($"payload of '{delivery.Event}' is not what GitLab sends: {e.Message}");
        }
    }

    private Task<WebhookOutcome> PushAsync(WebhookDelivery delivery, GitLabPushEvent push, CancellationToken cancellationToken) =>
        events.PushAsync(delivery, new RepositoryPush(
            Provider, push.Project.PathWithNamespace, push.Ref, push.Before, push.After, Deleted: false,
            push.TotalCommitsCount ?? 0, push.Commits?.GetRawText() ?? "[]"), cancellationToken);

    private async Task<WebhookOutcome> MergeRequestAsync(WebhookDelivery delivery, GitLabMergeRequestEvent mr, CancellationToken cancellationToken)
    {
        var attributes = mr.ObjectAttributes;
        return attributes.Action is { } action && BuildingMergeRequestActions.Contains(action)
            ? await events.ChangeRequestAsync(delivery, new ChangeRequest(
                Provider, mr.Project.PathWithNamespace, attributes.Iid, attributes.SourceBranch, attributes.LastCommit.Id, $"MR !{attributes.Iid}"), cancellationToken)
            : WebhookOutcome.Ignored($"merge request action '{attributes.Action}' starts nothing");
    }

    private static T Parse<T>(WebhookDelivery delivery, JsonTypeInfo<T> type) =>
        JsonSerializer.Deserialize(delivery.Payload, type) ?? throw new JsonException("empty payload");
}
