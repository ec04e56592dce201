using DevMentor.Core.Analytics;
using DevMentor.Core.Projects;
using DevMentor.Core.Security;
using DevMentor.Functions.Http;
using DevMentor.Functions.Security;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Azure.Functions.Worker;

namespace DevMentor.Functions.Analytics;

/// <summary>
/// Rolled-up analytics (never raw rows): a project's builds, tests, DORA keys and code metrics for its members,
/// platform usage for platform admins. JSON by default, CSV on <c>Accept: text/csv</c>.
/// </summary>
[Tags("Analytics")]
public sealed class AnalyticsFunctions(AnalyticsService analytics, TimeProvider clock)
{
    [Function("GetProjectAnalytics")]
    public async Task<IResult> ProjectAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "projects/{id}/analytics")] HttpRequest request, string id, CancellationToken cancellationToken)
    {
        var (query, errors) = Parse(request, AnalyticsService.ProjectMetrics);
        var csv = Csv.Wanted(request);
        if (errors.Count > 0)
        {
            return OutcomeResults.Problem(Outcome<bool>.Invalid(errors));
        }

        if (csv && query!.Metrics.Count != 1)
        {
            // In the detail: a client asking for CSV may not be shown the errors member.
            return JsonRequest.BadRequest("CSV holds one metric set: name one of builds, tests, dora, code in metrics=.");
        }

        var outcome = await analytics.ProjectAsync(Caller.From(request.HttpContext.User), id, query!, cancellationToken);
        if (!outcome.Succeeded)
        {
            return OutcomeResults.Problem(outcome);
        }

        var resource = AnalyticsResources.From(outcome.Value!);
        return csv ? ProjectCsv(resource, query!.Metrics.Single()) : TypedResults.Json(resource, AnalyticsJsonContext.Default.ProjectAnalyticsResource);
    }

    [Function("GetPlatformUsage")]
    [Authorize(Policy = SecuritySetup.AdminPolicy)]
    public async Task<IResult> UsageAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "analytics/usage")] HttpRequest request, CancellationToken cancellationToken)
    {
        var (query, errors) = Parse(request, ["usage"]);
        if (errors.Count > 0)
        {
            return OutcomeResults.Problem(Outcome<bool>.Invalid(errors));
        }

        var outcome = await analytics.UsageAsync(Caller.From(request.HttpContext.User), query!, cancellationToken);
        if (!outcome.Succeeded)
        {
            return OutcomeResults.Problem(outcome);
        }

        var items = outcome.Value!.Select(AnalyticsResources.Usage).ToList();
        return Csv.Wanted(request)
            ? Csv.Result(["periodStart", "function", "userId", "apiKeyId", "statusClass", "requests", "latencyP50Ms", "latencyP95Ms"],
                items.Select(u => new object?[] { u.PeriodStart, u.Function, u.UserId, u.ApiKeyId, u.StatusClass, u.Requests, u.LatencyP50Ms, u.LatencyP95Ms }),
                "usage.csv")
            : TypedResults.Json(new UsageResource(query!.Granularity, query.From, query.To, items), AnalyticsJsonContext.Default.UsageResource);
    }

    private (AnalyticsQuery? Query, Dictionary<string, string[]> Errors) Parse(HttpRequest request, IReadOnlyList<string> metrics)
    {
        var q = request.Query;
        return AnalyticsService.Parse(q["granularity"].ToString(), q["from"].ToString(), q["to"].ToString(), q["metrics"].ToString(), metrics, clock.GetUtcNow());
    }

    private static IResult ProjectCsv(ProjectAnalyticsResource r, string metric) => metric switch
    {
        "builds" => Csv.Result(
            ["periodStart", "branch", "trigger", "runs", "succeeded", "failed", "canceled", "successRate", "durationP50Ms", "durationP95Ms", "queueP50Ms", "queueP95Ms"],
            r.Builds!.Select(b => new object?[] { b.PeriodStart, b.Branch, b.Trigger, b.Runs, b.Succeeded, b.Failed, b.Canceled, b.SuccessRate, b.DurationP50Ms, b.DurationP95Ms, b.QueueP50Ms, b.QueueP95Ms }),
            "builds.csv"),
        "tests" => Csv.Result(
            ["periodStart", "runs", "passed", "failed", "skipped", "passRate", "newFailures", "flakyTests", "lineCoverage"],
            r.Tests!.Select(t => new object?[] { t.PeriodStart, t.Runs, t.Passed, t.Failed, t.Skipped, t.PassRate, t.NewFailures, t.FlakyTests, t.LineCoverage }),
            "tests.csv"),
        "code" => Csv.Result(
            ["periodStart", "language", "commit", "files", "codeLines", "commentLines", "blankLines", "methods", "complexityTotal", "complexityAverage", "complexityMax"],
            r.Code!.Select(c => new object?[] { c.PeriodStart, c.Language, c.Commit, c.Files, c.CodeLines, c.CommentLines, c.BlankLines, c.Methods, c.ComplexityTotal, c.ComplexityAverage, c.ComplexityMax }),
            "code.csv"),
        _ => Csv.Result(
            ["periodStart", "environment", "deployments", "failedDeployments", "rollbacks", "changeFailureRate", "leadTimeP50Seconds", "leadTimeP95Seconds", "restores", "timeToRestoreP50Seconds", "timeToRestoreP95Seconds"],
            r.Dora!.Select(d => new object?[] { d.PeriodStart, d.Environment, d.Deployments, d.FailedDeployments, d.Rollbacks, d.ChangeFailureRate, d.LeadTimeP50Seconds, d.LeadTimeP95Seconds, d.Restores, d.TimeToRestoreP50Seconds, d.TimeToRestoreP95Seconds }),
            "dora.csv"),
    };
}
