using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using DevMentor.Core.Notifications;
using DevMentor.Core.Projects;
using DevMentor.Core.Security;
using DevMentor.Functions.Http;
using Microsoft.Azure.Functions.Worker;

namespace DevMentor.Functions.Notifications;

/// <summary>A project's notification targets (signed webhook, Slack-compatible webhook, email) and their deliveries; maintainers and owners.</summary>
[Tags("Notifications")]
public sealed class NotificationFunctions(NotificationService notifications)
{
    private static readonly string[] Fields = ["kind", "target", "events", "secret"];

    [Function("AddNotificationTarget")]
    public async Task<IResult> AddAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "projects/{id}/notifications")] HttpRequest request, string id, CancellationToken cancellationToken)
    {
        var (json, problem) = await JsonRequest.ReadAsync(request.HttpContext.Request, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        if (json!.Node is not JsonObject body)
        {
            return JsonRequest.BadRequest("The body must be a JSON object {\"kind\": \"webhook\", \"target\": \"https://…\", \"events\": [\"run.failed\"]}.");
        }

        var errors = new Dictionary<string, string[]>();
        foreach (var unknown in body.Select(p => p.Key).Where(k => !Fields.Contains(k)))
        {
            errors[unknown] = [$"Unknown field: the body takes {string.Join(", ", Fields)}."];
        }

        List<string>? events = null;
        if (body["events"] is JsonArray array && array.All(e => e is JsonValue v && v.TryGetValue<string>(out _)))
        {
            events = array.Select(e => e!.GetValue<string>()).ToList();
        }

        if (errors.Count > 0)
        {
            return OutcomeResults.Problem(Outcome<bool>.Invalid(errors));
        }

        var outcome = await notifications.AddAsync(Caller.From(request.HttpContext.User), id,
            new NewSubscription(Text(body["kind"]), Text(body["target"]), events, Text(body["secret"])), cancellationToken);
        if (!outcome.Succeeded)
        {
            return OutcomeResults.Problem(outcome);
        }

        var created = outcome.Value!;
        var resource = NotificationTargetResource.From(created.Subscription, created.Secret);
        return TypedResults.Created($"/projects/{created.Subscription.ProjectId}/notifications/{created.Subscription.Id}", resource);
    }

    [Function("ListNotificationTargets")]
    public async Task<IResult> ListAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "projects/{id}/notifications")] HttpRequest request, string id, CancellationToken cancellationToken)
    {
        var outcome = await notifications.ListAsync(Caller.From(request.HttpContext.User), id, cancellationToken);
        return outcome.Succeeded
            ? TypedResults.Json(new NotificationTargetList(outcome.Value!.Select(s => NotificationTargetResource.From(s, null)).ToList()), NotificationsJsonContext.Default.NotificationTargetList)
            : OutcomeResults.Problem(outcome);
    }

    [Function("DeleteNotificationTarget")]
    public async Task<IResult> DeleteAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "delete", Route = "projects/{id}/notifications/{targetId:guid}")] HttpRequest request, string id, Guid targetId, CancellationToken cancellationToken)
    {
        var outcome = await notifications.DeleteAsync(Caller.From(request.HttpContext.User), id, targetId, cancellationToken);
        return outcome.Succeeded ? TypedResults.NoContent() : OutcomeResults.Problem(outcome);
    }

    [Function("EnableNotificationTarget")]
    public async Task<IResult> EnableAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "projects/{id}/notifications/{targetId:guid}/enable")] HttpRequest request, string id, Guid targetId, CancellationToken cancellationToken)
    {
        var outcome = await notifications.EnableAsync(Caller.From(request.HttpContext.User), id, targetId, cancellationToken);
        return outcome.Succeeded ? TypedResults.NoContent() : OutcomeResults.Problem(outcome);
    }

    [Function("ListNotificationDeliveries")]
    public async Task<IResult> DeliveriesAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "projects/{id}/notifications/{targetId:guid}/deliveries")] HttpRequest request, string id, Guid targetId, CancellationToken cancellationToken)
    {
        var outcome = await notifications.DeliveriesAsync(Caller.From(request.HttpContext.User), id, targetId, cancellationToken);
        return outcome.Succeeded
            ? TypedResults.Json(new NotificationDeliveryList(outcome.Value!), NotificationsJsonContext.Default.NotificationDeliveryList)
            : OutcomeResults.Problem(outcome);
    }

    // A wrong JSON type reaches validation as null, which names the field.
    private static string? Text(JsonNode? node) => node is JsonValue v && v.TryGetValue<string>(out var s) ? s : node is null ? null : "\0invalid";
}

/// <param name="Target">An email address as given; a webhook or Slack URL only as scheme and host with a hint of the rest (it may carry a credential).</param>
/// <param name="SecretHint">Webhooks: the last four characters of the signing secret.</param>
/// <param name="Secret">Webhooks: a secret the service generated, shown once, in the answer that created the target.</param>
public sealed record NotificationTargetResource(
    Guid Id, string Kind, string Target, IReadOnlyList<string> Events, bool Enabled, int ConsecutiveFailures, string? DisabledReason, DateTimeOffset CreatedAt,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? SecretHint,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Secret)
{
    public static NotificationTargetResource From(NotificationSubscription s, string? secret) =>
        new(s.Id, s.Kind, s.Target, s.Events, s.Enabled, s.ConsecutiveFailures, s.DisabledReason, s.CreatedAt, s.SecretHint, secret);
}

public sealed record NotificationTargetList(IReadOnlyList<NotificationTargetResource> Items);

public sealed record NotificationDeliveryList(IReadOnlyList<NotificationDelivery> Items);

[JsonSourceGenerationOptions(System.Text.Json.JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(NotificationTargetResource))]
[JsonSerializable(typeof(NotificationTargetList))]
[JsonSerializable(typeof(NotificationDeliveryList))]
public sealed partial class NotificationsJsonContext : JsonSerializerContext;
