namespace DevMentor.Core.Integrations.GitLab;

/// <summary>GitLab:* settings.</summary>
public sealed record GitLabOptions
{
    /// <summary>The secret token every GitLab hook sends in X-Gitlab-Token (projects may add their own).</summary>
    public string? WebhookToken { get; init; }

    public Uri ApiBaseUrl { get; init; } = new("https://gitlab.com/api/v4/");

    public string? Token { get; init; }

    // Records print their members: a log line that formats the options shows no secret.
    private bool PrintMembers(System.Text.StringBuilder builder)
    {
        builder.Append($"ApiBaseUrl = {ApiBaseUrl}, WebhookToken = {(WebhookToken is null ? "(none)" : "***")}, Token = {(Token is null ? "(none)" : "***")}");
        return true;
    }
}
