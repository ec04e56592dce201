namespace DevMentor.Core.Collaborators;

public sealed record Collaborator(string UserId, string Role, DateTimeOffset AddedAt);

public sealed record CollaboratorPage(IReadOnlyList<Collaborator> Items);

public sealed record CollaboratorChange(Collaborator Collaborator, bool Created);
