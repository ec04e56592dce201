using System.Text.Json;
using System.Text.Json.Nodes;
using DevMentor.Core.Collaborators;
using DevMentor.Core.Projects;
using DevMentor.Core.Security;
using DevMentor.Functions.Http;

namespace DevMentor.Functions.Collaborators;

public static class CollaboratorFunctions
{
    public static IEndpointRouteBuilder MapCollaboratorFunctions(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/projects/{id}/collaborators").WithTags("Collaborators");
        group.MapGet("", ListAsync).WithName("ListCollaborators");
        group.MapPut("/{userId}", PutAsync).WithName("PutCollaborator");
        group.MapDelete("/{userId}", RemoveAsync).WithName("RemoveCollaborator");
        return routes;
    }

    public static async Task<IResult> ListAsync(string id, HttpContext context, CollaboratorService collaborators, CancellationToken cancellationToken)
    {
        var outcome = await collaborators.ListAsync(Caller.From(context.User), id, cancellationToken);
        return outcome.Succeeded
            ? ConditionalGet.JsonWithHashETag(context, JsonSerializer.SerializeToUtf8Bytes(outcome.Value!, ProjectsJsonContext.Default.CollaboratorPage))
            : OutcomeResults.Problem(outcome);
    }

    /// <summary>Adds a collaborator or changes their role: body <c>{"role": "developer"}</c>.</summary>
    public static async Task<IResult> PutAsync(string id, string userId, HttpContext context, CollaboratorService collaborators, CancellationToken cancellationToken)
    {
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

    public static async Task<IResult> RemoveAsync(string id, string userId, HttpContext context, CollaboratorService collaborators, CancellationToken cancellationToken)
    {
        var outcome = await collaborators.RemoveAsync(Caller.From(context.User), id, userId, cancellationToken);
        return outcome.Succeeded ? TypedResults.NoContent() : OutcomeResults.Problem(outcome);
    }
}
