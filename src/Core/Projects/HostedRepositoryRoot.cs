namespace DevMentor.Core.Projects;

/// <summary>
/// Where the service keeps the bare repositories of <c>hosted</c> projects (HostedGit:Directory;
/// default {data dir}/hosted): one <c>{id:N}.git</c> per project. A hosted project's repository
/// record is derived from its id here, never taken from a client: its full name is the project id
/// (what a push delivery names) and its clone URL the file:// URL the service's own clone and sync
/// steps read; clients clone over HTTP at <c>/git/{id}.git</c>.
/// </summary>
public sealed record HostedRepositoryRoot(string Directory)
{
    public const string Provider = "hosted";

    public string PathOf(Guid projectId) => Path.Combine(Directory, projectId.ToString("N") + ".git");

    public ProjectRepository RepositoryOf(Guid projectId, string defaultBranch) =>
        new(Provider, projectId.ToString("D"), new Uri(PathOf(projectId)).AbsoluteUri, defaultBranch);

    /// <summary>The path clients clone over HTTP, relative to the service's base URL.</summary>
    public static string HttpPathOf(Guid projectId) => $"/git/{projectId:D}.git";
}
