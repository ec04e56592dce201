using DevMentor.Core.Integrations.GitHub;
using DevMentor.Core.Integrations.GitLab;
using DevMentor.Core.Integrations.Remotes;
using DevMentor.Core.Integrations.Secrets;
using DevMentor.Core.Integrations.Statuses;
using DevMentor.Core.Integrations.Webhooks;
using DevMentor.Core.Scheduling;

namespace DevMentor.Functions.Composition;

public static class WebhookComposition
{
    public static IServiceCollection AddWebhooks(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSingleton(new GitHubOptions
        {
            WebhookSecret = configuration["GitHub:WebhookSecret"],
            ApiBaseUrl = ApiBase(configuration, "GitHub:ApiBaseUrl") ?? new GitHubOptions().ApiBaseUrl,
            Token = configuration["GitHub:Token"],
            App = GitHubApp(configuration),
        });
        services.AddSingleton<GitHubAppTokens>();
        // Every call to GitHub goes through this Octokit client (statuses, repositories, hooks).
        services.AddSingleton<GitHubApi>();
        services.AddSingleton(new GitLabOptions
        {
            WebhookToken = configuration["GitLab:WebhookToken"],
            ApiBaseUrl = ApiBase(configuration, "GitLab:ApiBaseUrl") ?? new GitLabOptions().ApiBaseUrl,
            Token = configuration["GitLab:Token"],
        });

        var processOnReceipt = configuration["Webhooks:ProcessOnReceipt"];
        if (!string.IsNullOrWhiteSpace(processOnReceipt) && !bool.TryParse(processOnReceipt, out _))
        {
            throw new InvalidConfigurationException([$"Webhooks:ProcessOnReceipt: '{processOnReceipt}' is not true or false."]);
        }

        services.AddSingleton(new WebhookOptions(string.IsNullOrWhiteSpace(processOnReceipt) || bool.Parse(processOnReceipt)));
        services.AddSingleton<WebhookIntakeWriter>();
        services.AddSingleton<WebhookDeliveryStore>();
        services.AddSingleton<RepositoryPushStore>();
        services.AddSingleton<WebhookTelemetry>();
        services.AddSingleton<WebhookProcessor>();
        services.AddSingleton<WebhookWorker>();
        services.AddHostedService(sp => sp.GetRequiredService<WebhookWorker>());
        services.AddSingleton<WebhookRedeliveryTimer>();
        // Per-project secrets (encrypted at rest), the hook URLs they belong to, and createRemote.
        var secretKey = configuration["Webhooks:SecretKey"];
        services.AddSingleton(sp => new WebhookSecretCipher(SecretKey(secretKey, sp.GetRequiredService<ServiceSettings>().DataDirectory)));
        services.AddSingleton<ProjectWebhookSecretStore>();
        services.AddSingleton<IWebhookSecretSource>(sp => sp.GetRequiredService<ProjectWebhookSecretStore>());
        services.AddSingleton<ProjectWebhookSecretService>();
        services.AddSingleton(new WebhookHookUrls(PublicBaseUrl(configuration)));
        services.AddSingleton<ProjectRemoteStore>();
        services.AddSingleton<GitHubRepositoryClient>();
        services.AddSingleton<RemoteProvisioning>();
        services.AddSingleton<RemoteProvisioningTimer>();
        services.AddSingleton<WebhookInbox>();
        services.AddSingleton<RepositoryEvents>();
        services.AddSingleton<GitHubWebhookIntake>();
        services.AddSingleton<IWebhookEventHandler, GitHubEventHandler>();
        services.AddSingleton<GitLabWebhookIntake>();
        services.AddSingleton<IWebhookEventHandler, GitLabEventHandler>();

        // Commit statuses back to GitHub/GitLab. Outbound calls are short: the reporter retries later
        // (GitHub's timeout is Octokit's, set in GitHubApi).
        services.AddHttpClient(GitLabStatusClient.HttpClientName, c => c.Timeout = TimeSpan.FromSeconds(10));
        services.AddSingleton<CommitStatusStore>();
        services.AddSingleton<ICommitStatusClient, GitHubStatusClient>();
        services.AddSingleton<ICommitStatusClient, GitLabStatusClient>();
        services.AddSingleton(new RunLinks(PublicBaseUrl(configuration)));
        services.AddSingleton<CommitStatusReporter>();
        services.AddHostedService(sp => sp.GetRequiredService<CommitStatusReporter>());

        services.AddSingleton<IRunStateSource, PipelineRunStates>();
        services.AddSingleton<IRepositoryProjects, ProjectRepositoryLookup>();
        services.AddSingleton<IWebhookBuildStarter, PipelineBuildStarter>();
        return services;
    }

