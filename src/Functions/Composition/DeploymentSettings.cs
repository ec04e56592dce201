using DevMentor.Core.Deployments;

namespace DevMentor.Functions.Composition;

/// <summary>Deployments:* and Deploy:Secrets:* settings, validated at start like the others.</summary>
public static class DeploymentSettings
{
    public static DeploymentOptions Load(IConfiguration configuration, ServiceSettings service, bool underFunctionsHost)
    {
        var problems = new List<string>();
        var defaults = new DeploymentOptions { ReleasesRoot = "" };
        var secrets = configuration.GetSection("Deploy:Secrets").GetChildren()
            .Where(s => !string.IsNullOrEmpty(s.Value))
            .ToDictionary(s => s.Key, s => s.Value!, StringComparer.Ordinal);
        var options = new DeploymentOptions
        {
            ReleasesRoot = Path.GetFullPath(configuration["Deployments:ReleasesDirectory"] is { Length: > 0 } root ? root : Path.Combine(service.DataDirectory, "releases")),
            Secrets = secrets,
            DefaultHealthTimeout = TimeSpan.FromSeconds(SettingValues.Int(configuration, "Deployments:HealthTimeoutSeconds", 30, 1, 3600, problems)),
            HealthPollInterval = TimeSpan.FromMilliseconds(SettingValues.Int(configuration, "Deployments:HealthPollMilliseconds", 200, 10, 60_000, problems)),
            WebhookAttempts = SettingValues.Int(configuration, "Deployments:Webhook:Attempts", defaults.WebhookAttempts, 1, 20, problems),
            WebhookFirstDelay = TimeSpan.FromMilliseconds(SettingValues.Int(configuration, "Deployments:Webhook:FirstDelayMilliseconds", 1000, 0, 600_000, problems)),
            PollInterval = TimeSpan.FromMilliseconds(SettingValues.Int(configuration, "Deployments:PollMilliseconds", 1000, 10, 60_000, problems)),
            // Under the Functions host no process lives long enough to supervise a release.
            WorkerEnabled = SettingValues.Bool(configuration, "Deployments:Worker:Enabled", !underFunctionsHost, problems),
        };
        if (problems.Count > 0)
        {
            throw new InvalidConfigurationException(problems);
        }

        return options;
    }
}
