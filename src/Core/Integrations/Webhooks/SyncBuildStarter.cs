using DevMentor.Core.Code.Sync;

namespace DevMentor.Core.Integrations.Webhooks;

/// <summary>The sync's build stage: the push's run, started through the same starter with the same idempotency key (so at most one run).</summary>
public sealed class SyncBuildStarter(IWebhookBuildStarter starter) : ISyncBuildStarter
{
    public Task<Guid> StartAsync(Guid projectId, string commitSha, SyncBuild build, CancellationToken cancellationToken) =>
        starter.StartAsync(new WebhookBuildRequest(projectId, build.Branch, commitSha, build.Trigger, null, build.IdempotencyKey), cancellationToken);
}
