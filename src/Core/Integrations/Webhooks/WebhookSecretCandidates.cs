namespace DevMentor.Core.Integrations.Webhooks;

/// <summary>A secret a delivery may be signed with; <see cref="ProjectId"/> is null for the global one.</summary>
public sealed record WebhookSecretCandidate(Guid? ProjectId, string Secret);

public static class WebhookSecretCandidates
{
    /// <summary>
    /// The global secret and, when the hook URL names a project (<c>?project=&lt;id&gt;</c>), that
    /// project's own. Naming a project only chooses which secret is tried: it grants nothing
    /// without a matching signature, and a delivery verified by a project's secret then acts on
    /// that project alone (<see cref="LinkedProjects.VisibleTo"/>).
    /// </summary>
    public static async Task<IReadOnlyList<WebhookSecretCandidate>> CollectAsync(
        string provider, string? globalSecret, Guid? projectHint, IWebhookSecretSource projectSecrets, CancellationToken cancellationToken)
    {
        var candidates = new List<WebhookSecretCandidate>(2);
        if (!string.IsNullOrEmpty(globalSecret))
        {
            candidates.Add(new WebhookSecretCandidate(null, globalSecret));
        }

        if (projectHint is { } projectId && await projectSecrets.ForProjectAsync(provider, projectId, cancellationToken) is { } own)
        {
            candidates.Add(new WebhookSecretCandidate(own.ProjectId, own.Secret));
        }

        return candidates;
    }

    /// <summary>
    /// Checks every candidate (so timing does not tell which, if any, matched). A project's own
    /// secret wins over the global one: the hook is that project's, and the narrower scope is safer.
    /// </summary>
    public static (bool Valid, Guid? ProjectId) Match(IReadOnlyList<WebhookSecretCandidate> candidates, Func<string, bool> matches)
    {
        var valid = false;
        Guid? project = null;
        foreach (var candidate in candidates)
        {
            if (matches(candidate.Secret))
            {
                valid = true;
                project ??= candidate.ProjectId;
            }
        }

        return (valid, project);
    }
}
