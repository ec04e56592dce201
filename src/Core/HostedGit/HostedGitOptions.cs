namespace DevMentor.Core.HostedGit;

/// <param name="Directory">Where the bare repositories live (HostedGit:Directory; default {data dir}/hosted).</param>
/// <param name="GitPath">The git program (its http-backend serves the repositories).</param>
public sealed record HostedGitOptions(string Directory, string GitPath = "git");
