using DevMentor.Core.Integrations.GitHub;
using DevMentor.Core.Integrations.GitLab;
using DevMentor.Core.Integrations.Webhooks;
using DevMentor.Functions.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace DevMentor.Functions.Webhooks;

/// <summary>Repository webhooks: authenticated by their signature or token, not by user credentials.</summary>
public static class WebhookFunctions
{
    /// <summary>GitHub caps payloads at 25 MB.</summary>
    public const long MaxPayloadBytes = 25L * 1024 * 1024;

    public static IEndpointRouteBuilder MapWebhookFunctions(this IEndpointRouteBuilder routes)
    {
        // Signature or token auth, not user auth; GitHub sends from a few shared addresses, so no per-IP limit.
        var group = routes.MapGroup("/webhooks").WithTags("Webhooks").AllowAnonymous().DisableRateLimiting();
        group.MapPost("/github", GitHubAsync).WithName("GitHubWebhook").WithRequestBodyLimit(MaxPayloadBytes);
        group.MapPost("/gitlab", GitLabAsync).WithName("GitLabWebhook").WithRequestBodyLimit(MaxPayloadBytes);
        return routes;
    }

    public static async Task<Results<Ok<WebhookAnswer>, Accepted<WebhookAnswer>, ProblemHttpResult>> GitHubAsync(
        HttpRequest request, GitHubWebhookIntake intake, CancellationToken cancellationToken) =>
        Map(await intake.AcceptAsync(Header(request), await ReadBodyAsync(request, cancellationToken), cancellationToken));

    public static async Task<Results<Ok<WebhookAnswer>, Accepted<WebhookAnswer>, ProblemHttpResult>> GitLabAsync(
        HttpRequest request, GitLabWebhookIntake intake, CancellationToken cancellationToken) =>
        Map(await intake.AcceptAsync(Header(request), await ReadBodyAsync(request, cancellationToken), cancellationToken));

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

/// <param name="Id">The stored delivery's id (for the admin re-process action).</param>
public sealed record WebhookAnswer(Guid Id, string? DeliveryId, string Status, bool Duplicate);
