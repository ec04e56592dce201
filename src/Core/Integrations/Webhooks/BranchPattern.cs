using System.Text.RegularExpressions;

namespace DevMentor.Core.Integrations.Webhooks;

/// <summary>Branch globs as CI services write them: <c>*</c> within one path segment, <c>**</c> across segments.</summary>
public static class BranchPattern
{
    public static bool Matches(string pattern, string branch)
    {
        if (!pattern.Contains('*', StringComparison.Ordinal))
        {
            return string.Equals(pattern, branch, StringComparison.Ordinal);
        }

        var regex = "^" + Regex.Escape(pattern).Replace(@"\*\*", ".*", StringComparison.Ordinal).Replace(@"\*", "[^/]*", StringComparison.Ordinal) + "$";
        return Regex.IsMatch(branch, regex, RegexOptions.CultureInvariant, TimeSpan.FromMilliseconds(100));
    }
}