    /// <summary>GitHub:AppId, GitHub:AppPrivateKey (PEM text, or a path to a .pem file) and GitHub:InstallationId, all or none.</summary>
    private static GitHubAppCredentials? GitHubApp(IConfiguration configuration)
    {
        var (appId, key, installation) = (configuration["GitHub:AppId"], configuration["GitHub:AppPrivateKey"], configuration["GitHub:InstallationId"]);
        if (string.IsNullOrWhiteSpace(appId) && string.IsNullOrWhiteSpace(key) && string.IsNullOrWhiteSpace(installation))
        {
            return null;
        }

        var problems = new List<string>();
        if (string.IsNullOrWhiteSpace(appId))
        {
            problems.Add("GitHub:AppId: required with GitHub:AppPrivateKey and GitHub:InstallationId.");
        }

        if (!long.TryParse(installation, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var installationId))
        {
            problems.Add($"GitHub:InstallationId: '{installation}' is not a number.");
        }

        var pem = key is not null && !key.Contains("-----BEGIN", StringComparison.Ordinal) && File.Exists(key) ? File.ReadAllText(key) : key;
        try
        {
            using var rsa = System.Security.Cryptography.RSA.Create();
            rsa.ImportFromPem(pem);
        }
        catch (Exception e) when (e is ArgumentException or System.Security.Cryptography.CryptographicException)
        {
            problems.Add("GitHub:AppPrivateKey: not an RSA private key in PEM format (nor a path to one).");
        }

        return problems.Count > 0 ? throw new InvalidConfigurationException(problems) : new GitHubAppCredentials(appId!, pem!, installationId);
    }

    internal static Uri PublicBaseUrl(IConfiguration configuration) =>
        ApiBase(configuration, "Service:PublicBaseUrl") ?? new Uri($"http://127.0.0.1:{ServiceSettings.DefaultPort}/");

    /// <summary>
    /// Webhooks:SecretKey (base64 of 32 bytes), or a key generated once into the data dir (0600).
    /// Instances sharing a database must share the key: set Webhooks:SecretKey for them.
    /// </summary>
    private static byte[] SecretKey(string? configured, string dataDirectory)
    {
        if (!string.IsNullOrWhiteSpace(configured))
        {
            var key = new byte[WebhookSecretCipher.KeyBytes];
            return Convert.TryFromBase64String(configured.Trim(), key, out var written) && written == WebhookSecretCipher.KeyBytes
                ? key
                : throw new InvalidConfigurationException([$"Webhooks:SecretKey: must be {WebhookSecretCipher.KeyBytes} bytes in base64 (e.g. openssl rand -base64 32)."]);
        }

        var file = Path.Combine(dataDirectory, "webhook-secrets.key");
        if (!File.Exists(file))
        {
            Directory.CreateDirectory(dataDirectory);
            try
            {
                using var created = new FileStream(file, new FileStreamOptions
                {
                    Mode = FileMode.CreateNew,
                    Access = FileAccess.Write,
                    UnixCreateMode = OperatingSystem.IsWindows() ? null : UnixFileMode.UserRead | UnixFileMode.UserWrite,
                });
                created.Write(System.Text.Encoding.ASCII.GetBytes(Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(WebhookSecretCipher.KeyBytes))));
                created.Flush(flushToDisk: true);
            }
            catch (IOException) when (File.Exists(file))
            {
                // Another instance on the same data dir wrote it first: use theirs.
            }
        }

        var stored = new byte[WebhookSecretCipher.KeyBytes];
        return Convert.TryFromBase64String(File.ReadAllText(file).Trim(), stored, out var length) && length == WebhookSecretCipher.KeyBytes
            ? stored
            : throw new InvalidConfigurationException([$"{file}: not a {WebhookSecretCipher.KeyBytes}-byte base64 key; restore it (or delete it and set the project secrets again)."]);
    }

    /// <summary>An API base URL with a trailing slash, so relative paths resolve below it.</summary>
    private static Uri? ApiBase(IConfiguration configuration, string key)
    {
        var raw = configuration[key];
        if (string.IsNullOrWhiteSpace(raw))
        {
            return null;
        }

        return Uri.TryCreate(raw.TrimEnd('/') + "/", UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"
            ? uri
            : throw new InvalidConfigurationException([$"{key}: '{raw}' is not an absolute http(s) URL."]);
    }
}
