using DevMentor.Core.Integrations.GitHub;
using DevMentor.Core.Integrations.GitLab;
using DevMentor.Core.Integrations.Webhooks;
using DevMentor.Functions.Http;
using DevMentor.Functions.Security;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Azure.Functions.Worker;
using Microsoft.AspNetCore.Http.HttpResults;

namespace DevMentor.Functions.Webhooks;

/// <summary>
/// Repository webhooks: authenticated by their signature or token, not by user credentials; GitHub
/// sends from a few shared addresses, so no per-IP limit. Operators (platform admins) may look at a
/// stored delivery or run it through processing again.
/// </summary>
[Tags("Webhooks")]
public sealed class WebhookFunctions(WebhookDeliveryStore deliveries, WebhookProcessor processor, GitHubWebhookIntake gitHub, GitLabWebhookIntake gitLab)
{
    /// <summary>GitHub caps payloads at 25 MB.</summary>
    public const long MaxPayloadBytes = 25L * 1024 * 1024;

    [Function("GetWebhookDelivery")]
    [Authorize(Policy = SecuritySetup.AdminPolicy)]
    public async Task<Results<Ok<WebhookDeliveryView>, NotFound<ProblemDetails>>> GetDeliveryAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "webhooks/deliveries/{id:guid}")] HttpRequest request, Guid id, CancellationToken cancellationToken) =>
        await deliveries.GetAsync(id, cancellationToken) is { } delivery
            ? TypedResults.Ok(WebhookDeliveryView.From(delivery))
            : DeliveryNotFound(id);

    /// <summary>Processes the delivery again now (runs it started before are not started twice: they carry the delivery's idempotency key).</summary>
    [Function("ReprocessWebhookDelivery")]
    [Authorize(Policy = SecuritySetup.AdminPolicy)]
    public async Task<Results<Ok<WebhookDeliveryView>, NotFound<ProblemDetails>, ProblemHttpResult>> ReprocessAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "webhooks/deliveries/{id:guid}/reprocess")] HttpRequest request, Guid id, CancellationToken cancellationToken)
    {
        if (await deliveries.GetAsync(id, cancellationToken) is null)
        {
            return DeliveryNotFound(id);
        }

        if (!await deliveries.RequeueAsync(id, cancellationToken) || !await processor.ProcessAsync(id, cancellationToken))
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, type: ProblemTypes.Conflict,
                title: "Delivery is being processed", detail: $"Delivery {id} is being processed right now; try again when it has finished.");
        }

        return TypedResults.Ok(WebhookDeliveryView.From((await deliveries.GetAsync(id, cancellationToken))!));
    }

    private static NotFound<ProblemDetails> DeliveryNotFound(Guid id) => TypedResults.NotFound(new ProblemDetails
    {
        Status = StatusCodes.Status404NotFound,
        Type = ProblemTypes.NotFound,
        Title = "Delivery not found",
        Detail = $"No webhook delivery has id {id}.",
    });

    [Function("GitHubWebhook")]
    [AllowAnonymous]
    [DisableRateLimiting]
    [RequestSizeLimit(MaxPayloadBytes)]
    public async Task<Results<Ok<WebhookAnswer>, Accepted<WebhookAnswer>, ProblemHttpResult>> GitHubAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "webhooks/github")] HttpRequest request, CancellationToken cancellationToken) =>
        ProjectHint(request, out var project) is { } bad
            ? bad
            : Map(await gitHub.AcceptAsync(Header(request), project, await ReadBodyAsync(request, cancellationToken), cancellationToken));

    [Function("GitLabWebhook")]
    [AllowAnonymous]
    [DisableRateLimiting]
    [RequestSizeLimit(MaxPayloadBytes)]
    public async Task<Results<Ok<WebhookAnswer>, Accepted<WebhookAnswer>, ProblemHttpResult>> GitLabAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "webhooks/gitlab")] HttpRequest request, CancellationToken cancellationToken) =>
        ProjectHint(request, out var project) is { } bad
            ? bad
            : Map(await gitLab.AcceptAsync(Header(request), project, await ReadBodyAsync(request, cancellationToken), cancellationToken));

    /// <summary>A project's own hook URL ends in <c>?project=&lt;id&gt;</c>: it says which project secret to try.</summary>
    private static ProblemHttpResult? ProjectHint(HttpRequest request, out Guid? project)
    {
        project = null;
        if (!request.Query.TryGetValue("project", out var values))
        {
            return null;
        }

        if (values.Count == 1 && Guid.TryParse(values[0], out var id))
        {
            project = id;
            return null;
        }

        return TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, type: ProblemTypes.BadRequest,
            title: "Malformed webhook URL", detail: "?project= must be one project id (a UUID), as in the hook URL the project's webhook-secret endpoint gives.");
    }

    private static Func<string, string?> Header(HttpRequest request) =>
        name => request.Headers.TryGetValue(name, out var value) ? value.ToString() : null;

    private static Results<Ok<WebhookAnswer>, Accepted<WebhookAnswer>, ProblemHttpResult> Map(WebhookIntakeResult result) => result switch
    {
        WebhookIntakeResult.Unauthorized unauthorized => TypedResults.Problem(
            statusCode: StatusCodes.Status401Unauthorized, type: ProblemTypes.Unauthorized, title: "Webhook signature rejected", detail: unauthorized.Reason),
        WebhookIntakeResult.UnsupportedMediaType unsupported => TypedResults.Problem(
            statusCode: StatusCodes.Status415UnsupportedMediaType, type: ProblemTypes.UnsupportedMediaType, title: "Webhook content type not supported", detail: unsupported.Reason),
        WebhookIntakeResult.Invalid invalid => TypedResults.Problem(
            statusCode: StatusCodes.Status400BadRequest, type: ProblemTypes.BadRequest, title: "Malformed webhook delivery", detail: invalid.Reason),
        WebhookIntakeResult.Pong pong => TypedResults.Ok(new WebhookAnswer(pong.Id, null, "pong", false)),
        WebhookIntakeResult.Accepted accepted => TypedResults.Accepted((string?)null,
            new WebhookAnswer(accepted.Id, accepted.DeliveryId, accepted.Duplicate ? "duplicate" : "accepted", accepted.Duplicate)),
        _ => throw new InvalidOperationException($"Unexpected intake result {result.GetType().Name}."),
    };

    private static async Task<byte[]> ReadBodyAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream(request.ContentLength is > 0 and < MaxPayloadBytes ? (int)request.ContentLength : 16 * 1024);
        await request.Body.CopyToAsync(buffer, cancellationToken);
        return buffer.ToArray();
    }
}

/// <summary>A stored delivery as operators see it (headers and outcome; the payload stays in the database).</summary>
public sealed record WebhookDeliveryView(Guid Id, string Provider, string DeliveryId, string Event, DateTimeOffset ReceivedAt, string Status, int Attempts, string? Outcome, IReadOnlyDictionary<string, string> Headers)
{
    public static WebhookDeliveryView From(WebhookDelivery d) => new(d.Id, d.Provider, d.DeliveryId, d.Event, d.ReceivedAt, d.Status, d.Attempts, d.Outcome, d.Headers);
}

/// <param name="Id">The stored delivery's id (for the admin re-process action).</param>
public sealed record WebhookAnswer(Guid Id, string? DeliveryId, string Status, bool Duplicate);
