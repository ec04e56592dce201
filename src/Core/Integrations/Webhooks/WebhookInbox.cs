namespace DevMentor.Core.Integrations.Webhooks;

/// <summary>The part of every provider's intake after verification: check the request's shape, store, wake the worker.</summary>
public sealed class WebhookInbox(WebhookDeliveryStore deliveries, WebhookWorker worker, WebhookTelemetry telemetry)
{
    public async Task<WebhookIntakeResult> AcceptVerifiedAsync(
        string provider, Func<string, string?> header, string eventHeader, string deliveryHeader, IReadOnlyList<string> keptHeaders, byte[] body, Guid? verifiedProjectId, CancellationToken cancellationToken)
    {
        if (header("Content-Type") is not { } contentType || !contentType.StartsWith("application/json", StringComparison.OrdinalIgnoreCase))
        {
            telemetry.Received(provider, "unsupported_media_type");
            return new WebhookIntakeResult.UnsupportedMediaType("Set the webhook's content type to application/json.");
        }

        var eventName = header(eventHeader);
        var deliveryId = header(deliveryHeader);
        if (string.IsNullOrWhiteSpace(eventName) || string.IsNullOrWhiteSpace(deliveryId) || deliveryId.Length > 200 || eventName.Length > 100)
        {
            telemetry.Received(provider, "invalid");
            return new WebhookIntakeResult.Invalid($"{eventHeader} and {deliveryHeader} are required.");
        }

        var headers = keptHeaders.Select(h => (Name: h, Value: header(h))).Where(x => x.Value is not null).ToDictionary(x => x.Name, x => x.Value!);
        if (provider == "github" && eventName == "ping")
        {
            var ping = await deliveries.StoreAsync(provider, deliveryId, eventName, headers, body, "processed", "pong", verifiedProjectId, cancellationToken);
            telemetry.Received(provider, "ping");
            return new WebhookIntakeResult.Pong(ping.Id);
        }

        var stored = await deliveries.StoreAsync(provider, deliveryId, eventName, headers, body, null, null, verifiedProjectId, cancellationToken);
        if (!stored.Duplicate)
        {
            worker.Signal(stored.Id);
        }

        telemetry.Received(provider, stored.Duplicate ? "duplicate" : "accepted");
        return new WebhookIntakeResult.Accepted(stored.Id, deliveryId, stored.Duplicate);
    }
}
