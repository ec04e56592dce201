using DevMentor.Core.Projects;
using DevMentor.Core.Security;

namespace DevMentor.Core.Analytics;

/// <summary>Project analytics for those who may read the project; platform usage for platform admins.</summary>
public sealed class AnalyticsService(ProjectAccess access, AnalyticsStore store)
{
    public static readonly IReadOnlyList<string> ProjectMetrics = ["builds", "tests", "dora", "code"];

    /// <summary>Hours a query may span (31 days) and days (10 years): a bound on the rows one answer holds.</summary>
    public static readonly TimeSpan MaxHourRange = TimeSpan.FromDays(31);
    public static readonly TimeSpan MaxDayRange = TimeSpan.FromDays(3660);
    public const int MaxUsageRows = 50_000;

    public async Task<Outcome<ProjectAnalytics>> ProjectAsync(Caller caller, string idOrSlug, AnalyticsQuery query, CancellationToken cancellationToken)
    {
        var allowed = await access.AuthorizeAsync(caller, idOrSlug, ProjectPermission.Read, cancellationToken);
        if (allowed.Outcome != AccessOutcome.Allowed)
        {
            return Outcome<ProjectAnalytics>.Fail(OutcomeKind.NotFound, $"No project '{idOrSlug}'.");
        }

        // Members only: seeing an internal or public project does not open its analytics to everyone signed in.
        if (!caller.IsAdmin && !(caller.UserId is { } user && allowed.Snapshot!.Collaborators.ContainsKey(user)))
        {
            return Outcome<ProjectAnalytics>.Fail(OutcomeKind.Forbidden, "Analytics are for the project's members.");
        }

        var id = allowed.Project!.Id;
        var (g, from, to) = (query.Granularity, query.From, query.To);
        var builds = query.Metrics.Contains("builds") ? await store.BuildsAsync(id, g, from, to, cancellationToken) : null;
        var tests = query.Metrics.Contains("tests") ? await store.TestsAsync(id, g, from, to, cancellationToken) : null;
        var dora = query.Metrics.Contains("dora") ? await store.DoraAsync(id, g, from, to, cancellationToken) : null;
        var code = query.Metrics.Contains("code") ? await store.CodeAsync(id, g, from, to, cancellationToken) : null;
        return Outcome<ProjectAnalytics>.Ok(new ProjectAnalytics(id, g, from, to, builds, tests, dora, code));
    }

    public async Task<Outcome<IReadOnlyList<UsageRollup>>> UsageAsync(Caller caller, AnalyticsQuery query, CancellationToken cancellationToken)
    {
        if (!caller.IsAdmin)
        {
            return Outcome<IReadOnlyList<UsageRollup>>.Fail(OutcomeKind.Forbidden, "Platform usage is for platform admins.");
        }

        return Outcome<IReadOnlyList<UsageRollup>>.Ok(await store.UsageAsync(query.Granularity, query.From, query.To, MaxUsageRows, cancellationToken));
    }

    /// <summary>Checks the raw query values; the range defaults to the last 48 hours (hour) or 30 days (day) before now.</summary>
    public static (AnalyticsQuery? Query, Dictionary<string, string[]> Errors) Parse(
        string? granularity, string? from, string? to, string? metrics, IReadOnlyList<string> allowedMetrics, DateTimeOffset now)
    {
        var errors = new Dictionary<string, string[]>();
        var g = string.IsNullOrEmpty(granularity) ? RollupPeriods.Day : granularity;
        if (!RollupPeriods.IsGranularity(g))
        {
            errors["granularity"] = ["'hour' or 'day'."];
            g = RollupPeriods.Day;
        }

        var end = ParseTime(to, "to", errors) ?? RollupPeriods.End(g, RollupPeriods.Truncate(g, now));
        var start = ParseTime(from, "from", errors) ?? end - (g == RollupPeriods.Hour ? TimeSpan.FromHours(48) : TimeSpan.FromDays(30));
        if (start >= end && !errors.ContainsKey("from") && !errors.ContainsKey("to"))
        {
            errors["from"] = ["Must be before 'to'."];
        }
        else if (end - start > (g == RollupPeriods.Hour ? MaxHourRange : MaxDayRange))
        {
            errors["from"] = [g == RollupPeriods.Hour ? "An hourly range spans at most 31 days." : "A daily range spans at most 3660 days."];
        }

        var names = string.IsNullOrEmpty(metrics)
            ? allowedMetrics.ToHashSet(StringComparer.Ordinal)
            : metrics.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).ToHashSet(StringComparer.Ordinal);
        if (names.Count == 0 || names.Any(n => !allowedMetrics.Contains(n)))
        {
            errors["metrics"] = [$"A comma-separated list of: {string.Join(", ", allowedMetrics)}."];
        }

        return errors.Count > 0 ? (null, errors) : (new AnalyticsQuery(g, start, end, names), errors);
    }

    private static DateTimeOffset? ParseTime(string? raw, string name, Dictionary<string, string[]> errors)
    {
        if (string.IsNullOrEmpty(raw))
        {
            return null;
        }

        if (DateTimeOffset.TryParse(raw, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var value)
            && value.Year is >= 1970 and <= 9999)
        {
            return value.ToUniversalTime();
        }

        errors[name] = ["An ISO 8601 date or time, e.g. 2026-01-31 or 2026-01-31T12:00:00Z."];
        return null;
    }
}
