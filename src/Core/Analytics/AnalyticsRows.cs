namespace DevMentor.Core.Analytics;

public sealed record BuildRollup(
    DateTimeOffset PeriodStart, string Branch, string Trigger, int Runs, int Succeeded, int Failed, int Canceled,
    double? DurationP50Ms, double? DurationP95Ms, double? QueueP50Ms, double? QueueP95Ms)
{
    public double SuccessRate => Runs == 0 ? 0 : (double)Succeeded / Runs;
}

public sealed record TestRollup(
    DateTimeOffset PeriodStart, int Runs, long Passed, long Failed, long Skipped, int NewFailures, int FlakyTests, double? LineCoverage)
{
    /// <summary>Passed over passed and failed (skipped tests neither pass nor fail).</summary>
    public double? PassRate => Passed + Failed == 0 ? null : (double)Passed / (Passed + Failed);
}

public sealed record DoraRollup(
    DateTimeOffset PeriodStart, string Environment, int Deployments, int FailedDeployments, int Rollbacks,
    double? LeadTimeP50Seconds, double? LeadTimeP95Seconds, int Restores, double? RestoreP50Seconds, double? RestoreP95Seconds)
{
    /// <summary>Failed changes (failed deployments and rollbacks) over deployment attempts.</summary>
    public double? ChangeFailureRate => Deployments + FailedDeployments == 0
        ? null
        : Math.Min(1, (double)(FailedDeployments + Rollbacks) / (Deployments + FailedDeployments));
}

public sealed record UsageRollup(
    DateTimeOffset PeriodStart, string FunctionName, string? UserId, string? ApiKeyId, string StatusClass, long Requests,
    double LatencyP50Ms, double LatencyP95Ms);

/// <summary>One language of the code as of the last commit synced in the period.</summary>
public sealed record CodeRollup(
    DateTimeOffset PeriodStart, string Language, string CommitSha, int Files, long CodeLines, long CommentLines, long BlankLines,
    int Methods, long? ComplexityTotal, double? ComplexityAverage, int? ComplexityMax);

public sealed record ProjectAnalytics(
    Guid ProjectId, string Granularity, DateTimeOffset From, DateTimeOffset To,
    IReadOnlyList<BuildRollup>? Builds, IReadOnlyList<TestRollup>? Tests, IReadOnlyList<DoraRollup>? Dora, IReadOnlyList<CodeRollup>? Code = null);

/// <summary>What to read: a granularity, a half-open range of period starts, and which metric sets.</summary>
public sealed record AnalyticsQuery(string Granularity, DateTimeOffset From, DateTimeOffset To, IReadOnlySet<string> Metrics);
