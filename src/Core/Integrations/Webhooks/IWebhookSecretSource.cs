namespace DevMentor.Core.Integrations.Webhooks;

/// <summary>
/// Project-specific webhook secrets, found from request headers only (GitHub's X-GitHub-Hook-ID,
/// GitLab's token itself), so a signature is checked before any byte of the payload is parsed.
/// The global secret from configuration is always tried as well.
/// </summary>
public interface IWebhookSecretSource
{
    Task<IReadOnlyList<string>> SecretsForHookAsync(string provider, string? hookId, CancellationToken cancellationToken);
}

/// <summary>Until projects register their own hooks, only the global secret applies.</summary>
public sealed class NoProjectWebhookSecrets : IWebhookSecretSource
{
    public Task<IReadOnlyList<string>> SecretsForHookAsync(string provider, string? hookId, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<string>>([]);
}
