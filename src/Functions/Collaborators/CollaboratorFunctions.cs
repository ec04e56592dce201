using System.Text.Json;
using System.Text.Json.Nodes;
using DevMentor.Core.Collaborators;
using DevMentor.Core.Projects;
using DevMentor.Core.Security;
using DevMentor.Functions.Http;
using Microsoft.Azure.Functions.Worker;

namespace DevMentor.Functions.Collaborators;

[Tags("Collaborators")]
public sealed class CollaboratorFunctions(CollaboratorService collaborators)
{
    [Function("ListCollaborators")]
    public async Task<IResult> ListAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "projects/{id}/collaborators")] HttpRequest request, string id, CancellationToken cancellationToken)
    {
        var context = request.HttpContext;
        var outcome = await collaborators.ListAsync(Caller.From(context.User), id, cancellationToken);
        return outcome.Succeeded
            ? ConditionalGet.JsonWithHashETag(context, JsonSerializer.SerializeToUtf8Bytes(outcome.Value!, CollaboratorsJsonContext.Default.CollaboratorPage))
            : OutcomeResults.Problem(outcome);
    }

    /// <summary>Adds a collaborator or changes their role: body <c>{"role": "developer"}</c>.</summary>
    [Function("PutCollaborator")]
    public async Task<IResult> PutAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "put", Route = "projects/{id}/collaborators/{userId}")] HttpRequest request, string id, string userId, CancellationToken cancellationToken)
    {
        var context = request.HttpContext;
        var (body, problem) = await JsonRequest.ReadAsync(context.Request, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        if (body!.Node is not JsonObject json)
        {
            return OutcomeResults.Problem(Outcome<bool>.Invalid(new Dictionary<string, string[]> { [""] = ["The body must be a JSON object {\"role\": …}."] }));
        }

        var role = ProjectInput.AsString(json["role"]);
        var outcome = await collaborators.PutAsync(Caller.From(context.User), id, userId, role, cancellationToken);
        if (!outcome.Succeeded)
        {
            return OutcomeResults.Problem(outcome);
        }

        var collaborator = outcome.Value!.Collaborator;
        return outcome.Kind == OutcomeKind.Created
            ? TypedResults.Created($"/projects/{Uri.EscapeDataString(id)}/collaborators/{Uri.EscapeDataString(userId)}", collaborator)
            : TypedResults.Ok(collaborator);
    }

    [Function("RemoveCollaborator")]
    public async Task<IResult> RemoveAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "delete", Route = "projects/{id}/collaborators/{userId}")] HttpRequest request, string id, string userId, CancellationToken cancellationToken)
    {
        var context = request.HttpContext;
        var outcome = await collaborators.RemoveAsync(Caller.From(context.User), id, userId, cancellationToken);
        return outcome.Succeeded ? TypedResults.NoContent() : OutcomeResults.Problem(outcome);
    }
}
