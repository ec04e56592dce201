using System.Security.Cryptography;
using System.Text;
using DevMentor.Core.Integrations.Webhooks;

namespace DevMentor.Core.Integrations.GitLab;

/// <summary>POST /webhooks/gitlab: X-Gitlab-Token compared in constant time, deduplicated on X-Gitlab-Event-UUID.</summary>
public sealed class GitLabWebhookIntake(GitLabOptions options, IWebhookSecretSource projectSecrets, WebhookInbox inbox)
{
    public const string Provider = "gitlab";

    private static readonly string[] KeptHeaders = ["X-Gitlab-Event", "X-Gitlab-Event-UUID", "X-Gitlab-Webhook-UUID", "X-Gitlab-Instance", "User-Agent", "Content-Type"];

    /// <param name="projectHint">The hook URL's ?project= (see <see cref="WebhookSecretCandidates.CollectAsync"/>).</param>
    public async Task<WebhookIntakeResult> AcceptAsync(Func<string, string?> header, Guid? projectHint, byte[] body, CancellationToken cancellationToken)
    {
        var token = header("X-Gitlab-Token");
        if (string.IsNullOrEmpty(token))
        {
            return new WebhookIntakeResult.Unauthorized("X-Gitlab-Token is missing.");
        }

        var candidates = await WebhookSecretCandidates.CollectAsync(Provider, options.WebhookToken, projectHint, projectSecrets, cancellationToken);
        if (candidates.Count == 0)
        {
            return new WebhookIntakeResult.Unauthorized(projectHint is null
                ? "No webhook token is configured (GitLab:WebhookToken), so no delivery can be verified."
                : "Neither GitLab:WebhookToken nor a token of the project named by ?project= is configured, so no delivery can be verified.");
        }

        // Hashing both sides first makes the comparison constant-time whatever the lengths.
        var presented = SHA256.HashData(Encoding.UTF8.GetBytes(token));
        var (valid, projectId) = WebhookSecretCandidates.Match(candidates,
            candidate => CryptographicOperations.FixedTimeEquals(presented, SHA256.HashData(Encoding.UTF8.GetBytes(candidate))));
        return valid
            ? await inbox.AcceptVerifiedAsync(Provider, header, "X-Gitlab-Event", "X-Gitlab-Event-UUID", KeptHeaders, body, projectId, cancellationToken)
            : new WebhookIntakeResult.Unauthorized("X-Gitlab-Token does not match.");
    }
}
