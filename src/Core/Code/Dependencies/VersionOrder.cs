using System.Globalization;
using NuGet.Versioning;
using Semver;

namespace DevMentor.Core.Code.Dependencies;

/// <summary>
/// Orders two versions the way their ecosystem does: NuGet's rules (NuGet.Versioning), semver 2
/// for npm, Cargo and Go modules (Semver; Go's "v" dropped), and for PyPI and Maven a numeric
/// comparison of the release segments with pre-releases (a letter in the version) before the release.
/// </summary>
public static class VersionOrder
{
    /// <returns>Negative, zero or positive; null when either side cannot be read as a version.</returns>
    public static int? Compare(string ecosystem, string? a, string? b)
    {
        if (a is null || b is null)
        {
            return null;
        }

        switch (ecosystem)
        {
            case Ecosystems.NuGet:
                return NuGetVersion.TryParse(a, out var na) && NuGetVersion.TryParse(b, out var nb) ? na.CompareTo(nb) : null;
            case Ecosystems.Npm or Ecosystems.Cargo or Ecosystems.Go:
                return SemVersion.TryParse(a.TrimStart('v'), SemVersionStyles.Any, out var sa) && SemVersion.TryParse(b.TrimStart('v'), SemVersionStyles.Any, out var sb)
                    ? sa.ComparePrecedenceTo(sb)
                    : null;
            default:
                return Segments(a) is { } pa && Segments(b) is { } pb ? CompareSegments(pa, pb) : null;
        }
    }

    private static (long[] Release, string Suffix)? Segments(string version)
    {
        var text = version.Trim().TrimStart('v', 'V');
        var end = 0;
        while (end < text.Length && (char.IsAsciiDigit(text[end]) || text[end] == '.'))
        {
            end++;
        }

        var parts = text[..end].Trim('.').Split('.', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length == 0)
        {
            return null;
        }

        var numbers = new long[parts.Length];
        for (var i = 0; i < parts.Length; i++)
        {
            if (!long.TryParse(parts[i], NumberStyles.None, CultureInfo.InvariantCulture, out numbers[i]))
            {
                return null;
            }
        }

        return (numbers, text[end..].TrimStart('-', '.', '_'));
    }

    private static int CompareSegments((long[] Release, string Suffix) a, (long[] Release, string Suffix) b)
    {
        for (var i = 0; i < Math.Max(a.Release.Length, b.Release.Length); i++)
        {
            var x = i < a.Release.Length ? a.Release[i] : 0;
            var y = i < b.Release.Length ? b.Release[i] : 0;
            if (x != y)
            {
                return x.CompareTo(y);
            }
        }

        // 1.0rc1 < 1.0 < 1.0.post1 is not modelled; a suffix that reads as a pre-release sorts first.
        var preA = IsPreRelease(a.Suffix);
        var preB = IsPreRelease(b.Suffix);
        if (preA != preB)
        {
            return preA ? -1 : 1;
        }

        return string.CompareOrdinal(a.Suffix.ToLowerInvariant(), b.Suffix.ToLowerInvariant());
    }

    private static bool IsPreRelease(string suffix) =>
        suffix.Length > 0 && !suffix.StartsWith("post", StringComparison.OrdinalIgnoreCase) && !suffix.Equals("RELEASE", StringComparison.OrdinalIgnoreCase)
        && !suffix.Equals("Final", StringComparison.OrdinalIgnoreCase);
}
