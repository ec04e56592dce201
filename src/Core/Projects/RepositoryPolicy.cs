namespace DevMentor.Core.Projects;

/// <summary>
/// Which clone URLs a caller may give a project. A <c>file://</c> URL or a local path makes the
/// service's own clone step read the service's machine (the data dir, other projects' repositories),
/// so only platform admins may set one, unless it lies inside a folder an operator listed in
/// <c>Repositories:AllowedLocalPaths</c>.
/// </summary>
/// <param name="AllowedLocalPaths">Absolute folders whose repositories anyone may clone.</param>
public sealed record RepositoryPolicy(IReadOnlyList<string> AllowedLocalPaths)
{
    public const string SettingKey = "Repositories:AllowedLocalPaths";

    public static RepositoryPolicy AdminsOnly { get; } = new([]);

    /// <summary>Null when <paramref name="isAdmin"/> may use <paramref name="cloneUrl"/>; otherwise why not.</summary>
    public string? Problem(string cloneUrl, bool isAdmin)
    {
        if (isAdmin || LocalPath(cloneUrl) is not { } path)
        {
            return null;
        }

        return AllowedLocalPaths.Any(allowed => path == allowed || path.StartsWith(allowed.TrimEnd('/') + "/", StringComparison.Ordinal))
            ? null
            : $"file:// URLs and local paths are for platform admins only (an operator can allow folders with {SettingKey}).";
    }

    /// <summary>The local path a clone URL names (file://, or a path git reads from disk); null for a remote URL.</summary>
    public static string? LocalPath(string cloneUrl)
    {
        if (cloneUrl.StartsWith('/') || cloneUrl.StartsWith("./", StringComparison.Ordinal) || cloneUrl.StartsWith("../", StringComparison.Ordinal))
        {
            return Path.GetFullPath(cloneUrl);
        }

        return Uri.TryCreate(cloneUrl, UriKind.Absolute, out var uri) && uri.IsFile ? Path.GetFullPath(uri.LocalPath) : null;
    }
}
