namespace DevMentor.Core.Projects;

/// <summary>A project as clients see it. <see cref="Version"/> grows with every write and is the ETag.</summary>
public sealed record Project(
    Guid Id,
    string Slug,
    string Name,
    string Description,
    string Visibility,
    ProjectRepository? Repository,
    ProjectSettings Settings,
    string OwnerId,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    DateTimeOffset? ArchivedAt,
    long Version)
{
    public bool IsArchived => ArchivedAt is not null;

    public string ETag => $"\"{Version}\"";
}

/// <param name="Provider">github, gitlab, git, or hosted (the service keeps the repository: see HostedRepositoryRoot).</param>
/// <param name="FullName">owner/name (GitLab: group/subgroup/name); for github and gitlab.</param>
public sealed record ProjectRepository(string Provider, string? FullName, string CloneUrl, string DefaultBranch);

/// <param name="BuildBranches">
/// Branch names or globs (<c>release/*</c>) whose pushes start builds; empty means the repository's
/// default branch, whatever it is called.
/// </param>
/// <param name="BuildTags">Tag names or globs (<c>v*</c>) whose pushes start builds; empty (the default) means tag pushes start nothing.</param>
public sealed record ProjectSettings(IReadOnlyList<string> BuildBranches, IReadOnlyList<DeployEnvironment> DeployEnvironments, IReadOnlyList<string>? BuildTags = null)
{
    public static readonly ProjectSettings Default = new([], [], []);
}

/// <param name="Branch">Pushes to this branch deploy here after a green build; none means deploys are started by hand.</param>
public sealed record DeployEnvironment(string Name, string? Branch);

public static class Visibilities
{
    public const string Private = "private";
    public const string Internal = "internal";
    public const string Public = "public";

    public static readonly IReadOnlyList<string> All = [Private, Internal, Public];
}

/// <summary>A project with its collaborators (user id → role): what access checks need, cached as one entry.</summary>
public sealed record ProjectSnapshot(Project Project, IReadOnlyDictionary<string, string> Collaborators);

public sealed record ProjectPage(IReadOnlyList<Project> Items, string? NextCursor);
