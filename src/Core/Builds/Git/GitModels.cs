namespace DevMentor.Core.Builds.Git;

/// <summary>
/// Credentials for an http(s) remote: a token (username defaults to <c>x-access-token</c>, which
/// GitHub expects and GitLab ignores) or a username and password. They reach git only through
/// an askpass helper's environment, never a URL or a config file.
/// </summary>
public sealed record GitCredentials(string? Username, string Secret)
{
    public static GitCredentials Token(string token) => new(null, token);

    public string EffectiveUsername => string.IsNullOrEmpty(Username) ? "x-access-token" : Username;

    // Records print their members: keep the secret out of any log line that formats this object.
    public override string ToString() => $"GitCredentials {{ Username = {EffectiveUsername}, Secret = *** }}";
}

/// <param name="Timeout">For the whole checkout; the git process tree is killed when it passes.</param>
/// <param name="MaxBytes">Workspace size (checkout plus .git) above which the clone is stopped.</param>
/// <param name="MaxDeepenCommits">How deep the branch may be fetched while looking for a commit the server would not hand out by sha.</param>
public sealed record GitCloneLimits(TimeSpan Timeout, long MaxBytes, int MaxDeepenCommits)
{
    public static GitCloneLimits Default { get; } = new(TimeSpan.FromMinutes(10), 2L * 1024 * 1024 * 1024, 1000);
}

public enum GitFetchStrategy
{
    /// <summary>The exact commit at depth 1 (the server allowed fetching it by sha).</summary>
    Commit,

    /// <summary>The branch tip at depth 1 (the requested commit was the tip, or none was requested).</summary>
    Branch,

    /// <summary>The branch, deepened until the requested commit was in the fetched history.</summary>
    BranchDeepened,
}

/// <param name="DisplayUrl">The remote as it may be logged: no user information.</param>
/// <param name="Depth">Commits of history fetched (1 for an exact-commit or tip fetch).</param>
public sealed record GitCheckoutResult(string CommitSha, string? Branch, GitFetchStrategy Strategy, int Depth, long SizeBytes, string DisplayUrl);

public enum GitCheckoutFailure
{
    InvalidRequest,
    RepositoryNotFound,
    AuthenticationFailed,
    BranchNotFound,
    CommitNotFound,
    SizeLimitExceeded,
    TimedOut,
    Network,

    /// <summary>The workspace's repository could not be created or written (a disk or permission problem on the runner).</summary>
    Workspace,
}

public sealed class GitCheckoutException(GitCheckoutFailure failure, string message, Exception? inner = null) : Exception(message, inner)
{
    public GitCheckoutFailure Failure { get; } = failure;

    /// <summary>
    /// True when trying again may succeed (network, server, timeout): the engine retries these with
    /// backoff. A missing commit, branch or repository, bad credentials or an oversized repository fail for good.
    /// </summary>
    public bool InfrastructureFailure => Failure is GitCheckoutFailure.Network or GitCheckoutFailure.TimedOut or GitCheckoutFailure.Workspace;
}
