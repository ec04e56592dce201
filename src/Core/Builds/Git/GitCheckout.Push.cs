using Microsoft.Extensions.Logging;

namespace DevMentor.Core.Builds.Git;

public sealed partial class GitCheckout
{
    /// <summary>
    /// Pushes a commit that is in <paramref name="mirrorDir"/> to the remote's branch with a lease:
    /// the remote takes it only while its branch is still at <paramref name="expectedSha"/>, so a
    /// change pushed by someone else between our fetch and our push is never overwritten. The
    /// network side is the git program, with the same environment, credentials and limits as the
    /// fetches (class summary).
    /// </summary>
    /// <returns>False when the remote refused because the branch moved (the caller fetches and tries again).</returns>
    /// <exception cref="GitCheckoutException">The push failed for another reason (credentials, network, a hook's refusal).</exception>
    public async Task<bool> PushCommitAsync(
        string repoUrl, string mirrorDir, string commitSha, string branchRef, string expectedSha, GitCredentials? credentials, GitCloneLimits limits,
        Action<string> log, CancellationToken cancellationToken)
    {
        if (!HexSha().IsMatch(commitSha) || !HexSha().IsMatch(expectedSha) || !branchRef.StartsWith("refs/heads/", StringComparison.Ordinal))
        {
            throw new GitCheckoutException(GitCheckoutFailure.InvalidRequest, "a push needs full commit shas and a refs/heads/ branch.");
        }

        var remote = GitRemote.Parse(repoUrl);
        credentials ??= remote.EmbeddedCredentials;
        using var session = new Session(git, Path.GetFullPath(mirrorDir), credentials, limits, log, cancellationToken);
        LogPush(logger, commitSha, remote.DisplayUrl, branchRef);
        var pushed = await session.RunAsync(["push", "--porcelain", $"--force-with-lease={branchRef}:{expectedSha}", "origin", $"{commitSha}:{branchRef}"]);
        if (pushed.ExitCode == 0)
        {
            return true;
        }

        // --porcelain reports each ref on stdout: "!\t<src>:<dst>\t[rejected] (stale info)" or "(fetch first)",
        // or "[remote rejected] (…)" when the branch moved while the remote was taking the push.
        var report = pushed.Output + "\n" + pushed.Error;
        if (report.Contains("stale info", StringComparison.Ordinal) || report.Contains("fetch first", StringComparison.Ordinal) ||
            report.Contains("non-fast-forward", StringComparison.Ordinal) || report.Contains("failed to update ref", StringComparison.Ordinal) ||
            report.Contains("cannot lock ref", StringComparison.Ordinal))
        {
            return false;
        }

        var rejected = report.Split('\n').FirstOrDefault(l => l.StartsWith('!'))?.Trim();
        throw rejected is not null
            ? new GitCheckoutException(GitCheckoutFailure.Network, $"the remote refused the push: {rejected}")
            : Failed(Classify(pushed.Error), pushed.Error);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Pushing {Commit} to {Url} {Branch}")]
    private static partial void LogPush(ILogger logger, string commit, string url, string branch);
}
