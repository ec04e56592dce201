using System.Text.Json;
using System.Text.Json.Nodes;
using DevMentor.Core.Collaborators;
using DevMentor.Core.Projects;
using DevMentor.Core.Security;
using DevMentor.Functions.Http;
using Microsoft.Azure.Functions.Worker;

namespace DevMentor.Functions.Collaborators;

/// <summary>Invitations to a project: owners send and revoke them; the invitee accepts or declines within 7 days.</summary>
[Tags("Collaborators")]
public sealed class InvitationFunctions(InvitationService invitations)
{
    /// <summary>Body <c>{"userId": "…", "role": "developer"}</c>; a pending invitation to the same user is renewed (200).</summary>
    [Function("InviteCollaborator")]
    public async Task<IResult> InviteAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "projects/{id}/invitations")] HttpRequest request, string id, CancellationToken cancellationToken)
    {
        var (body, problem) = await JsonRequest.ReadAsync(request, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        if (body!.Node is not JsonObject json)
        {
            return OutcomeResults.Problem(Outcome<bool>.Invalid(new Dictionary<string, string[]> { [""] = ["The body must be a JSON object {\"userId\": …, \"role\": …}."] }));
        }

        var outcome = await invitations.InviteAsync(Caller.From(request.HttpContext.User), id,
            ProjectInput.AsString(json["userId"]), ProjectInput.AsString(json["role"]), cancellationToken);
        if (!outcome.Succeeded)
        {
            return OutcomeResults.Problem(outcome);
        }

        var (invitation, created) = outcome.Value;
        if (created)
        {
            request.HttpContext.Response.Headers.Location = $"/invitations/{invitation.Id}";
        }

        return TypedResults.Json(invitation, CollaboratorsJsonContext.Default.Invitation, statusCode: created ? StatusCodes.Status201Created : StatusCodes.Status200OK);
    }

    [Function("ListProjectInvitations")]
    public async Task<IResult> ListAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "projects/{id}/invitations")] HttpRequest request, string id, CancellationToken cancellationToken)
    {
        var outcome = await invitations.ListForProjectAsync(Caller.From(request.HttpContext.User), id, cancellationToken);
        return outcome.Succeeded
            ? ConditionalGet.JsonWithHashETag(request.HttpContext, JsonSerializer.SerializeToUtf8Bytes(outcome.Value!, CollaboratorsJsonContext.Default.InvitationPage))
            : OutcomeResults.Problem(outcome);
    }

    [Function("RevokeInvitation")]
    public async Task<IResult> RevokeAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "delete", Route = "projects/{id}/invitations/{invitationId}")] HttpRequest request, string id, string invitationId,
        CancellationToken cancellationToken)
    {
        if (!Guid.TryParse(invitationId, out var parsed))
        {
            return NoInvitation();
        }

        var outcome = await invitations.RevokeAsync(Caller.From(request.HttpContext.User), id, parsed, cancellationToken);
        return outcome.Succeeded ? TypedResults.NoContent() : OutcomeResults.Problem(outcome);
    }

    /// <summary>The caller's own pending invitations.</summary>
    [Function("ListMyInvitations")]
    public async Task<IResult> MineAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "invitations")] HttpRequest request, CancellationToken cancellationToken) =>
        ConditionalGet.JsonWithHashETag(request.HttpContext, JsonSerializer.SerializeToUtf8Bytes(
            await invitations.MineAsync(Caller.From(request.HttpContext.User), cancellationToken), CollaboratorsJsonContext.Default.InvitationPage));

    [Function("AcceptInvitation")]
    public Task<IResult> AcceptAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "invitations/{invitationId}/accept")] HttpRequest request, string invitationId, CancellationToken cancellationToken) =>
        RespondAsync(request, invitationId, accept: true, cancellationToken);

    [Function("DeclineInvitation")]
    public Task<IResult> DeclineAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "invitations/{invitationId}/decline")] HttpRequest request, string invitationId, CancellationToken cancellationToken) =>
        RespondAsync(request, invitationId, accept: false, cancellationToken);

    private async Task<IResult> RespondAsync(HttpRequest request, string invitationId, bool accept, CancellationToken cancellationToken)
    {
        if (!Guid.TryParse(invitationId, out var parsed))
        {
            return NoInvitation();
        }

        var outcome = await invitations.RespondAsync(Caller.From(request.HttpContext.User), parsed, accept, cancellationToken);
        return outcome.Succeeded ? TypedResults.Json(outcome.Value!, CollaboratorsJsonContext.Default.Invitation) : OutcomeResults.Problem(outcome);
    }

    private static IResult NoInvitation() => OutcomeResults.Problem(Outcome<bool>.Fail(OutcomeKind.NotFound, "No invitation with that id for you."));
}
