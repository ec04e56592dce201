namespace DevMentor.Core.Integrations.GitHub;

/// <summary>GitHub:* settings.</summary>
public sealed record GitHubOptions
{
    /// <summary>Verifies X-Hub-Signature-256 of every repository's deliveries (projects may add their own).</summary>
    public string? WebhookSecret { get; init; }

    /// <summary>GitHub's REST API, or a GitHub Enterprise Server (see <see cref="GitHubApi"/>); tests point it at a local fake.</summary>
    public Uri ApiBaseUrl { get; init; } = new("https://api.github.com/");

    /// <summary>A personal or fine-grained access token; used when set, before any App credentials.</summary>
    public string? Token { get; init; }

    /// <summary>Authenticate as a GitHub App instead of with a token.</summary>
    public GitHubAppCredentials? App { get; init; }

    // Records print their members: a log line that formats the options shows no secret.
    private bool PrintMembers(System.Text.StringBuilder builder)
    {
        builder.Append($"ApiBaseUrl = {ApiBaseUrl}, WebhookSecret = {(WebhookSecret is null ? "(none)" : "***")}, Token = {(Token is null ? "(none)" : "***")}, App = {App}");
        return true;
    }
}
