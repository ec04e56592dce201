using DevMentor.Core.Integrations.Webhooks;

namespace DevMentor.Core.Integrations.GitHub;

/// <summary>
/// POST /webhooks/github before the answer: verify the signature over the raw bytes, then store
/// the delivery (deduplicated on X-GitHub-Delivery). Processing happens afterwards, from the
/// stored copy, so answering stays well inside GitHub's 10 s and a crash loses nothing.
/// </summary>
public sealed class GitHubWebhookIntake(GitHubOptions options, IWebhookSecretSource projectSecrets, WebhookInbox inbox)
{
    public const string Provider = "github";

    private static readonly string[] KeptHeaders =
    [
        "X-GitHub-Event", "X-GitHub-Delivery", "X-GitHub-Hook-ID", "X-GitHub-Hook-Installation-Target-ID",
        "X-GitHub-Hook-Installation-Target-Type", "X-Hub-Signature-256", "User-Agent", "Content-Type",
    ];

    /// <param name="projectHint">The hook URL's ?project= (see <see cref="WebhookSecretCandidates.CollectAsync"/>).</param>
    public async Task<WebhookIntakeResult> AcceptAsync(Func<string, string?> header, Guid? projectHint, byte[] body, CancellationToken cancellationToken)
    {
        var signature = header("X-Hub-Signature-256");
        if (string.IsNullOrEmpty(signature))
        {
            return new WebhookIntakeResult.Unauthorized("X-Hub-Signature-256 is missing.");
        }

        if (!signature.StartsWith("sha256=", StringComparison.Ordinal))
        {
            return new WebhookIntakeResult.Unauthorized("X-Hub-Signature-256 must be sha256=<hex>.");
        }

        var candidates = await WebhookSecretCandidates.CollectAsync(Provider, options.WebhookSecret, projectHint, projectSecrets, cancellationToken);
        if (candidates.Count == 0)
        {
            return new WebhookIntakeResult.Unauthorized(projectHint is null
                ? "No webhook secret is configured (GitHub:WebhookSecret), so no delivery can be verified."
                : "Neither GitHub:WebhookSecret nor a secret of the project named by ?project= is configured, so no delivery can be verified.");
        }

        var (valid, projectId) = WebhookSecretCandidates.Match(candidates, secret => GitHubSignature.IsValid(signature, secret, body));
        return valid
            ? await inbox.AcceptVerifiedAsync(Provider, header, "X-GitHub-Event", "X-GitHub-Delivery", KeptHeaders, body, projectId, cancellationToken)
            : new WebhookIntakeResult.Unauthorized("The signature does not match the payload.");
    }
}
