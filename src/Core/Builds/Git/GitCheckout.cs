using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;

namespace DevMentor.Core.Builds.Git;

/// <summary>
/// The clone step: a shallow checkout of one commit. First the exact commit at depth 1 (servers
/// speaking protocol v2, GitHub and GitLab allow it), otherwise the branch at depth 1, deepened in
/// bounded steps until the commit is there. Failures say whether trying again could help
/// (<see cref="GitCheckoutException.InfrastructureFailure"/>).
/// <para>
/// The talking to the remote (<c>ls-remote</c>, <c>fetch</c>) keeps the <c>git</c> command line,
/// because LibGit2Sharp cannot do it here: its local transport ignores the depth of a file://
/// fetch and copies the whole history (checked with 0.32.0), credentials must reach git through
/// an askpass helper's environment rather than sit in this process's memory for a native
/// callback, and ssh remotes need the system's ssh with its agent and configuration, which
/// libgit2's own ssh does not use. Everything local (creating the repository and its remote,
/// ref names, resolving commits, writing the working tree) is LibGit2Sharp, in process
/// (GitCheckout.Local.cs).
/// </para>
/// </summary>
public sealed partial class GitCheckout(ILogger<GitCheckout> logger, string git = "git")
{
    private static readonly int[] DeepenSteps = [10, 50, 200, 1000, 5000, 20000];

    [GeneratedRegex("^[0-9a-f]{7,64}$")]
    private static partial Regex HexSha();

    /// <param name="commitSha">Full or abbreviated (7+ hex) sha; null means the branch tip (or the default branch's).</param>
    /// <param name="branch">A branch name or a full ref (refs/tags/v1); null means the remote's default branch.</param>
    /// <param name="workspaceDir">Created if missing; must be empty.</param>
    /// <param name="log">Receives the step log lines: commands (with the display URL) and git's messages, secrets redacted.</param>
    /// <exception cref="GitCheckoutException">The checkout failed; see <see cref="GitCheckoutException.Failure"/>.</exception>
    public async Task<GitCheckoutResult> CloneAsync(
        string repoUrl, string? commitSha, string? branch, string workspaceDir, GitCredentials? credentials,
        GitCloneLimits limits, Action<string> log, CancellationToken cancellationToken)
    {
        if (limits.Timeout <= TimeSpan.Zero || limits.MaxBytes <= 0 || limits.MaxDeepenCommits < 1)
        {
            throw new GitCheckoutException(GitCheckoutFailure.InvalidRequest, "clone limits must be positive (timeout, size, deepen depth).");
        }

        var remote = GitRemote.Parse(repoUrl);
        credentials ??= remote.EmbeddedCredentials;
        var sha = commitSha?.Trim().ToLowerInvariant();
        if (sha is not null && !HexSha().IsMatch(sha))
        {
            throw new GitCheckoutException(GitCheckoutFailure.InvalidRequest, "the commit must be 7 to 64 hexadecimal characters.");
        }

        PrepareWorkspace(workspaceDir);
        using var session = new Session(git, Path.GetFullPath(workspaceDir), credentials, limits, log, cancellationToken);
        LogCloning(logger, remote.DisplayUrl, sha ?? "(tip)", branch ?? "(default)");
        log($"[devmentor] clone {remote.DisplayUrl} {(branch is null ? "" : $"branch {branch} ")}{(sha is null ? "at its tip" : $"commit {sha}")}");
        try
        {
            var result = await CheckoutAsync(session, remote, sha, branch);
            log($"[devmentor] checked out {result.CommitSha} ({result.Strategy}, depth {result.Depth}, {result.SizeBytes} bytes)");
            return result;
        }
        catch (GitCheckoutException e)
        {
            LogFailed(logger, remote.DisplayUrl, e.Failure, e.InfrastructureFailure);
            log($"[devmentor] clone failed ({e.Failure}{(e.InfrastructureFailure ? ", may be retried" : "")}): {e.Message}");
            throw;
        }
    }

