namespace DevMentor.Core.Projects;

/// <summary>A validated set of a project's editable fields. A null slug means "derive it from the name".</summary>
public sealed record ProjectDraft(string Name, string? Slug, string Description, string Visibility, ProjectRepository? Repository, ProjectSettings Settings);
