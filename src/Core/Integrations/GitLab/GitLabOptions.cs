namespace DevMentor.Core.Integrations.GitLab;

/// <summary>GitLab:* settings.</summary>
public sealed record GitLabOptions
{
    /// <summary>The secret token every GitLab hook sends in X-Gitlab-Token (projects may add their own).</summary>
    public string? WebhookToken { get; init; }

    public Uri ApiBaseUrl { get; init; } = new("https://gitlab.com/api/v4/");

    public string? Token { get; init; }
}
