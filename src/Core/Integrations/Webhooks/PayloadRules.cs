using System.Text.RegularExpressions;

namespace DevMentor.Core.Integrations.Webhooks;

/// <summary>
/// Checks on the values a webhook payload hands to the rest of the service (repository names,
/// refs, shas, numbers). Presence and JSON types are the parser's job; these catch what parses
/// but is nonsense (an empty ref, "HEAD" as a sha, a name without an owner) before it reaches a
/// query or starts a run. Each returns why the value is unusable, or null when it is fine.
/// </summary>
public static partial class PayloadRules
{
    private const int MaxNameLength = 512;
    private const int MaxRefLength = 255;

    [GeneratedRegex("^(?:[0-9a-fA-F]{40}|[0-9a-fA-F]{64})$")]
    private static partial Regex ShaPattern();

    public static string? Present(string field, object? value) => value is null ? $"{field} is missing" : null;

    /// <param name="nested">GitLab's group/subgroup/project; GitHub's names are owner/name exactly.</param>
    public static string? RepositoryName(string field, string? value, bool nested)
    {
        if (string.IsNullOrEmpty(value))
        {
            return $"{field} is missing or empty";
        }

        var segments = value.Split('/');
        return value.Length > MaxNameLength || segments.Length < 2 || (!nested && segments.Length != 2) ||
            segments.Any(s => s.Length == 0) || value.Any(c => char.IsControl(c) || char.IsWhiteSpace(c))
            ? $"{field} '{Shorten(value)}' is not {(nested ? "group/…/project" : "owner/name")}"
            : null;
    }

    /// <summary>A full ref as pushes name it (refs/heads/main, refs/tags/v1).</summary>
    public static string? FullRef(string field, string? value) =>
        string.IsNullOrEmpty(value) ? $"{field} is missing or empty"
        : !value.StartsWith("refs/", StringComparison.Ordinal) || RefNameProblem(value) ? $"{field} '{Shorten(value)}' is not a git ref (refs/…)"
        : null;

    /// <summary>A branch name as pull and merge requests give it (no refs/heads/ prefix).</summary>
    public static string? BranchName(string field, string? value) =>
        string.IsNullOrEmpty(value) ? $"{field} is missing or empty"
        : RefNameProblem(value) ? $"{field} '{Shorten(value)}' is not a branch name"
        : null;

    /// <summary>A full commit sha: 40 hex digits (SHA-1) or 64 (SHA-256 repositories); all zeros means "none" (a created or deleted ref).</summary>
    public static string? Sha(string field, string? value) =>
        value is null ? $"{field} is missing"
        : !ShaPattern().IsMatch(value) ? $"{field} '{Shorten(value)}' is not a commit sha (40 or 64 hex digits)"
        : null;

    /// <summary>A pull request, merge request or issue number.</summary>
    public static string? Number(string field, long value) =>
        value is < 1 or > int.MaxValue ? $"{field} {value} is not a positive number" : null;

    /// <summary>The first problem of several checks, or null.</summary>
    public static string? First(params string?[] problems) => problems.FirstOrDefault(p => p is not null);

    // git check-ref-format's rules, as far as a payload can break them.
    private static bool RefNameProblem(string value) =>
        value.Length > MaxRefLength || value.StartsWith('-') || value.EndsWith('/') || value.EndsWith(".lock", StringComparison.Ordinal) ||
        value.Contains("..", StringComparison.Ordinal) || value.Contains("@{", StringComparison.Ordinal) || value.Contains("//", StringComparison.Ordinal) ||
        value.Any(c => char.IsControl(c) || c is ' ' or '~' or '^' or ':' or '?' or '*' or '[' or '\\');

    /// <summary>Payload text in a stored reason: bounded, so a huge value cannot bloat the row.</summary>
    private static string Shorten(string value) => value.Length > 80 ? value[..80] + "…" : value;
}
