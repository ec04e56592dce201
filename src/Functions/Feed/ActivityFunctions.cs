using System.Text.Json;
using DevMentor.Core.Activity;
using DevMentor.Core.Projects;
using DevMentor.Core.Security;
using DevMentor.Functions.Http;
using Microsoft.Azure.Functions.Worker;

namespace DevMentor.Functions.Feed;

[Tags("Activity")]
public sealed class ActivityFunctions(ActivityFeed feed)
{
    /// <summary>What happened in the project, newest first: created, pushed, built, deployed, task and collaborator changes, invitations.</summary>
    [Function("ListActivity")]
    public async Task<IResult> ListAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "projects/{id}/activity")] HttpRequest request, string id, CancellationToken cancellationToken)
    {
        var (limit, before, errors) = ActivityFeed.Parse(request.Query["limit"], request.Query["cursor"]);
        if (errors.Count > 0)
        {
            return OutcomeResults.Problem(Outcome<ActivityPage>.Invalid(errors));
        }

        var outcome = await feed.ListAsync(Caller.From(request.HttpContext.User), id, limit, before, cancellationToken);
        return outcome.Succeeded
            ? ConditionalGet.JsonWithHashETag(request.HttpContext, JsonSerializer.SerializeToUtf8Bytes(outcome.Value!, ActivityJsonContext.Default.ActivityPage))
            : OutcomeResults.Problem(outcome);
    }
}
