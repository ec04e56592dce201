using DevMentor.Core.Builds.Git;
using Microsoft.Extensions.Configuration;

namespace DevMentor.Core.Builds.Runs;

/// <summary>
/// Reads the build steps' settings and the secrets to redact, the same way for the service's
/// embedded runner and DevMentor.Runner: <c>Builds:Git:Username</c>/<c>Builds:Git:Token</c>,
/// <c>Registry:Password</c>, and every value under <c>Pipelines:Secrets:&lt;NAME&gt;</c>.
/// </summary>
public static class BuildStepConfiguration
{
    public static BuildStepSettings Settings(IConfiguration configuration)
    {
        var token = configuration["Builds:Git:Token"];
        var credentials = string.IsNullOrEmpty(token) ? null : new GitCredentials(Empty(configuration["Builds:Git:Username"]), token);
        return new BuildStepSettings(credentials, GitCloneLimits.Default);
    }

    public static IReadOnlyList<string> Secrets(IConfiguration configuration)
    {
        var secrets = configuration.GetSection("Pipelines:Secrets").GetChildren().Select(c => c.Value).ToList();
        secrets.Add(configuration["Registry:Password"]);
        secrets.AddRange(Settings(configuration).Secrets);
        return secrets.Where(s => !string.IsNullOrEmpty(s)).Select(s => s!).Distinct(StringComparer.Ordinal).ToList();
    }

    private static string? Empty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;
}
