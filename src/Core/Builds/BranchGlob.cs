using System.Text;
using System.Text.RegularExpressions;

namespace DevMentor.Core.Builds;

/// <summary>
/// Branch and path globs as CI users write them: <c>*</c> stays inside one '/' segment,
/// <c>**</c> crosses segments, <c>?</c> is one character. Everything else is literal.
/// </summary>
public static class BranchGlob
{
    public static bool IsMatch(string glob, string value) => ToRegex(glob).IsMatch(value);

    public static Regex ToRegex(string glob)
    {
        var pattern = new StringBuilder("^");
        for (var i = 0; i < glob.Length; i++)
        {
            var c = glob[i];
            if (c == '*' && i + 1 < glob.Length && glob[i + 1] == '*')
            {
                i++;
                // "**/" also matches nothing, so "release/**/x" matches "release/x".
                if (i + 1 < glob.Length && glob[i + 1] == '/')
                {
                    i++;
                    pattern.Append("(?:.*/)?");
                }
                else
                {
                    pattern.Append(".*");
                }
            }
            else if (c == '*')
            {
                pattern.Append("[^/]*");
            }
            else if (c == '?')
            {
                pattern.Append("[^/]");
            }
            else
            {
                pattern.Append(Regex.Escape(c.ToString()));
            }
        }

        pattern.Append('$');
        return new Regex(pattern.ToString(), RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
    }
}
