using DevMentor.Core.Projects;
using DevMentor.Core.Security;

namespace DevMentor.Core.Retention;

/// <summary>A project's retention settings and what applies (its own days or the platform's): read by members, set by maintainers.</summary>
public sealed class RetentionService(ProjectAccess access, RetentionStore store, RetentionOptions defaults)
{
    public async Task<Outcome<ProjectRetentionView>> GetAsync(Caller caller, string idOrSlug, CancellationToken cancellationToken)
    {
        var allowed = await access.AuthorizeAsync(caller, idOrSlug, ProjectPermission.Read, cancellationToken);
        if (allowed.Outcome != AccessOutcome.Allowed)
        {
            return Outcome<ProjectRetentionView>.Fail(OutcomeKind.NotFound, $"No project '{idOrSlug}'.");
        }

        return Outcome<ProjectRetentionView>.Ok(View(await store.GetAsync(allowed.Project!.Id, cancellationToken)));
    }

    public async Task<Outcome<ProjectRetentionView>> SetAsync(Caller caller, string idOrSlug, ProjectRetention retention, CancellationToken cancellationToken)
    {
        var allowed = await access.AuthorizeAsync(caller, idOrSlug, ProjectPermission.Update, cancellationToken);
        switch (allowed.Outcome)
        {
            case AccessOutcome.NotFound:
                return Outcome<ProjectRetentionView>.Fail(OutcomeKind.NotFound, $"No project '{idOrSlug}'.");
            case AccessOutcome.Forbidden:
                return Outcome<ProjectRetentionView>.Fail(OutcomeKind.Forbidden, "Maintainers and owners set retention.");
            case AccessOutcome.Archived:
                return Outcome<ProjectRetentionView>.Fail(OutcomeKind.Conflict, "The project is archived and read-only.");
        }

        await store.SetAsync(allowed.Project!.Id, retention, cancellationToken);
        return Outcome<ProjectRetentionView>.Ok(View(retention));
    }

    private ProjectRetentionView View(ProjectRetention own) => new(own, new ProjectRetention(
        own.StepLogsDays ?? defaults.StepLogsDays,
        own.ArtifactsDays ?? defaults.ArtifactsDays,
        own.RunHistoryDays ?? defaults.RunHistoryDays,
        own.WebhookDeliveriesDays ?? defaults.WebhookDeliveriesDays));
}

/// <param name="Project">The project's own settings (null = the platform default).</param>
/// <param name="Effective">What the purge applies.</param>
public sealed record ProjectRetentionView(ProjectRetention Project, ProjectRetention Effective);
