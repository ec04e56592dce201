using DevMentor.Core.Integrations.Webhooks;
using DevMentor.Core.Projects;
using DevMentor.Core.Security;

namespace DevMentor.Core.Integrations.Secrets;

/// <summary>A secret as handed out once, when it is set or rotated, with the hook URL to configure it on.</summary>
/// <param name="RemoteHookUpdated">True when the GitHub webhook this service created (createRemote) was given the new secret too.</param>
public sealed record IssuedWebhookSecret(Guid ProjectId, string Provider, string Secret, Uri HookUrl, bool RemoteHookUpdated = false);

/// <summary>Whether a project has its own secret, without the secret.</summary>
public sealed record WebhookSecretStatus(Guid ProjectId, string Provider, bool Configured, Uri HookUrl, DateTimeOffset? CreatedAt, DateTimeOffset? RotatedAt);

/// <summary>
/// Per-project webhook secrets for maintainers: set one (or have one generated) and see whether one
/// is set. The secret is in the answer to the call that sets it and nowhere else afterwards.
/// </summary>
public sealed class ProjectWebhookSecretService(
    ProjectAccess access, ProjectWebhookSecretStore store, WebhookHookUrls urls, Remotes.ProjectRemoteStore remotes, GitHub.GitHubRepositoryClient github)
{
    public const int MinSecretLength = 16;
    public const int MaxSecretLength = 256;

    public async Task<Outcome<IssuedWebhookSecret>> SetAsync(Caller caller, string idOrSlug, string? supplied, CancellationToken cancellationToken)
    {
        if (supplied is not null && SecretProblem(supplied) is { } problem)
        {
            return Outcome<IssuedWebhookSecret>.Invalid(new Dictionary<string, string[]> { ["secret"] = [problem] });
        }

        var result = await access.AuthorizeAsync(caller, idOrSlug, ProjectPermission.Update, cancellationToken);
        if (result.Outcome != AccessOutcome.Allowed)
        {
            return ProjectService.Denied<IssuedWebhookSecret>(result, idOrSlug);
        }

        if (ProviderOf(result.Project!) is not { } provider)
        {
            return NoHostedRepository<IssuedWebhookSecret>();
        }

        var secret = supplied ?? WebhookSecretCipher.NewSecret();
        var hookUrl = urls.For(provider, result.Project!.Id);
        var hookUpdated = false;
        if (provider == "github" && await remotes.GetAsync(result.Project.Id, cancellationToken) is { Status: "created", HookId: { } hookId } remote)
        {
            // GitHub first: were the secret stored first and GitHub then failed, every delivery
            // would be refused. A crash in between is mended by rotating again.
            try
            {
                await github.UpdateHookSecretAsync(remote.FullName, hookId, hookUrl, secret, cancellationToken);
                hookUpdated = true;
            }
            catch (GitHub.GitHubApiException e)
            {
                return Outcome<IssuedWebhookSecret>.Fail(OutcomeKind.UpstreamFailed, $"The secret was not changed: {e.Message}");
            }
        }

        await store.SetAsync(result.Project.Id, provider, secret, null, null, cancellationToken);
        return Outcome<IssuedWebhookSecret>.Ok(new IssuedWebhookSecret(result.Project.Id, provider, secret, hookUrl, hookUpdated));
    }

    public async Task<Outcome<WebhookSecretStatus>> GetStatusAsync(Caller caller, string idOrSlug, CancellationToken cancellationToken)
    {
        var result = await access.AuthorizeAsync(caller, idOrSlug, ProjectPermission.Read, cancellationToken);
        if (result.Outcome != AccessOutcome.Allowed)
        {
            return ProjectService.Denied<WebhookSecretStatus>(result, idOrSlug);
        }

        if (ProviderOf(result.Project!) is not { } provider)
        {
            return NoHostedRepository<WebhookSecretStatus>();
        }

        var info = await store.GetInfoAsync(result.Project!.Id, cancellationToken);
        var configured = info is not null && info.Provider == provider;
        return Outcome<WebhookSecretStatus>.Ok(new WebhookSecretStatus(result.Project.Id, provider, configured, urls.For(provider, result.Project.Id),
            configured ? info!.CreatedAt : null, configured ? info!.RotatedAt : null));
    }

    public static string? SecretProblem(string secret) =>
        secret.Length is < MinSecretLength or > MaxSecretLength || secret.Any(char.IsControl) || !ProjectInput.IsValidUnicode(secret)
            ? $"must be {MinSecretLength} to {MaxSecretLength} characters without control characters (leave it out to have one generated)."
            : null;

    private static string? ProviderOf(Project project) => project.Repository?.Provider is "github" or "gitlab" ? project.Repository.Provider : null;

    private static Outcome<T> NoHostedRepository<T>() => Outcome<T>.Fail(OutcomeKind.Unprocessable,
        "The project has no GitHub or GitLab repository (repository.provider), so it receives no webhooks.");
}
