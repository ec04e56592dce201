using System.Collections.Concurrent;
using DevMentor.Core.Builds.Git;
using DevMentor.Core.Builds.Runs;
using DevMentor.Core.Git;
using DevMentor.Core.Projects;

namespace DevMentor.Core.Code.Sync;

/// <summary>
/// One bare mirror per project under <see cref="CodeSyncOptions.MirrorDirectory"/>, fetched with
/// the clone step's git code (credentials, limits) and read with LibGit2Sharp. Fetches of one
/// mirror are serialised in this process; each instance keeps its own mirrors (its data dir).
/// </summary>
public sealed partial class RepositoryMirrors(CodeSyncOptions options, GitCheckout git, BuildStepSettings settings, IGitRepositories repositories, ProjectReader projects)
{
    private readonly ConcurrentDictionary<Guid, SemaphoreSlim> _locks = new();

    public string PathOf(Guid projectId) => Path.Combine(options.MirrorDirectory, projectId.ToString("N"));

    public bool Exists(Guid projectId) => Directory.Exists(PathOf(projectId));

    public async Task<GitMirrorFetch> FetchAsync(Guid projectId, string cloneUrl, Action<string> log, CancellationToken cancellationToken)
    {
        var gate = _locks.GetOrAdd(projectId, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(cancellationToken);
        try
        {
            Directory.CreateDirectory(options.MirrorDirectory);
            return await git.FetchMirrorAsync(cloneUrl, PathOf(projectId), settings.GitCredentials, settings.CloneLimits, log, cancellationToken);
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>
    /// Makes sure this instance's mirror holds the commit, fetching when it does not: a sync resumed
    /// on another instance (or after the data dir was lost) finds its mirror missing or behind.
    /// </summary>
    /// <returns>False when the commit is not on the remote either.</returns>
    public async Task<bool> EnsureCommitAsync(Guid projectId, string commitSha, CancellationToken cancellationToken)
    {
        using (var reader = Open(projectId))
        {
            if (reader?.FindCommit(commitSha) is not null)
            {
                return true;
            }
        }

        var repository = (await projects.GetAsync(projectId.ToString(), cancellationToken))?.Project.Repository;
        if (repository is null)
        {
            return false;
        }

        await FetchAsync(projectId, repository.CloneUrl, _ => { }, cancellationToken);
        using var fetched = Open(projectId);
        return fetched?.FindCommit(commitSha) is not null;
    }

    /// <summary>Drops a deleted branch or tag from the mirror at once (the next fetch would prune it), so it is not served on demand.</summary>
    public void RemoveRef(Guid projectId, string gitRef)
    {
        if (!LibGit2Sharp.Repository.IsValid(PathOf(projectId)) || !LibGit2Sharp.Reference.IsValidName(gitRef))
        {
            return;
        }

        using var repository = new LibGit2Sharp.Repository(PathOf(projectId));
        if (repository.Refs[gitRef] is not null)
        {
            repository.Refs.Remove(gitRef);
        }
    }

    /// <summary>A reader of the project's mirror; null when the project has never been fetched.</summary>
    public IGitRepositoryReader? Open(Guid projectId)
    {
        try
        {
            return repositories.Open(PathOf(projectId));
        }
        catch (GitRepositoryNotFoundException)
        {
            return null;
        }
    }
}
