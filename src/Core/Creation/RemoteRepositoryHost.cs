namespace DevMentor.Core.Creation;

/// <summary>A repository on GitHub or GitLab as the creation flow addresses it.</summary>
/// <param name="FullName">owner/name (GitLab: group/subgroup/name).</param>
public sealed record RemoteTarget(string FullName, string Description, bool IsPrivate)
{
    public string Owner => FullName[..FullName.LastIndexOf('/')];

    public string Name => FullName[(FullName.LastIndexOf('/') + 1)..];
}

/// <summary>A branch's head commit.</summary>
/// <param name="Placeholder">The host's own first commit (GitHub's auto_init README), which the template's commit replaces.</param>
public sealed record RemoteHead(string Sha, string Message, bool Placeholder = false);

/// <summary>
/// The creation flow's port to a repository host (GitHub through Octokit, GitLab through its REST
/// API). Every operation is safe to repeat: each looks up what exists before creating (the
/// repository by its name, the hook by its URL; protection is a PUT), so a step re-run after a
/// crash or a retry finishes the work without making a second repository or hook. Failures are
/// <see cref="RemoteHostException"/>s whose message says what was being done and never holds a credential.
/// </summary>
public interface IRemoteRepositoryHost
{
    /// <summary>github or gitlab.</summary>
    string Provider { get; }

    /// <summary>False when the service has no credentials for the host (the create is refused with 422).</summary>
    bool HasCredentials { get; }

    /// <returns>The repository's web URL; it is created (empty, or as the host requires for its Git data API) when absent.</returns>
    Task<string> EnsureRepositoryAsync(RemoteTarget target, string branch, CancellationToken cancellationToken);

    /// <returns>The branch's head, or null when the branch does not exist.</returns>
    Task<RemoteHead?> HeadAsync(RemoteTarget target, string branch, CancellationToken cancellationToken);

    /// <summary>
    /// One commit of <paramref name="files"/> on <paramref name="branch"/>: with <paramref name="parent"/>
    /// null the commit has no parent and holds exactly the files (the template's first commit), else
    /// it changes those files on top of the parent, which must still be the branch's head.
    /// </summary>
    /// <returns>The new commit's sha.</returns>
    Task<string> CommitAsync(RemoteTarget target, string branch, string? parent, IReadOnlyList<Templates.RenderedFile> files, string message, CancellationToken cancellationToken);

    /// <returns>The hook's id; one delivering to <paramref name="url"/> is created when none does (an existing one gets <paramref name="secret"/>).</returns>
    Task<long> EnsureHookAsync(RemoteTarget target, Uri url, string secret, CancellationToken cancellationToken);

    /// <summary>Protects <paramref name="branch"/>, requiring the named commit statuses where the host can.</summary>
    /// <returns>What was set, for the step's detail.</returns>
    Task<string> ProtectBranchAsync(RemoteTarget target, string branch, IReadOnlyList<string> requiredStatuses, CancellationToken cancellationToken);
}

/// <summary>A repository host's call failed. <see cref="StatusCode"/> is null when the host was not reached; the message never holds a secret.</summary>
public sealed class RemoteHostException(int? statusCode, string message) : Exception(message)
{
    public int? StatusCode { get; } = statusCode;
}
