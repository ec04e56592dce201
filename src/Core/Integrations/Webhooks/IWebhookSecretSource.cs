namespace DevMentor.Core.Integrations.Webhooks;

/// <summary>A project's own webhook secret (GitHub) or token (GitLab).</summary>
public sealed record ProjectWebhookSecret(Guid ProjectId, string Secret);

/// <summary>
/// Project-specific webhook secrets. The candidate project comes from the hook URL's
/// <c>?project=</c> query, never from the payload, so a signature is checked before any byte of
/// the payload is parsed. The global secret from configuration is always tried as well.
/// </summary>
public interface IWebhookSecretSource
{
    Task<ProjectWebhookSecret?> ForProjectAsync(string provider, Guid projectId, CancellationToken cancellationToken);
}
