using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using DevMentor.Core.Projects;
using DevMentor.Core.Retention;
using DevMentor.Core.Security;
using DevMentor.Functions.Http;
using Microsoft.Azure.Functions.Worker;

namespace DevMentor.Functions.Retention;

/// <summary>A project's retention (days per kind of data; null = the platform default).</summary>
[Tags("Retention")]
public sealed class RetentionFunctions(RetentionService retention)
{
    private static readonly string[] Fields = ["stepLogsDays", "artifactsDays", "runHistoryDays", "webhookDeliveriesDays"];

    [Function("GetProjectRetention")]
    public async Task<IResult> GetAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "projects/{id}/retention")] HttpRequest request, string id, CancellationToken cancellationToken) =>
        Answer(await retention.GetAsync(Caller.From(request.HttpContext.User), id, cancellationToken));

    [Function("SetProjectRetention")]
    public async Task<IResult> SetAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "put", Route = "projects/{id}/retention")] HttpRequest request, string id, CancellationToken cancellationToken)
    {
        var (json, problem) = await JsonRequest.ReadAsync(request.HttpContext.Request, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        if (json!.Node is not JsonObject body)
        {
            return JsonRequest.BadRequest("The body must be a JSON object such as {\"stepLogsDays\": 14, \"artifactsDays\": null}.");
        }

        var errors = new Dictionary<string, string[]>();
        foreach (var unknown in body.Select(p => p.Key).Where(k => !Fields.Contains(k)))
        {
            errors[unknown] = [$"Unknown field: the body takes {string.Join(", ", Fields)}."];
        }

        var days = new int?[Fields.Length];
        for (var i = 0; i < Fields.Length; i++)
        {
            var node = body[Fields[i]];
            if (node is null)
            {
                continue;
            }

            if (node is JsonValue v && v.TryGetValue<int>(out var n) && n is >= 1 and <= 36500)
            {
                days[i] = n;
            }
            else
            {
                errors[Fields[i]] = ["A whole number of days from 1 to 36500, or null for the platform default."];
            }
        }

        if (errors.Count > 0)
        {
            return OutcomeResults.Problem(Outcome<bool>.Invalid(errors));
        }

        return Answer(await retention.SetAsync(Caller.From(request.HttpContext.User), id, new ProjectRetention(days[0], days[1], days[2], days[3]), cancellationToken));
    }

    private static IResult Answer(Outcome<ProjectRetentionView> outcome) => outcome.Succeeded
        ? TypedResults.Json(outcome.Value!, RetentionJsonContext.Default.ProjectRetentionView)
        : OutcomeResults.Problem(outcome);
}

[JsonSourceGenerationOptions(System.Text.Json.JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(ProjectRetentionView))]
public sealed partial class RetentionJsonContext : JsonSerializerContext;
