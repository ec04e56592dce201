using DevMentor.Core.Projects;
using DevMentor.Core.Security;

namespace DevMentor.Core.Collaborators;

/// <summary>Who works on a project and in which role. Viewers may read the list; owners change it.</summary>
public sealed class CollaboratorService(ProjectAccess access, ProjectReader reader, CollaboratorStore store)
{
    public const int MaxUserIdLength = 200;

    public async Task<Outcome<CollaboratorPage>> ListAsync(Caller caller, string idOrSlug, CancellationToken cancellationToken)
    {
        var result = await access.AuthorizeAsync(caller, idOrSlug, ProjectPermission.Read, cancellationToken);
        if (result.Outcome != AccessOutcome.Allowed)
        {
            return ProjectService.Denied<CollaboratorPage>(result, idOrSlug);
        }

        return Outcome<CollaboratorPage>.Ok(new CollaboratorPage(await store.ListAsync(result.Project!.Id, cancellationToken)));
    }

    public async Task<Outcome<CollaboratorChange>> PutAsync(Caller caller, string idOrSlug, string userId, string? role, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (UserIdProblem(userId) is { } problem)
        {
            errors["userId"] = [problem];
        }

        if (!ProjectRoles.TryParse(role, out _))
        {
            errors["role"] = ["must be owner, maintainer, developer or viewer."];
        }

        if (errors.Count > 0)
        {
            return Outcome<CollaboratorChange>.Invalid(errors);
        }

        var result = await access.AuthorizeAsync(caller, idOrSlug, ProjectPermission.ManageCollaborators, cancellationToken);
        if (result.Outcome != AccessOutcome.Allowed)
        {
            return ProjectService.Denied<CollaboratorChange>(result, idOrSlug);
        }

        var projectId = result.Project!.Id;
        var (write, change) = await store.PutAsync(projectId, userId, role!, cancellationToken);
        await reader.InvalidateAsync(projectId, cancellationToken);
        return write == CollaboratorWrite.Done
            ? new Outcome<CollaboratorChange>(change!.Created ? OutcomeKind.Created : OutcomeKind.Ok, change)
            : Refused<CollaboratorChange>(write, userId, idOrSlug);
    }

    public async Task<Outcome<bool>> RemoveAsync(Caller caller, string idOrSlug, string userId, CancellationToken cancellationToken)
    {
        if (UserIdProblem(userId) is not null)
        {
            return Outcome<bool>.Fail(OutcomeKind.NotFound, "No such collaborator.");
        }

        var result = await access.AuthorizeAsync(caller, idOrSlug, ProjectPermission.ManageCollaborators, cancellationToken);
        if (result.Outcome != AccessOutcome.Allowed)
        {
            return ProjectService.Denied<bool>(result, idOrSlug);
        }

        var projectId = result.Project!.Id;
        var write = await store.RemoveAsync(projectId, userId, cancellationToken);
        await reader.InvalidateAsync(projectId, cancellationToken);
        return write == CollaboratorWrite.Done ? Outcome<bool>.Ok(true) : Refused<bool>(write, userId, idOrSlug);
    }

    public static string? UserIdProblem(string userId) =>
        userId.Length is 0 or > MaxUserIdLength || userId.Any(char.IsControl) || userId.Trim() != userId || !ProjectInput.IsValidUnicode(userId)
            ? $"must be 1 to {MaxUserIdLength} characters without control characters or surrounding spaces."
            : null;

    private static Outcome<T> Refused<T>(CollaboratorWrite write, string userId, string idOrSlug) => write switch
    {
        CollaboratorWrite.LastOwner => Outcome<T>.Fail(OutcomeKind.Conflict,
            $"'{userId}' is the project's last owner; make someone else an owner first."),
        CollaboratorWrite.Archived => Outcome<T>.Fail(OutcomeKind.Conflict, "The project is archived and therefore read-only."),
        CollaboratorWrite.NotACollaborator => Outcome<T>.Fail(OutcomeKind.NotFound, $"'{userId}' is not a collaborator on this project."),
        _ => Outcome<T>.Fail(OutcomeKind.NotFound, $"No project '{idOrSlug}' that you can see."),
    };
}
