using System.Text.Json;
using DevMentor.Core.Integrations.Webhooks;

namespace DevMentor.Core.HostedGit;

/// <summary>
/// Processes the <c>hosted</c> push deliveries <see cref="HostedGitService"/> records: each is the push
/// a provider's webhook would describe, handed to <see cref="RepositoryEvents.PushAsync"/> (recorded,
/// synced, built when the branch builds, <c>fixes #N</c> applied). The delivery is verified for its
/// project, so it reaches that project only.
/// </summary>
public sealed class HostedPushHandler(RepositoryEvents events) : IWebhookEventHandler
{
    public string Provider => HostedGitService.Provider;

    public async Task<WebhookOutcome> HandleAsync(WebhookDelivery delivery, CancellationToken cancellationToken)
    {
        if (delivery.Event != HostedGitService.PushEvent)
        {
            return WebhookOutcome.Ignored($"event '{delivery.Event}' is not handled");
        }

        HostedPushPayload? push;
        try
        {
            push = JsonSerializer.Deserialize(delivery.Payload, HostedGitJsonContext.Default.HostedPushPayload);
        }
        catch (JsonException e)
        {
            return WebhookOutcome.Invalid($"payload: {e.Message}");
        }

        if (push is null || push.Ref is null || push.Before is null || push.After is null || push.Commits is null || delivery.VerifiedProjectId != push.ProjectId)
        {
            return WebhookOutcome.Invalid("payload is not a hosted push of the delivery's project");
        }

        var commitsJson = JsonSerializer.Serialize(push.Commits, HostedGitJsonContext.Default.IReadOnlyListHostedCommit);
        return await events.PushAsync(delivery, new RepositoryPush(
            Provider, push.ProjectId.ToString("D"), push.Ref, push.Before, push.After,
            Deleted: push.After == HostedRepositories.ZeroSha, push.Commits.Count, commitsJson), cancellationToken);
    }
}
