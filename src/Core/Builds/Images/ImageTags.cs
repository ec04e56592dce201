using System.Globalization;
using System.Text.RegularExpressions;

namespace DevMentor.Core.Builds.Images;

/// <summary>The tags an image gets: the commit sha, <c>run-N</c>, then the config's extra tags (deduplicated, valid ones only).</summary>
public static partial class ImageTags
{
    public static IReadOnlyList<string> For(string? commit, int runNumber, string? extraTags)
    {
        var tags = new List<string>();
        if (commit is { Length: > 0 } sha && IsValid(sha))
        {
            tags.Add(sha.ToLowerInvariant());
        }

        tags.Add("run-" + runNumber.ToString(CultureInfo.InvariantCulture));
        foreach (var tag in (extraTags ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (IsValid(tag) && !tags.Contains(tag, StringComparer.Ordinal))
            {
                tags.Add(tag);
            }
        }

        return tags;
    }

    public static bool IsValid(string tag) => Tag().IsMatch(tag);

    [GeneratedRegex("^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")]
    private static partial Regex Tag();
}