    private static void PrepareWorkspace(string workspaceDir)
    {
        if (File.Exists(workspaceDir) || (Directory.Exists(workspaceDir) && Directory.EnumerateFileSystemEntries(workspaceDir).Any()))
        {
            throw new GitCheckoutException(GitCheckoutFailure.InvalidRequest, "the workspace directory is not empty.");
        }

        Directory.CreateDirectory(workspaceDir);
    }

    private static async Task<GitCheckoutResult> CheckoutAsync(Session session, GitRemote remote, string? sha, string? branch)
    {
        string? branchRef = null;
        if (branch is not null)
        {
            branchRef = branch.StartsWith("refs/", StringComparison.Ordinal) ? branch : "refs/heads/" + branch;
            if (branch.StartsWith('-') || !IsValidRefName(branchRef))
            {
                throw new GitCheckoutException(GitCheckoutFailure.InvalidRequest, $"'{branch}' is not a valid branch or ref name.");
            }
        }

        InitRepository(session, remote);

        // One cheap round trip first: it tells "cannot reach / not allowed / no such repository"
        // apart from "no such commit", and resolves the branch and the default branch.
        var refs = await ListRemoteAsync(session, branchRef);
        branchRef ??= refs.DefaultBranch;
        var tip = branchRef is not null ? refs.Tips.GetValueOrDefault(branchRef) : refs.Tips.GetValueOrDefault("HEAD");
        if (branch is not null && tip is null && (sha is null || sha.Length < 40))
        {
            throw new GitCheckoutException(GitCheckoutFailure.BranchNotFound, $"the remote has no branch or ref '{branch}'.");
        }

        var displayBranch = branch ?? branchRef?.Replace("refs/heads/", "", StringComparison.Ordinal);
        var source = branchRef is not null && (tip is not null || branch is not null) ? branchRef : "HEAD";
        if (sha is null || (tip is not null && tip.StartsWith(sha, StringComparison.Ordinal)))
        {
            await FetchAsync(session, source, 1);
            var head = Resolve(session, "FETCH_HEAD") ?? throw new GitCheckoutException(GitCheckoutFailure.BranchNotFound, "the remote branch has no commits.");
            return Finish(session, remote, head, displayBranch, GitFetchStrategy.Branch, 1);
        }

        if (sha.Length >= 40)
        {
            var byCommit = await session.RunAsync(["fetch", "--depth", "1", "--no-tags", "--quiet", "origin", sha]);
            if (byCommit.ExitCode == 0)
            {
                return Finish(session, remote, sha, displayBranch, GitFetchStrategy.Commit, 1);
            }

            // Refusals differ by server and protocol ("not our ref", "unadvertised object"); any
            // failure but credentials falls back to the branch, whose fetch reports a real network error.
            if (Classify(byCommit.Error) == GitCheckoutFailure.AuthenticationFailed)
            {
                throw Failed(GitCheckoutFailure.AuthenticationFailed, byCommit.Error);
            }

            session.Log("[devmentor] the server would not send the commit by sha; fetching the branch and deepening");
            if (branch is not null && tip is null)
            {
                throw new GitCheckoutException(GitCheckoutFailure.BranchNotFound, $"the remote has no branch or ref '{branch}', and commit {sha} could not be fetched by itself.");
            }
        }

        var depth = 1;
        await FetchAsync(session, source, depth);
        foreach (var next in DeepenSteps.Where(d => d <= session.Limits.MaxDeepenCommits).Prepend(1))
        {
            if (next > depth)
            {
                await FetchAsync(session, source, next);
                depth = next;
            }

            if (Resolve(session, sha) is { } found)
            {
                return Finish(session, remote, found, displayBranch, depth == 1 ? GitFetchStrategy.Branch : GitFetchStrategy.BranchDeepened, depth);
            }

            if (!IsShallow(session))
            {
                break; // the whole history is here: deeper fetches cannot help
            }
        }

        throw new GitCheckoutException(GitCheckoutFailure.CommitNotFound,
            $"commit {sha} does not exist on the remote or is not reachable from {displayBranch ?? "the default branch"} within {Math.Min(depth, session.Limits.MaxDeepenCommits)} commits.");
    }

    private sealed record RemoteRefs(string? DefaultBranch, Dictionary<string, string> Tips);

