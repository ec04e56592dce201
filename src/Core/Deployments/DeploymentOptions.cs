namespace DevMentor.Core.Deployments;

/// <summary>Deployments:* settings (and the signing secrets, Deploy:Secrets:NAME).</summary>
public sealed record DeploymentOptions
{
    /// <summary>Local releases live in &lt;root&gt;/&lt;project&gt;/&lt;environment&gt;/&lt;deployment&gt;.</summary>
    public required string ReleasesRoot { get; init; }

    /// <summary>Webhook signing secrets by the name a .devmentor.yml environment gives as <c>secret</c>.</summary>
    public IReadOnlyDictionary<string, string> Secrets { get; init; } = new Dictionary<string, string>();

    public TimeSpan DefaultHealthTimeout { get; init; } = TimeSpan.FromSeconds(30);
    public TimeSpan HealthPollInterval { get; init; } = TimeSpan.FromMilliseconds(200);
    public int WebhookAttempts { get; init; } = 5;
    public TimeSpan WebhookFirstDelay { get; init; } = TimeSpan.FromSeconds(1);
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>The deployment worker (and the local releases it runs) in this instance.</summary>
    public bool WorkerEnabled { get; init; } = true;

    /// <summary>The only variables of the service's environment a release sees; the service's settings and secrets never reach it.</summary>
    public IReadOnlyList<string> PassEnvironment { get; init; } = ["PATH", "HOME", "LANG", "LC_ALL", "TZ"];

    public long MaxReleaseLogBytes { get; init; } = 10 * 1024 * 1024;
}
