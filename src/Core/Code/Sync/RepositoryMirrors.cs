using System.Collections.Concurrent;
using DevMentor.Core.Builds.Git;
using DevMentor.Core.Builds.Runs;
using DevMentor.Core.Git;

namespace DevMentor.Core.Code.Sync;

/// <summary>
/// One bare mirror per project under <see cref="CodeSyncOptions.MirrorDirectory"/>, fetched with
/// the clone step's git code (credentials, limits) and read with LibGit2Sharp. Fetches of one
/// mirror are serialised in this process; each instance keeps its own mirrors (its data dir).
/// </summary>
public sealed class RepositoryMirrors(CodeSyncOptions options, GitCheckout git, BuildStepSettings settings, IGitRepositories repositories)
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
