using DevMentor.Core.Integrations.GitHub;
using DevMentor.Core.Templates;
using Octokit;

namespace DevMentor.Core.Creation.Hosts;

/// <summary>
/// The creation flow on GitHub, through Octokit (<see cref="GitHubApi"/>: the service's client,
/// base URL and credentials). The repository is created with auto_init because GitHub's Git data
/// API refuses blobs in an empty repository (409 "Git Repository is empty"); the template's commit
/// then has no parent and the branch is moved onto it (a forced ref update), so the history is the
/// template's commit alone. Commits go through the Git data API: a blob per file, a tree, the
/// commit, then the ref created or updated (not forced when there is a parent: a branch that moved
/// meanwhile is refused, 422, and the step can be retried).
/// </summary>
public sealed class GitHubCreationHost(GitHubApi github, GitHubRepositoryClient repositories) : IRemoteRepositoryHost
{
    /// <summary>The message of the commit auto_init makes.</summary>
    public const string AutoInitMessage = "Initial commit";

    public string Provider => GitHubWebhookIntake.Provider;

    public bool HasCredentials => github.HasCredentials;

    public async Task<string> EnsureRepositoryAsync(RemoteTarget target, string branch, CancellationToken cancellationToken)
    {
        try
        {
            var existing = await GitHubApi.CallAsync(c => c.Repository.Get(target.Owner, target.Name), github.Client, $"looking up repository {target.FullName}", cancellationToken);
            return existing.HtmlUrl ?? $"https://github.com/{target.FullName}";
        }
        catch (GitHubApiException e) when (e.StatusCode == 404)
        {
            return await repositories.CreateRepositoryAsync(target.Owner, target.Name, target.Description, target.IsPrivate, cancellationToken, autoInit: true);
        }
    }

    public async Task<RemoteHead?> HeadAsync(RemoteTarget target, string branch, CancellationToken cancellationToken)
    {
        Reference reference;
        try
        {
            reference = await GitHubApi.CallAsync(c => c.Git.Reference.Get(target.Owner, target.Name, $"heads/{branch}"), github.Client,
                $"reading branch {branch} of {target.FullName}", cancellationToken);
        }
        catch (GitHubApiException e) when (e.StatusCode is 404 or 409)
        {
            return null; // no such branch, or (409) an empty repository
        }

        var commit = await GitHubApi.CallAsync(c => c.Git.Commit.Get(target.Owner, target.Name, reference.Object.Sha), github.Client,
            $"reading commit {reference.Object.Sha} of {target.FullName}", cancellationToken);
        return new RemoteHead(commit.Sha, commit.Message, Placeholder: commit.Parents.Count == 0 && commit.Message.TrimEnd() == AutoInitMessage);
    }

    public async Task<string> CommitAsync(RemoteTarget target, string branch, string? parent, IReadOnlyList<RenderedFile> files, string message, CancellationToken cancellationToken)
    {
        var (owner, name) = (target.Owner, target.Name);
        var tree = new NewTree();
        if (parent is not null)
        {
            var parentCommit = await GitHubApi.CallAsync(c => c.Git.Commit.Get(owner, name, parent), github.Client, $"reading commit {parent} of {target.FullName}", cancellationToken);
            tree.BaseTree = parentCommit.Tree.Sha;
        }

        foreach (var file in files)
        {
            var blob = await GitHubApi.CallAsync(c => c.Git.Blob.Create(owner, name, new NewBlob { Content = Convert.ToBase64String(file.Content), Encoding = EncodingType.Base64 }),
                github.Client, $"writing the blob of {file.Path} to {target.FullName}", cancellationToken);
            tree.Tree.Add(new NewTreeItem { Path = file.Path, Mode = "100644", Type = TreeType.Blob, Sha = blob.Sha });
        }

        var treeSha = (await GitHubApi.CallAsync(c => c.Git.Tree.Create(owner, name, tree), github.Client, $"writing the tree to {target.FullName}", cancellationToken)).Sha;
        var commit = await GitHubApi.CallAsync(c => c.Git.Commit.Create(owner, name, parent is null ? new NewCommit(message, treeSha) : new NewCommit(message, treeSha, parent)),
            github.Client, $"writing the commit to {target.FullName}", cancellationToken);

        var exists = await HeadAsync(target, branch, cancellationToken) is not null;
        if (exists)
        {
            await GitHubApi.CallAsync(c => c.Git.Reference.Update(owner, name, $"heads/{branch}", new ReferenceUpdate(commit.Sha, force: parent is null)), github.Client,
                $"moving branch {branch} of {target.FullName} to {commit.Sha}", cancellationToken);
        }
        else
        {
            await GitHubApi.CallAsync(c => c.Git.Reference.Create(owner, name, new NewReference($"refs/heads/{branch}", commit.Sha)), github.Client,
                $"creating branch {branch} of {target.FullName}", cancellationToken);
            // auto_init made the account's default branch: the project's branch becomes the default.
            await GitHubApi.CallAsync(c => c.Repository.Edit(owner, name, new RepositoryUpdate { DefaultBranch = branch }), github.Client,
                $"making {branch} the default branch of {target.FullName}", cancellationToken);
        }

        return commit.Sha;
    }

    public async Task<long> EnsureHookAsync(RemoteTarget target, Uri url, string secret, CancellationToken cancellationToken)
    {
        if (await repositories.FindHookAsync(target.FullName, url, cancellationToken) is { } existing)
        {
            // A hook from an earlier attempt: it gets the project's secret again (GitHub never shows it back to compare).
            await repositories.UpdateHookSecretAsync(target.FullName, existing, url, secret, cancellationToken);
            return existing;
        }

        return await repositories.CreateHookAsync(target.FullName, url, secret, cancellationToken);
    }

    /// <summary>PUT …/branches/{branch}/protection: strict required status checks, no review rule, admins not enforced (a PUT: repeating it is harmless).</summary>
    public async Task<string> ProtectBranchAsync(RemoteTarget target, string branch, IReadOnlyList<string> requiredStatuses, CancellationToken cancellationToken)
    {
        var settings = new BranchProtectionSettingsUpdate(new BranchProtectionRequiredStatusChecksUpdate(true, requiredStatuses), null, false, false);
        await GitHubApi.CallAsync(c => c.Repository.Branch.UpdateBranchProtection(target.Owner, target.Name, branch, settings), github.Client,
            $"protecting branch {branch} of {target.FullName}", cancellationToken);
        return $"{branch} protected, requiring {string.Join(" and ", requiredStatuses)}";
    }
}
