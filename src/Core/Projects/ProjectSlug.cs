using System.Text;
using System.Text.RegularExpressions;

namespace DevMentor.Core.Projects;

/// <summary>
/// Slugs are URL path segments (<c>/projects/{idOrSlug}</c>): lowercase ASCII letters, digits and
/// inner hyphens, never shaped like a UUID (that would shadow an id) and never a word the API
/// routes use itself.
/// </summary>
public static partial class ProjectSlug
{
    public const int MaxLength = 63;
    private static readonly HashSet<string> Reserved = ["list", "create", "new", "search"];

    public static string? Problem(string slug)
    {
        if (slug.Length > MaxLength)
        {
            return $"must be at most {MaxLength} characters.";
        }

        if (!Shape().IsMatch(slug))
        {
            return "must be lowercase letters, digits and hyphens, starting and ending with a letter or digit.";
        }

        if (Guid.TryParse(slug, out _))
        {
            return "must not look like a UUID (project ids are UUIDs).";
        }

        return Reserved.Contains(slug) ? $"'{slug}' is reserved." : null;
    }

    public static bool IsWellFormed(string slug) => slug.Length <= MaxLength && Shape().IsMatch(slug);

    /// <summary>The slug a name suggests; falls back to "project" when the name has no ASCII letters or digits.</summary>
    public static string FromName(string name)
    {
        var builder = new StringBuilder(Math.Min(name.Length, MaxLength));
        foreach (var c in name)
        {
            if (char.IsAsciiLetterOrDigit(c))
            {
                builder.Append(char.ToLowerInvariant(c));
            }
            else if (builder.Length > 0 && builder[^1] != '-')
            {
                builder.Append('-');
            }

            if (builder.Length >= 50)
            {
                break;
            }
        }

        var slug = builder.ToString().Trim('-');
        return slug.Length == 0 || Problem(slug) is not null ? "project" : slug;
    }

    [GeneratedRegex("^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$", RegexOptions.CultureInvariant)]
    private static partial Regex Shape();
}
