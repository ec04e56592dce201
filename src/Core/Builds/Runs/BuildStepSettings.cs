using DevMentor.Core.Builds.Git;

namespace DevMentor.Core.Builds.Runs;

/// <summary>
/// What the built-in build steps need from the runner's configuration. The credentials reach git
/// only through its askpass helper, never a URL, a log line or a step's environment.
/// </summary>
/// <param name="GitCredentials">For http(s) repositories (Builds:Git:Username / Builds:Git:Token).</param>
public sealed record BuildStepSettings(GitCredentials? GitCredentials, GitCloneLimits CloneLimits)
{
    public static BuildStepSettings Default { get; } = new(null, GitCloneLimits.Default);

    /// <summary>The values step logs must never show.</summary>
    public IReadOnlyList<string> Secrets => GitCredentials is { } credentials ? [credentials.Secret] : [];
}
