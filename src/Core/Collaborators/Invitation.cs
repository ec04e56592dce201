namespace DevMentor.Core.Collaborators;

/// <param name="Status">pending, accepted, declined, revoked, or expired (pending past <see cref="ExpiresAt"/>).</param>
public sealed record Invitation(Guid Id, Guid ProjectId, string UserId, string Role, string? InvitedBy, string Status,
    DateTimeOffset CreatedAt, DateTimeOffset ExpiresAt, DateTimeOffset? RespondedAt);

public sealed record InvitationPage(IReadOnlyList<Invitation> Items);

public enum InvitationWrite
{
    Done,
    NotFound,
    NotPending,
    Expired,
    Archived,
    AlreadyCollaborator,
}
