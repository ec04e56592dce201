using System.Text.Json;
using DevMentor.Core.Creation;
using DevMentor.Core.Projects;
using DevMentor.Core.Security;
using DevMentor.Functions.Http;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;

namespace DevMentor.Functions.Projects;

/// <summary>The creation flow of a project made from a template: its status, and the retry of a failed step.</summary>
[Tags("Projects")]
public sealed class CreationFunctions(ProjectCreationService creations)
{
    [Function("GetProjectCreation")]
    public async Task<IResult> GetAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "projects/{id}/creation")] HttpRequest request, string id, CancellationToken cancellationToken)
    {
        var outcome = await creations.GetAsync(Caller.From(request.HttpContext.User), id, cancellationToken);
        return outcome.Succeeded ? TypedResults.Json(outcome.Value!, CreationJsonContext.Default.ProjectCreation) : OutcomeResults.Problem(outcome);
    }

    [Function("RetryProjectCreation")]
    public async Task<IResult> RetryAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "projects/{id}/creation/retry")] HttpRequest request, string id,
        [DurableClient] DurableTaskClient durable, CancellationToken cancellationToken)
    {
        var outcome = await creations.RetryAsync(Caller.From(request.HttpContext.User), id, durable, cancellationToken);
        if (!outcome.Succeeded)
        {
            return OutcomeResults.Problem(outcome);
        }

        request.HttpContext.Response.Headers.Location = ProjectCreationService.StatusLocationOf(outcome.Value!.ProjectId);
        return TypedResults.Json(outcome.Value, CreationJsonContext.Default.ProjectCreation, statusCode: StatusCodes.Status202Accepted);
    }

    /// <summary>202: the project (as a create answers it) with its flow under <c>creation</c> (and a GitHub or GitLab project's new <c>webhookSecret</c>); Location is the flow's status.</summary>
    public static IResult Accepted(HttpContext context, CreationAccepted accepted)
    {
        context.Response.Headers.ETag = accepted.Project.ETag;
        if (accepted.Replayed)
        {
            context.Response.Headers["Idempotent-Replayed"] = "true";
        }

        var answer = JsonSerializer.SerializeToNode(accepted.Project, ProjectsJsonContext.Default.Project)!.AsObject();
        answer["creation"] = JsonSerializer.SerializeToNode(accepted.Creation, CreationJsonContext.Default.ProjectCreation);
        if (accepted.WebhookSecret is not null)
        {
            answer["webhookSecret"] = accepted.WebhookSecret; // shown once, as createRemote does
        }

        context.Response.Headers.Location = ProjectCreationService.StatusLocationOf(accepted.Project.Id);
        return TypedResults.Json(answer, Json.AppJsonContext.Default.JsonObject, statusCode: StatusCodes.Status202Accepted);
    }
}
