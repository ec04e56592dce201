using System.Text.Json;
using System.Text.Json.Nodes;
using DevMentor.Core.Integrations.Remotes;
using DevMentor.Core.Integrations.Secrets;
using DevMentor.Core.Projects;
using DevMentor.Core.Security;
using DevMentor.Functions.Http;
using DevMentor.Functions.Json;
using Microsoft.Azure.Functions.Worker;

namespace DevMentor.Functions.Webhooks;

/// <summary>A project's link to its repository host: its own webhook secret, and the repository created with createRemote.</summary>
[Tags("Projects")]
public sealed class ProjectIntegrationFunctions(ProjectWebhookSecretService secrets, RemoteProvisioning remotes)
{
    [Function("GetProjectWebhookSecret")]
    public async Task<IResult> GetSecretStatusAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "projects/{id}/webhook-secret")] HttpRequest request, string id, CancellationToken cancellationToken)
    {
        var context = request.HttpContext;
        var outcome = await secrets.GetStatusAsync(Caller.From(context.User), id, cancellationToken);
        return outcome.Succeeded ? TypedResults.Ok(outcome.Value) : OutcomeResults.Problem(outcome);
    }

    /// <summary>Sets the secret from <c>{"secret": "…"}</c>, or generates one for an empty body; the old one stops working at once.</summary>
    [Function("SetProjectWebhookSecret")]
    public async Task<IResult> SetSecretAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "projects/{id}/webhook-secret")] HttpRequest request, string id, CancellationToken cancellationToken)
    {
        var context = request.HttpContext;
        string? supplied = null;
        if (context.Request.ContentLength is not 0 && (context.Request.ContentLength is > 0 || context.Request.ContentType is not null))
        {
            var (body, problem) = await JsonRequest.ReadAsync(context.Request, cancellationToken);
            if (problem is not null)
            {
                return problem;
            }

            if (body!.Node is not JsonObject root)
            {
                return JsonRequest.BadRequest("The body must be a JSON object {\"secret\": \"…\"}, or empty to have a secret generated.");
            }

            if (root.TryGetPropertyValue("secret", out var node) && node is not null)
            {
                supplied = ProjectInput.AsString(node);
                if (supplied is null)
                {
                    return OutcomeResults.Problem(Outcome<bool>.Invalid(new Dictionary<string, string[]> { ["secret"] = ["must be a string."] }));
                }
            }
        }

        var outcome = await secrets.SetAsync(Caller.From(context.User), id, supplied, cancellationToken);
        if (!outcome.Succeeded)
        {
            return OutcomeResults.Problem(outcome);
        }

        // The secret is in this answer only: keep it out of caches.
        context.Response.Headers.CacheControl = "no-store";
        return TypedResults.Ok(outcome.Value);
    }

    [Function("GetProjectRemote")]
    public async Task<IResult> GetRemoteAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "projects/{id}/remote")] HttpRequest request, string id, CancellationToken cancellationToken)
    {
        var context = request.HttpContext;
        var outcome = await remotes.GetAsync(Caller.From(context.User), id, cancellationToken);
        return outcome.Succeeded ? TypedResults.Ok(outcome.Value) : OutcomeResults.Problem(outcome);
    }

    /// <summary>200 with the state when the repository and hook now exist; 502 with GitHub's reason when it failed again (the state is kept).</summary>
    [Function("RetryProjectRemote")]
    public async Task<IResult> RetryRemoteAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "projects/{id}/remote/retry")] HttpRequest request, string id, CancellationToken cancellationToken)
    {
        var context = request.HttpContext;
        var outcome = await remotes.RetryAsync(Caller.From(context.User), id, cancellationToken);
        if (!outcome.Succeeded)
        {
            return OutcomeResults.Problem(outcome);
        }

        var state = outcome.Value!;
        return state.Status == "failed"
            ? TypedResults.Problem(statusCode: StatusCodes.Status502BadGateway, type: ProblemTypes.Unavailable, title: "GitHub refused or failed",
                detail: state.Error, extensions: new Dictionary<string, object?> { ["remote"] = state })
            : TypedResults.Ok(state);
    }

    /// <summary>The create answer: the project as always, plus <c>remote</c> and (first answer only) <c>webhookSecret</c> when createRemote was asked for.</summary>
    public static IResult Created(HttpContext context, CreatedWithRemote created)
    {
        var project = created.Created.Project;
        context.Response.Headers.ETag = project.ETag;
        if (created.Created.Replayed)
        {
            context.Response.Headers["Idempotent-Replayed"] = "true";
        }

        if (created.Remote is null)
        {
            return TypedResults.Created(created.Created.Location, project);
        }

        var answer = JsonSerializer.SerializeToNode(project, ProjectsJsonContext.Default.Project)!.AsObject();
        answer["remote"] = JsonSerializer.SerializeToNode(created.Remote, AppJsonContext.Default.RemoteState);
        if (created.WebhookSecret is not null)
        {
            answer["webhookSecret"] = created.WebhookSecret;
            context.Response.Headers.CacheControl = "no-store";
        }

        return TypedResults.Created(created.Created.Location, answer);
    }
}
