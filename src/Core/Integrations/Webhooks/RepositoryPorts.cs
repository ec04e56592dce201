namespace DevMentor.Core.Integrations.Webhooks;

/// <summary>A project linked to a repository, with what decides whether a push builds.</summary>
/// <param name="BuildBranches">Branches whose pushes start runs; empty means the default branch only.</param>
/// <param name="BuildTags">Tags (globs) whose pushes start runs; empty means none do.</param>
public sealed record LinkedProject(Guid ProjectId, string DefaultBranch, IReadOnlyList<string> BuildBranches, IReadOnlyList<string> BuildTags);

/// <summary>Finds the projects that track a repository (provider + owner/name).</summary>
public interface IRepositoryProjects
{
    Task<IReadOnlyList<LinkedProject>> FindAsync(string provider, string fullName, CancellationToken cancellationToken);
}

public static class LinkedProjects
{
    /// <summary>
    /// A delivery signed with one project's own secret speaks for that project only: whoever knows
    /// that secret must not reach other projects by naming their repository in the payload.
    /// </summary>
    public static IReadOnlyList<LinkedProject> VisibleTo(this IReadOnlyList<LinkedProject> linked, WebhookDelivery delivery) =>
        delivery.VerifiedProjectId is { } only ? linked.Where(p => p.ProjectId == only).ToList() : linked;
}

/// <summary>A run a webhook asks for. <see cref="IdempotencyKey"/> makes re-processing a delivery start nothing new.</summary>
public sealed record WebhookBuildRequest(Guid ProjectId, string Branch, string Commit, string Trigger, string? Label, string IdempotencyKey);

/// <summary>Starts pipeline runs for webhook events.</summary>
public interface IWebhookBuildStarter
{
    Task<Guid> StartAsync(WebhookBuildRequest request, CancellationToken cancellationToken);
}
