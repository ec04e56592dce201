using System.Globalization;
using DevMentor.Core.Pipelines.Artifacts;
using DevMentor.Core.Pipelines.Results;
using DevMentor.Core.Projects;
using DevMentor.Core.Security;
using DevMentor.Functions.Http;
using Microsoft.Net.Http.Headers;
using Microsoft.Azure.Functions.Worker;

namespace DevMentor.Functions.Pipelines;

/// <summary>A run's test results and artifacts (DESIGN.md section 6): viewers and above may read them.</summary>
[Tags("Builds")]
public sealed class BuildOutputFunctions(BuildOutputService outputs)
{
    [Function("GetBuildTests")]
    public async Task<IResult> TestsAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "projects/{id}/builds/{runId:guid}/tests")] HttpRequest request, string id, Guid runId, CancellationToken cancellationToken)
    {
        var context = request.HttpContext;
        var query = request.Query;
        var errors = new Dictionary<string, string[]>();
        var limit = 100;
        if (query["limit"].ToString() is { Length: > 0 } rawLimit && (!int.TryParse(rawLimit, NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit is < 1 or > 1000))
        {
            errors["limit"] = ["A whole number from 1 to 1000."];
        }

        long? after = null;
        if (query["cursor"].ToString() is { Length: > 0 } rawCursor)
        {
            if (long.TryParse(rawCursor, NumberStyles.None, CultureInfo.InvariantCulture, out var cursor) && cursor > 0)
            {
                after = cursor;
            }
            else
            {
                errors["cursor"] = ["Use the nextCursor of the previous page."];
            }
        }

        Core.Pipelines.Reports.TestOutcome? outcome = null;
        if (query["outcome"].ToString() is { Length: > 0 } rawOutcome)
        {
            if (TestResultStore.TryParseOutcome(rawOutcome, out var parsed))
            {
                outcome = parsed;
            }
            else
            {
                errors["outcome"] = ["One of passed, failed, skipped."];
            }
        }

        if (errors.Count > 0)
        {
            return OutcomeResults.Problem(Outcome<bool>.Invalid(errors));
        }

        var result = await outputs.TestsAsync(Caller.From(context.User), id, runId, outcome, after, limit, cancellationToken);
        if (!result.Succeeded)
        {
            return OutcomeResults.Problem(result);
        }

        var (summary, page) = result.Value!;
        return TypedResults.Json(new BuildTests(
            summary?.Passed ?? 0, summary?.Failed ?? 0, summary?.Skipped ?? 0, summary?.Coverage, summary?.BranchCoverage,
            page.Items.Select(t => new BuildTestItem(t.Step, t.Suite, t.Name, TestResultStore.OutcomeName(t.Outcome), t.DurationMs, t.Message)).ToList(),
            page.NextCursor?.ToString(CultureInfo.InvariantCulture)), BuildsJsonContext.Default.BuildTests);
    }

    [Function("ListBuildArtifacts")]
    public async Task<IResult> ArtifactsAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "projects/{id}/builds/{runId:guid}/artifacts")] HttpRequest request, string id, Guid runId, CancellationToken cancellationToken)
    {
        var context = request.HttpContext;
        var result = await outputs.ArtifactsAsync(Caller.From(context.User), id, runId, cancellationToken);
        if (!result.Succeeded)
        {
            return OutcomeResults.Problem(result);
        }

        var baseUri = $"/projects/{Uri.EscapeDataString(id)}/builds/{runId}/artifacts/";
        return TypedResults.Json(new BuildArtifacts(result.Value!.Select(a => new BuildArtifact(
            a.Name, a.Size, a.Sha256, a.ContentType, a.Step, a.CreatedAt, baseUri + string.Join('/', a.Name.Split('/').Select(Uri.EscapeDataString)))).ToList()),
            BuildsJsonContext.Default.BuildArtifacts);
    }

    [Function("DownloadBuildArtifact")]
    public async Task<IResult> DownloadAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "projects/{id}/builds/{runId:guid}/artifacts/{*name}")] HttpRequest request, string id, Guid runId, string? name, CancellationToken cancellationToken)
    {
        var context = request.HttpContext;
        // The server leaves %2F encoded in the path: an encoded slash means the same artifact (and the same checks).
        name = name?.Replace("%2F", "/", StringComparison.OrdinalIgnoreCase);
        if (ArtifactNames.Check(name) is { } problem)
        {
            return OutcomeResults.Problem(Outcome<bool>.Invalid(new Dictionary<string, string[]> { ["name"] = [problem] }));
        }

        var result = await outputs.OpenArtifactAsync(Caller.From(context.User), id, runId, name!, cancellationToken);
        if (!result.Succeeded)
        {
            return OutcomeResults.Problem(result);
        }

        var (info, content) = result.Value;
        var etag = new EntityTagHeaderValue($"\"{info.Sha256}\"");
        if (context.Request.Headers.IfNoneMatch.ToString() is { Length: > 0 } ifNoneMatch &&
            (ifNoneMatch.Trim() == "*" || ifNoneMatch.Split(',').Any(tag => tag.Trim() == etag.Tag.ToString())))
        {
            await content.DisposeAsync();
            context.Response.Headers.ETag = etag.ToString();
            return TypedResults.StatusCode(StatusCodes.Status304NotModified);
        }

        context.Response.ContentLength = info.Size;
        context.Response.Headers.CacheControl = "private, max-age=31536000, immutable";
        return TypedResults.Stream(content, info.ContentType, fileDownloadName: info.Name.Split('/')[^1], entityTag: etag);
    }
}
