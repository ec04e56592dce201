using DevMentor.Core.Security;

namespace DevMentor.Core.Projects;

public enum AccessOutcome
{
    /// <summary>The caller may do it; <see cref="ProjectAccessResult.Snapshot"/> is the current project.</summary>
    Allowed,
    /// <summary>No such project, or one the caller may not see (answer 404, never 403: existence is not revealed).</summary>
    NotFound,
    /// <summary>The caller sees the project but their role is too low (answer 403).</summary>
    Forbidden,
    /// <summary>The caller's role suffices, but the project is archived and therefore read-only (answer 409).</summary>
    Archived,
}

public sealed record ProjectAccessResult(AccessOutcome Outcome, ProjectSnapshot? Snapshot, ProjectRole? Role)
{
    public Project? Project => Snapshot?.Project;
}

/// <summary>
/// The one place that decides who may do what with a project. Other features (builds, deploys,
/// files, tasks) call <see cref="AuthorizeAsync"/> with the permission they need.
/// Rules: platform admins act as owners everywhere; collaborators have their role; anyone
/// authenticated may read internal and public projects (as a viewer); private projects are
/// invisible to everyone else. Archived projects allow reads only.
/// </summary>
public sealed class ProjectAccess(ProjectReader reader)
{
    public async Task<ProjectAccessResult> AuthorizeAsync(Caller caller, string idOrSlug, ProjectPermission permission, CancellationToken cancellationToken)
    {
        if (!caller.IsAuthenticated)
        {
            return new ProjectAccessResult(AccessOutcome.NotFound, null, null);
        }

        var snapshot = await reader.GetAsync(idOrSlug, cancellationToken);
        return snapshot is null ? new ProjectAccessResult(AccessOutcome.NotFound, null, null) : Decide(caller, snapshot, permission);
    }

    public static ProjectAccessResult Decide(Caller caller, ProjectSnapshot snapshot, ProjectPermission permission)
    {
        var role = EffectiveRole(caller, snapshot);
        if (role is null)
        {
            return new ProjectAccessResult(AccessOutcome.NotFound, null, null);
        }

        if (role < permission.RequiredRole())
        {
            return new ProjectAccessResult(AccessOutcome.Forbidden, snapshot, role);
        }

        return snapshot.Project.IsArchived && permission != ProjectPermission.Read
            ? new ProjectAccessResult(AccessOutcome.Archived, snapshot, role)
            : new ProjectAccessResult(AccessOutcome.Allowed, snapshot, role);
    }

    /// <returns>The caller's role on the project, or null when they may not even see it.</returns>
    public static ProjectRole? EffectiveRole(Caller caller, ProjectSnapshot snapshot)
    {
        if (caller.IsAdmin)
        {
            return ProjectRole.Owner;
        }

        if (caller.UserId is { } user && snapshot.Collaborators.TryGetValue(user, out var name) && ProjectRoles.TryParse(name, out var role))
        {
            return role;
        }

        return caller.IsAuthenticated && snapshot.Project.Visibility != Visibilities.Private ? ProjectRole.Viewer : null;
    }
}
