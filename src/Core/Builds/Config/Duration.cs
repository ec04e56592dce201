using System.Globalization;
using System.Text.RegularExpressions;

namespace DevMentor.Core.Builds.Config;

/// <summary>Timeouts as people write them in CI files: 90, "90s", "10m", "1h30m".</summary>
public static partial class Duration
{
    [GeneratedRegex(@"^(?:(?<h>\d+)h)?(?:(?<m>\d+)m)?(?:(?<s>\d+)s)?$", RegexOptions.CultureInvariant, 1000)]
    private static partial Regex Pattern();

    public static bool TryParseSeconds(string text, out long seconds)
    {
        seconds = 0;
        text = text.Trim();
        if (text.Length == 0 || text.Length > 32)
        {
            return false;
        }

        if (long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out seconds))
        {
            return true;
        }

        var match = Pattern().Match(text);
        if (!match.Success)
        {
            return false;
        }

        try
        {
            seconds = checked((Part(match, "h") * 3600) + (Part(match, "m") * 60) + Part(match, "s"));
            return true;
        }
        catch (OverflowException)
        {
            return false;
        }
    }

    private static long Part(Match match, string name) =>
        match.Groups[name].Success ? long.Parse(match.Groups[name].Value, NumberStyles.None, CultureInfo.InvariantCulture) : 0;
}
