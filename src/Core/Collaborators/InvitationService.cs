using DevMentor.Core.Projects;
using DevMentor.Core.Security;

namespace DevMentor.Core.Collaborators;

/// <summary>
/// Invitations: owners invite a user id in a role; only the invitee sees, accepts or declines it
/// (anyone else gets 404), within 7 days; owners list and revoke pending ones.
/// </summary>
public sealed class InvitationService(ProjectAccess access, ProjectReader reader, InvitationStore store)
{
    public async Task<Outcome<(Invitation Invitation, bool Created)>> InviteAsync(Caller caller, string idOrSlug, string? userId, string? role, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (userId is null || CollaboratorService.UserIdProblem(userId) is not null)
        {
            errors["userId"] = [$"must be 1 to {CollaboratorService.MaxUserIdLength} characters without control characters or surrounding spaces."];
        }

        if (!ProjectRoles.TryParse(role, out _))
        {
            errors["role"] = ["must be owner, maintainer, developer or viewer."];
        }

        if (errors.Count > 0)
        {
            return Outcome<(Invitation, bool)>.Invalid(errors);
        }

        var result = await access.AuthorizeAsync(caller, idOrSlug, ProjectPermission.ManageCollaborators, cancellationToken);
        if (result.Outcome != AccessOutcome.Allowed)
        {
            return ProjectService.Denied<(Invitation, bool)>(result, idOrSlug);
        }

        var (write, invitation, created) = await store.InviteAsync(result.Project!.Id, userId!, role!, caller.UserId, cancellationToken);
        return write == InvitationWrite.Done
            ? new Outcome<(Invitation, bool)>(created ? OutcomeKind.Created : OutcomeKind.Ok, (invitation!, created))
            : Outcome<(Invitation, bool)>.Fail(OutcomeKind.Conflict, $"'{userId}' is already a collaborator on this project.");
    }

    public async Task<Outcome<InvitationPage>> ListForProjectAsync(Caller caller, string idOrSlug, CancellationToken cancellationToken)
    {
        var result = await access.AuthorizeAsync(caller, idOrSlug, ProjectPermission.ManageCollaborators, cancellationToken);
        return result.Outcome == AccessOutcome.Allowed || (result.Outcome == AccessOutcome.Archived && result.Role >= ProjectRole.Owner)
            ? Outcome<InvitationPage>.Ok(new InvitationPage(await store.ListForProjectAsync(result.Project!.Id, cancellationToken)))
            : ProjectService.Denied<InvitationPage>(result, idOrSlug);
    }

    public async Task<Outcome<bool>> RevokeAsync(Caller caller, string idOrSlug, Guid invitationId, CancellationToken cancellationToken)
    {
        var result = await access.AuthorizeAsync(caller, idOrSlug, ProjectPermission.ManageCollaborators, cancellationToken);
        if (result.Outcome != AccessOutcome.Allowed)
        {
            return ProjectService.Denied<bool>(result, idOrSlug);
        }

        return await store.RevokeAsync(result.Project!.Id, invitationId, cancellationToken)
            ? Outcome<bool>.Ok(true)
            : Outcome<bool>.Fail(OutcomeKind.NotFound, "No pending invitation with that id in this project.");
    }

    /// <summary>The caller's own pending invitations.</summary>
    public async Task<InvitationPage> MineAsync(Caller caller, CancellationToken cancellationToken) =>
        caller.UserId is { } user ? new InvitationPage(await store.ListForUserAsync(user, cancellationToken)) : new InvitationPage([]);

    public async Task<Outcome<Invitation>> RespondAsync(Caller caller, Guid invitationId, bool accept, CancellationToken cancellationToken)
    {
        if (caller.UserId is not { } user)
        {
            return Outcome<Invitation>.Fail(OutcomeKind.NotFound, "No invitation with that id for you.");
        }

        var (write, invitation) = await store.RespondAsync(invitationId, user, accept, cancellationToken);
        if (write == InvitationWrite.Done && accept)
        {
            await reader.InvalidateAsync(invitation!.ProjectId, cancellationToken);
        }

        return write switch
        {
            InvitationWrite.Done => Outcome<Invitation>.Ok(invitation!),
            InvitationWrite.Expired => Outcome<Invitation>.Fail(OutcomeKind.Conflict, $"The invitation expired at {invitation!.ExpiresAt:u}; ask for a new one."),
            InvitationWrite.NotPending => Outcome<Invitation>.Fail(OutcomeKind.Conflict, $"The invitation was already {invitation!.Status}."),
            InvitationWrite.Archived => Outcome<Invitation>.Fail(OutcomeKind.Conflict, "The project is archived and therefore read-only."),
            _ => Outcome<Invitation>.Fail(OutcomeKind.NotFound, "No invitation with that id for you."),
        };
    }
}