    private static async Task<RemoteRefs> ListRemoteAsync(Session session, string? branchRef)
    {
        var args = new List<string> { "ls-remote", "--symref", "origin", "HEAD" };
        if (branchRef is not null)
        {
            args.Add(branchRef);
        }

        var listed = await session.RunAsync(args, quiet: true);
        if (listed.ExitCode != 0)
        {
            throw Failed(Classify(listed.Error), listed.Error);
        }

        string? defaultBranch = null;
        var tips = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in listed.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = line.Split('\t');
            if (parts.Length != 2)
            {
                continue;
            }

            if (parts[0].StartsWith("ref: ", StringComparison.Ordinal) && parts[1] == "HEAD")
            {
                defaultBranch = parts[0][5..];
            }
            else
            {
                tips[parts[1]] = parts[0];
            }
        }

        return new RemoteRefs(defaultBranch, tips);
    }

    private static async Task FetchAsync(Session session, string source, int depth)
    {
        var refspec = source == "HEAD" ? "HEAD" : $"+{source}:refs/remotes/origin/{source.Replace("refs/heads/", "", StringComparison.Ordinal)}";
        var fetched = await session.RunAsync(["fetch", "--depth", depth.ToString(System.Globalization.CultureInfo.InvariantCulture), "--no-tags", "--quiet", "origin", refspec]);
        if (fetched.ExitCode != 0)
        {
            var failure = Classify(fetched.Error);
            if (fetched.Error.Contains("couldn't find remote ref", StringComparison.OrdinalIgnoreCase))
            {
                failure = GitCheckoutFailure.BranchNotFound;
            }

            throw Failed(failure, fetched.Error);
        }
    }

    private static GitCheckoutResult Finish(Session session, GitRemote remote, string sha, string? branch, GitFetchStrategy strategy, int depth)
    {
        var head = CheckoutCommit(session, sha);
        var size = session.EnsureWithinSize();
        return new GitCheckoutResult(head, branch, strategy, depth, size, remote.DisplayUrl);
    }

    /// <summary>git's messages under LANG=C: what the user must fix versus what may pass on a retry.</summary>
    internal static GitCheckoutFailure Classify(string error)
    {
        string[] auth = ["Authentication failed", "could not read Username", "could not read Password", "terminal prompts disabled", "Permission denied (publickey",
            "HTTP Basic: Access denied", "returned error: 401", "returned error: 403", "Invalid username or password"];
        string[] notFound = ["does not appear to be a git repository", "Repository not found", "' not found", "returned error: 404"];
        if (auth.Any(a => error.Contains(a, StringComparison.OrdinalIgnoreCase)))
        {
            return GitCheckoutFailure.AuthenticationFailed;
        }

        return notFound.Any(n => error.Contains(n, StringComparison.OrdinalIgnoreCase)) ? GitCheckoutFailure.RepositoryNotFound : GitCheckoutFailure.Network;
    }

    private static GitCheckoutException Failed(GitCheckoutFailure failure, string error)
    {
        // The cause is often before the final "fatal:" line (ssh's "Connection refused", a remote's message).
        var lines = error.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(l => !l.StartsWith("Please make sure you have", StringComparison.Ordinal) && l != "and the repository exists.")
            .ToArray();
        var detail = lines.Length == 0 ? "git failed" : string.Join("; ", lines.TakeLast(3));
        var prefix = failure switch
        {
            GitCheckoutFailure.AuthenticationFailed => "the remote refused the credentials (or needs some)",
            GitCheckoutFailure.RepositoryNotFound => "the repository does not exist or is not visible with these credentials",
            GitCheckoutFailure.BranchNotFound => "the branch does not exist on the remote",
            _ => "could not reach the remote",
        };
        return new GitCheckoutException(failure, $"{prefix}: {detail}");
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Cloning {Url} commit {Commit} branch {Branch}")]
    private static partial void LogCloning(ILogger logger, string url, string commit, string branch);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Clone of {Url} failed: {Failure} (infrastructure: {Infrastructure})")]
    private static partial void LogFailed(ILogger logger, string url, GitCheckoutFailure failure, bool infrastructure);
}
