using DevMentor.Core.Git;
using LibGit2Sharp;
using Microsoft.Extensions.Logging;

namespace DevMentor.Core.Builds.Git;

/// <summary>What a mirror fetch did.</summary>
/// <param name="Created">The mirror did not exist and was made by this fetch.</param>
public sealed record GitMirrorFetch(bool Created, long SizeBytes);

public sealed partial class GitCheckout
{
    /// <summary>
    /// Brings a bare mirror of the remote up to date: every branch and tag, force-updated and
    /// pruned, so a force-push replaces the old tip and a deleted branch disappears. The mirror
    /// is created on first use and kept (code sync reads it for every commit instead of cloning
    /// each time). The network side is the git program, for the reasons in the class summary.
    /// </summary>
    /// <exception cref="GitCheckoutException">The fetch failed; see <see cref="GitCheckoutException.Failure"/>.</exception>
    public async Task<GitMirrorFetch> FetchMirrorAsync(
        string repoUrl, string mirrorDir, GitCredentials? credentials, GitCloneLimits limits, Action<string> log, CancellationToken cancellationToken)
    {
        var remote = GitRemote.Parse(repoUrl);
        credentials ??= remote.EmbeddedCredentials;
        var created = false;
        LibGit2Settings.EnsureApplied();
        if (!Repository.IsValid(mirrorDir))
        {
            if (Directory.Exists(mirrorDir))
            {
                Directory.Delete(mirrorDir, recursive: true); // a half-made mirror from an interrupted first fetch
            }

            Repository.Init(mirrorDir, isBare: true);
            created = true;
        }

        using (var repository = new Repository(mirrorDir))
        {
            // The URL may change (the project's repository was edited): the remote follows it.
            if (repository.Network.Remotes["origin"] is null)
            {
                repository.Network.Remotes.Add("origin", remote.Url);
            }
            else
            {
                repository.Network.Remotes.Update("origin", r => r.Url = remote.Url);
            }
        }

        using var session = new Session(git, Path.GetFullPath(mirrorDir), credentials, limits, log, cancellationToken);
        LogMirrorFetch(logger, remote.DisplayUrl, mirrorDir);
        var fetched = await session.RunAsync(["fetch", "--prune", "--no-tags", "--quiet", "origin", "+refs/heads/*:refs/heads/*", "+refs/tags/*:refs/tags/*"]);
        if (fetched.ExitCode != 0)
        {
            throw Failed(Classify(fetched.Error), fetched.Error);
        }

        return new GitMirrorFetch(created, session.EnsureWithinSize());
    }

    [LoggerMessage(Level = Microsoft.Extensions.Logging.LogLevel.Information, Message = "Fetching {Url} into the mirror {Mirror}")]
    private static partial void LogMirrorFetch(ILogger logger, string url, string mirror);
}
