using System.Globalization;

namespace DevMentor.Functions.Composition;

/// <summary>
/// Reads one typed setting: the fallback when it is absent, otherwise the value, or a problem naming
/// the key (collected, so every settings class reports all its problems at once).
/// </summary>
internal static class SettingValues
{
    public static int Int(IConfiguration configuration, string key, int fallback, int min, int max, List<string> problems) =>
        OptionalInt(configuration, key, fallback, min, max, problems)!.Value;

    public static int? OptionalInt(IConfiguration configuration, string key, int? fallback, int min, int max, List<string> problems) =>
        Parse(configuration, key, fallback, problems, raw =>
            int.TryParse(raw, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max ? value : null,
            $"is not a whole number from {min} to {max}");

    public static long Long(IConfiguration configuration, string key, long fallback, long min, long max, List<string> problems) =>
        Parse<long>(configuration, key, fallback, problems, raw =>
            long.TryParse(raw, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max ? value : null,
            $"is not a whole number from {min} to {max}")!.Value;

    public static bool Bool(IConfiguration configuration, string key, bool fallback, List<string> problems) =>
        Parse<bool>(configuration, key, fallback, problems, raw => bool.TryParse(raw, out var value) ? value : null, "is not true or false")!.Value;

    private static T? Parse<T>(IConfiguration configuration, string key, T? fallback, List<string> problems, Func<string, T?> parse, string expectation)
        where T : struct
    {
        var raw = configuration[key];
        if (string.IsNullOrWhiteSpace(raw))
        {
            return fallback;
        }

        if (parse(raw) is { } value)
        {
            return value;
        }

        problems.Add($"{key}: '{raw}' {expectation}.");
        return fallback;
    }
}
