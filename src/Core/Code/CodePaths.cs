namespace DevMentor.Core.Code;

/// <summary>Repository paths and revisions as clients may name them.</summary>
public static class CodePaths
{
    public const int MaxPathLength = 4096;
    public const int MaxRevisionLength = 255;

    /// <summary>
    /// A repository-relative path: '/'-separated, no empty, "." or ".." segment (no way out of the
    /// tree), no NUL or other control character, no backslash; surrounding slashes are dropped.
    /// </summary>
    /// <returns>The normalised path ("" for the root when <paramref name="allowRoot"/>), or null with the reason.</returns>
    public static (string? Path, string? Error) Normalize(string? raw, bool allowRoot)
    {
        var path = (raw ?? "").Trim('/');
        if (path.Length == 0)
        {
            return allowRoot ? ("", null) : (null, "A file path is required.");
        }

        if (path.Length > MaxPathLength)
        {
            return (null, $"At most {MaxPathLength} characters.");
        }

        if (path.Any(char.IsControl))
        {
            return (null, "Control characters (NUL included) are not allowed in a path.");
        }

        if (path.Contains('\\', StringComparison.Ordinal))
        {
            return (null, "Use '/' to separate folders.");
        }

        if (path.Split('/').Any(segment => segment is "" or "." or ".."))
        {
            return (null, "Empty, '.' and '..' segments are not allowed.");
        }

        return (path, null);
    }

    /// <summary>A branch, tag, full ref or commit sha: printable, no "..", not starting with '-'.</summary>
    public static bool IsRevision(string revision) =>
        revision.Length is > 0 and <= MaxRevisionLength && !revision.StartsWith('-') && !revision.Contains("..", StringComparison.Ordinal)
        && revision.All(c => c is > ' ' and < '\u007f' && c is not ('~' or '^' or ':' or '?' or '*' or '[' or '\\'));
}
