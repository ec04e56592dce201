using Octokit;

namespace DevMentor.Core.Integrations.GitHub;

/// <summary>
/// Creates repositories and their webhooks through Octokit (<see cref="GitHubApi"/>: the same
/// client, base URL and credentials as commit statuses). Where a repository goes: with a token,
/// under the token's own user when the owner is that user (POST /user/repos), otherwise under the
/// owner as an organisation (POST /orgs/{owner}/repos, which needs the token to be allowed there);
/// as a GitHub App always the organisation, since installation tokens act for no user.
/// </summary>
public sealed class GitHubRepositoryClient(GitHubApi github, GitHubOptions options)
{
    public static readonly IReadOnlyList<string> HookEvents = ["push", "pull_request", "issues"];

    public bool HasCredentials => github.HasCredentials;

    /// <param name="autoInit">GitHub makes a first commit (a README): its Git data API refuses to write to an empty repository.</param>
    /// <returns>The repository's html_url.</returns>
    public async Task<string> CreateRepositoryAsync(string owner, string name, string description, bool isPrivate, CancellationToken cancellationToken, bool autoInit = false)
    {
        var repository = new NewRepository(name) { Description = description, Private = isPrivate, HasIssues = true, AutoInit = autoInit };
        var underUser = await IsTokenUserAsync(owner, cancellationToken);
        var created = await GitHubApi.CallAsync(c => underUser ? c.Repository.Create(repository) : c.Repository.Create(owner, repository),
            github.Client, $"creating repository {owner}/{name}", cancellationToken);
        return created.HtmlUrl ?? $"https://github.com/{owner}/{name}";
    }

    /// <returns>The hook's id.</returns>
    public async Task<long> CreateHookAsync(string fullName, Uri url, string secret, CancellationToken cancellationToken)
    {
        var (owner, name) = Split(fullName);
        var hook = new NewRepositoryHook("web", HookConfig(url, secret)) { Events = HookEvents, Active = true };
        var created = await GitHubApi.CallAsync(c => c.Repository.Hooks.Create(owner, name, hook), github.Client, $"creating the webhook of {fullName}", cancellationToken);
        return created.Id;
    }

    /// <summary>Gives an existing hook a new secret (PATCH /repos/{owner}/{repo}/hooks/{id}), keeping its events.</summary>
    public async Task UpdateHookSecretAsync(string fullName, long hookId, Uri url, string secret, CancellationToken cancellationToken)
    {
        var (owner, name) = Split(fullName);
        if (hookId is < 1 or > int.MaxValue)
        {
            // Octokit 14 types hook ids as int; GitHub's are still below that.
            throw new GitHubApiException(null, $"The webhook id {hookId} of {fullName} is out of the range Octokit handles.");
        }

        await GitHubApi.CallAsync(c => c.Repository.Hooks.Edit(owner, name, (int)hookId, new EditRepositoryHook(HookConfig(url, secret))),
            github.Client, $"giving the webhook of {fullName} its new secret", cancellationToken);
    }

    /// <returns>The id of the repository's hook that delivers to <paramref name="url"/>, or null.</returns>
    public async Task<long?> FindHookAsync(string fullName, Uri url, CancellationToken cancellationToken)
    {
        var (owner, name) = Split(fullName);
        var hooks = await GitHubApi.CallAsync(c => c.Repository.Hooks.GetAll(owner, name), github.Client, $"listing the webhooks of {fullName}", cancellationToken);
        var target = url.ToString();
        return hooks.FirstOrDefault(h => h.Config is not null && h.Config.TryGetValue("url", out var u) && u == target)?.Id;
    }

    /// <summary>
    /// The hook's config as GitHub's API documents it. Octokit's NewRepositoryWebHook helper is not
    /// used: it sends insecure_ssl as "False", where GitHub documents "0" or "1".
    /// </summary>
    private static Dictionary<string, string> HookConfig(Uri url, string secret) => new(StringComparer.Ordinal)
    {
        ["url"] = url.ToString(),
        ["content_type"] = "json",
        ["secret"] = secret,
        ["insecure_ssl"] = "0",
    };

    private async Task<bool> IsTokenUserAsync(string owner, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(options.Token))
        {
            return false;
        }

        var user = await GitHubApi.CallAsync(c => c.User.Current(), github.Client, "reading the token's user", cancellationToken);
        return string.Equals(user.Login, owner, StringComparison.OrdinalIgnoreCase);
    }

    private static (string Owner, string Name) Split(string fullName)
    {
        var slash = fullName.IndexOf('/', StringComparison.Ordinal);
        return slash > 0 && slash < fullName.Length - 1
            ? (fullName[..slash], fullName[(slash + 1)..])
            : throw new GitHubApiException(null, $"'{fullName}' is not a GitHub owner/name.");
    }
}
