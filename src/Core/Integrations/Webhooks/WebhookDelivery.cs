namespace DevMentor.Core.Integrations.Webhooks;

/// <summary>A delivery as received: raw bytes kept so processing (and re-processing) sees exactly what was signed.</summary>
/// <param name="VerifiedProjectId">Set when the delivery was verified with that project's own secret (not the global one): it may affect that project only.</param>
/// <param name="TraceParent">The span of the request that delivered it (W3C traceparent), the parent of its processing span.</param>
public sealed record WebhookDelivery(
    Guid Id,
    string Provider,
    string DeliveryId,
    string Event,
    IReadOnlyDictionary<string, string> Headers,
    byte[] Payload,
    DateTimeOffset ReceivedAt,
    string Status,
    int Attempts,
    string? Outcome,
    Guid? VerifiedProjectId = null,
    string? TraceParent = null);

/// <summary>How handling a delivery ended; <see cref="Status"/> is stored as the delivery's status.</summary>
public sealed record WebhookOutcome(string Status, string Summary)
{
    public static WebhookOutcome Processed(string summary) => new("processed", summary);
    public static WebhookOutcome Ignored(string summary) => new("ignored", summary);
    public static WebhookOutcome Failed(string summary) => new("failed", summary);

    /// <summary>The payload is not what the sender documents: processing it again cannot help.</summary>
    public static WebhookOutcome Invalid(string reason) => new("invalid", reason.Length > MaxReasonLength ? reason[..MaxReasonLength] + "…" : reason);

    private const int MaxReasonLength = 500;
}

/// <summary>Handles the deliveries of one provider (github, gitlab).</summary>
public interface IWebhookEventHandler
{
    string Provider { get; }

    Task<WebhookOutcome> HandleAsync(WebhookDelivery delivery, CancellationToken cancellationToken);
}
