using System.Globalization;
using DevMentor.Core.Projects;
using DevMentor.Core.Search;
using DevMentor.Core.Security;
using DevMentor.Functions.Http;
using Microsoft.Azure.Functions.Worker;

namespace DevMentor.Functions.Search;

/// <summary>GET /search over projects, tasks, file paths and code the caller may see.</summary>
[Tags("Search")]
public sealed class SearchFunctions(SearchService search)
{
    [Function("Search")]
    public async Task<IResult> SearchAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "search")] HttpRequest request, CancellationToken cancellationToken)
    {
        var query = request.Query;
        var errors = new Dictionary<string, string[]>();
        var text = query["q"].ToString();
        if (SearchService.Validate(text) is { } problem)
        {
            errors["q"] = [problem];
        }

        var type = query["type"].ToString() is { Length: > 0 } rawType ? rawType : SearchTypes.Project;
        if (!SearchTypes.All.Contains(type))
        {
            errors["type"] = [$"One of {string.Join(", ", SearchTypes.All)}."];
        }

        Guid? projectId = null;
        if (query["projectId"].ToString() is { Length: > 0 } rawProject)
        {
            projectId = Guid.TryParse(rawProject, out var parsed) ? parsed : null;
            if (projectId is null)
            {
                errors["projectId"] = ["A project id (UUID)."];
            }
        }

        var limit = 20;
        if (query["limit"].ToString() is { Length: > 0 } rawLimit &&
            (!int.TryParse(rawLimit, NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit is < 1 or > SearchService.MaxLimit))
        {
            errors["limit"] = [$"A whole number from 1 to {SearchService.MaxLimit}."];
        }

        var cursor = query["cursor"].ToString() is { Length: > 0 } rawCursor ? rawCursor : null;
        if (cursor is not null && !SearchService.IsCursor(cursor))
        {
            errors["cursor"] = ["Use the nextCursor of the previous page."];
        }

        if (errors.Count > 0)
        {
            return OutcomeResults.Problem(Outcome<bool>.Invalid(errors));
        }

        var page = await search.SearchAsync(Caller.From(request.HttpContext.User), new SearchQuery(text.Trim(), type, projectId, limit, cursor), cancellationToken);
        return TypedResults.Json(page, SearchJsonContext.Default.SearchPage);
    }
}
