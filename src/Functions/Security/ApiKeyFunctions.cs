using System.Text.Json;
using System.Text.Json.Nodes;
using DevMentor.Core.Collaborators;
using DevMentor.Core.Projects;
using DevMentor.Core.Security;
using DevMentor.Functions.Http;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Azure.Functions.Worker;

namespace DevMentor.Functions.Security;

/// <summary>API keys, for platform admins: create (the key is shown once), list, revoke.</summary>
[Authorize(Policy = SecuritySetup.AdminPolicy)]
[Tags("ApiKeys")]
public sealed class ApiKeyFunctions(ApiKeyStore keys)
{
    /// <summary>Body: <c>{"name": "ci", "userId": "ci-bot", "admin": false}</c>; userId defaults to the caller.</summary>
    [Function("CreateApiKey")]
    public async Task<IResult> CreateAsync([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "apikeys")] HttpRequest request, CancellationToken cancellationToken)
    {
        var context = request.HttpContext;
        var (body, problem) = await JsonRequest.ReadAsync(context.Request, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        var caller = Caller.From(context.User);
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (body!.Node is not JsonObject json)
        {
            errors[""] = ["The body must be a JSON object."];
            return OutcomeResults.Problem(Outcome<bool>.Invalid(errors));
        }

        var name = String(json, "name", errors)?.Trim();
        if (name is null && !errors.ContainsKey("name"))
        {
            errors["name"] = ["is required."];
        }
        else if (name is not null && (name.Length is 0 or > ApiKeyStore.MaxNameLength || name.Any(char.IsControl)))
        {
            errors["name"] = [$"must be 1 to {ApiKeyStore.MaxNameLength} characters without control characters."];
        }

        var userId = String(json, "userId", errors) ?? caller.UserId!;
        if (!errors.ContainsKey("userId") && CollaboratorService.UserIdProblem(userId) is { } userProblem)
        {
            errors["userId"] = [userProblem];
        }

        var admin = false;
        if (json["admin"] is { } adminNode)
        {
            if (adminNode.GetValueKind() is JsonValueKind.True or JsonValueKind.False)
            {
                admin = adminNode.GetValue<bool>();
            }
            else
            {
                errors["admin"] = ["must be true or false."];
            }
        }

        if (errors.Count > 0)
        {
            return OutcomeResults.Problem(Outcome<bool>.Invalid(errors));
        }

        var created = await keys.CreateAsync(name!, userId, admin, caller.UserId, cancellationToken);
        return TypedResults.Created($"/apikeys/{created.Id}", created);
    }

    [Function("ListApiKeys")]
    public async Task<IResult> ListAsync([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "apikeys")] HttpRequest request, CancellationToken cancellationToken) =>
        ConditionalGet.JsonWithHashETag(request.HttpContext, JsonSerializer.SerializeToUtf8Bytes(new ApiKeyPage(await keys.ListAsync(cancellationToken)), ProjectsJsonContext.Default.ApiKeyPage));

    [Function("RevokeApiKey")]
    public async Task<IResult> RevokeAsync([HttpTrigger(AuthorizationLevel.Anonymous, "delete", Route = "apikeys/{id}")] HttpRequest request, string id, CancellationToken cancellationToken) =>
        Guid.TryParse(id, out var keyId) && await keys.RevokeAsync(keyId, cancellationToken)
            ? TypedResults.NoContent()
            : TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, type: ProblemTypes.NotFound, title: "Not found", detail: "No such API key.");

    private static string? String(JsonObject json, string property, Dictionary<string, string[]> errors)
    {
        if (json[property] is not { } node)
        {
            return null;
        }

        if (ProjectInput.AsString(node) is { } value)
        {
            return value;
        }

        errors[property] = ["must be a string of valid Unicode text."];
        return null;
    }
}
