using System.Text.Json;
using System.Text.Json.Serialization;
using DevMentor.Core.Analytics;

namespace DevMentor.Functions.Analytics;

/// <summary>GET /projects/{id}/analytics: the metric sets asked for (the others are absent), each a list of periods.</summary>
public sealed record ProjectAnalyticsResource(
    Guid ProjectId,
    string Granularity,
    DateTimeOffset From,
    DateTimeOffset To,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<BuildPeriod>? Builds,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<TestPeriod>? Tests,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<DoraPeriod>? Dora,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<CodePeriod>? Code = null);

/// <summary>One language of the code as of the last commit synced in the period (complexity: C# methods).</summary>
public sealed record CodePeriod(
    DateTimeOffset PeriodStart, string Language, string Commit, int Files, long CodeLines, long CommentLines, long BlankLines,
    int Methods, long? ComplexityTotal, double? ComplexityAverage, int? ComplexityMax);

public sealed record BuildPeriod(
    DateTimeOffset PeriodStart, string Branch, string Trigger, int Runs, int Succeeded, int Failed, int Canceled, double SuccessRate,
    double? DurationP50Ms, double? DurationP95Ms, double? QueueP50Ms, double? QueueP95Ms);

public sealed record TestPeriod(
    DateTimeOffset PeriodStart, int Runs, long Passed, long Failed, long Skipped, double? PassRate, int NewFailures, int FlakyTests, double? LineCoverage);

public sealed record DoraPeriod(
    DateTimeOffset PeriodStart, string Environment, int Deployments, int FailedDeployments, int Rollbacks, double? ChangeFailureRate,
    double? LeadTimeP50Seconds, double? LeadTimeP95Seconds, int Restores, double? TimeToRestoreP50Seconds, double? TimeToRestoreP95Seconds);

/// <summary>GET /analytics/usage.</summary>
public sealed record UsageResource(string Granularity, DateTimeOffset From, DateTimeOffset To, IReadOnlyList<UsagePeriod> Items);

public sealed record UsagePeriod(
    DateTimeOffset PeriodStart, string Function, string? UserId, string? ApiKeyId, string StatusClass, long Requests, double LatencyP50Ms, double LatencyP95Ms);

public static class AnalyticsResources
{
    public static ProjectAnalyticsResource From(ProjectAnalytics a) => new(
        a.ProjectId, a.Granularity, a.From, a.To,
        a.Builds?.Select(Build).ToList(),
        a.Tests?.Select(Test).ToList(),
        a.Dora?.Select(Dora).ToList(),
        a.Code?.Select(Code).ToList());

    public static CodePeriod Code(CodeRollup c) => new(
        c.PeriodStart, c.Language, c.CommitSha, c.Files, c.CodeLines, c.CommentLines, c.BlankLines, c.Methods, c.ComplexityTotal, c.ComplexityAverage, c.ComplexityMax);

    public static BuildPeriod Build(BuildRollup b) => new(
        b.PeriodStart, b.Branch, b.Trigger, b.Runs, b.Succeeded, b.Failed, b.Canceled, b.SuccessRate, b.DurationP50Ms, b.DurationP95Ms, b.QueueP50Ms, b.QueueP95Ms);

    public static TestPeriod Test(TestRollup t) => new(
        t.PeriodStart, t.Runs, t.Passed, t.Failed, t.Skipped, t.PassRate, t.NewFailures, t.FlakyTests, t.LineCoverage);

    public static DoraPeriod Dora(DoraRollup d) => new(
        d.PeriodStart, d.Environment, d.Deployments, d.FailedDeployments, d.Rollbacks, d.ChangeFailureRate,
        d.LeadTimeP50Seconds, d.LeadTimeP95Seconds, d.Restores, d.RestoreP50Seconds, d.RestoreP95Seconds);

    public static UsagePeriod Usage(UsageRollup u) => new(
        u.PeriodStart, u.FunctionName, u.UserId, u.ApiKeyId, u.StatusClass, u.Requests, u.LatencyP50Ms, u.LatencyP95Ms);
}

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(ProjectAnalyticsResource))]
[JsonSerializable(typeof(UsageResource))]
public sealed partial class AnalyticsJsonContext : JsonSerializerContext;
