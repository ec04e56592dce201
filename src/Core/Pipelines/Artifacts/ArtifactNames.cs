namespace DevMentor.Core.Pipelines.Artifacts;

/// <summary>
/// What an artifact may be called: a workspace-relative, '/'-separated path that cannot point
/// outside the workspace (no '..', no leading '/', no backslashes or control characters).
/// </summary>
public static class ArtifactNames
{
    public const int MaxLength = 512;

    /// <summary>Why <paramref name="name"/> is not a valid artifact name, or null when it is.</summary>
    public static string? Check(string? name)
    {
        if (string.IsNullOrEmpty(name) || name.Length > MaxLength)
        {
            return $"an artifact name is 1-{MaxLength} characters.";
        }

        if (name.StartsWith('/') || name.Contains('\\', StringComparison.Ordinal) || name.Any(char.IsControl))
        {
            return "an artifact name is a relative '/'-separated path without backslashes or control characters.";
        }

        if (name.Split('/').Any(segment => segment is "" or "." or ".."))
        {
            return "an artifact name has no empty, '.' or '..' segments.";
        }

        return null;
    }

    private static readonly Dictionary<string, string> ContentTypes = new(StringComparer.OrdinalIgnoreCase)
    {
        [".tgz"] = "application/gzip",
        [".gz"] = "application/gzip",
        [".zip"] = "application/zip",
        [".nupkg"] = "application/zip",
        [".whl"] = "application/zip",
        [".jar"] = "application/java-archive",
        [".tar"] = "application/x-tar",
        [".json"] = "application/json",
        [".xml"] = "application/xml",
        [".trx"] = "application/xml",
        [".html"] = "text/html; charset=utf-8",
        [".js"] = "text/javascript; charset=utf-8",
        [".css"] = "text/css; charset=utf-8",
        [".txt"] = "text/plain; charset=utf-8",
        [".md"] = "text/markdown; charset=utf-8",
        [".log"] = "text/plain; charset=utf-8",
        [".svg"] = "image/svg+xml",
        [".png"] = "image/png",
    };

    public static string ContentTypeFor(string name) =>
        ContentTypes.TryGetValue(Path.GetExtension(name), out var type) ? type : "application/octet-stream";
}
