namespace DevMentor.Core.Analytics;

/// <summary>The two rollup granularities and the five rollups; periods are UTC hours and days.</summary>
public static class RollupPeriods
{
    public const string Hour = "hour";
    public const string Day = "day";

    public static readonly IReadOnlyList<string> Rollups = ["usage", "builds", "tests", "dora", "code"];

    public static bool IsGranularity(string? value) => value is Hour or Day;

    public static DateTimeOffset End(string granularity, DateTimeOffset start) =>
        granularity == Hour ? start.AddHours(1) : start.AddDays(1);

    /// <summary>The start of the period <paramref name="at"/> falls in.</summary>
    public static DateTimeOffset Truncate(string granularity, DateTimeOffset at)
    {
        var utc = at.ToUniversalTime();
        return granularity == Hour
            ? new DateTimeOffset(utc.Year, utc.Month, utc.Day, utc.Hour, 0, 0, TimeSpan.Zero)
            : new DateTimeOffset(utc.Year, utc.Month, utc.Day, 0, 0, 0, TimeSpan.Zero);
    }
}

/// <summary>A period whose rollup rows must be recomputed.</summary>
public sealed record DirtyPeriod(string Rollup, string Granularity, DateTimeOffset PeriodStart);
