using Microsoft.Extensions.Logging;

namespace DevMentor.Core.Integrations.Webhooks;

/// <summary>
/// Processes stored deliveries. A handler that throws leaves the delivery failed with the error;
/// a crash mid-way leaves it 'processing' until its lease ends, then it is taken up again.
/// </summary>
public sealed partial class WebhookProcessor(
    WebhookDeliveryStore deliveries,
    IEnumerable<IWebhookEventHandler> handlers,
    ILogger<WebhookProcessor> logger)
{
    private readonly Dictionary<string, IWebhookEventHandler> _handlers = handlers.ToDictionary(h => h.Provider, StringComparer.Ordinal);

    /// <summary>Processes waiting deliveries until none is left; returns how many were processed.</summary>
    public async Task<int> ProcessWaitingAsync(CancellationToken cancellationToken)
    {
        var count = 0;
        while (await deliveries.ClaimAsync(null, cancellationToken) is { } delivery)
        {
            await ProcessClaimedAsync(delivery, cancellationToken);
            count++;
        }

        return count;
    }

    /// <summary>Processes one delivery if it is waiting; false when it was not (done already, or being processed).</summary>
    public async Task<bool> ProcessAsync(Guid id, CancellationToken cancellationToken)
    {
        if (await deliveries.ClaimAsync(id, cancellationToken) is not { } delivery)
        {
            return false;
        }

        await ProcessClaimedAsync(delivery, cancellationToken);
        return true;
    }

    private async Task ProcessClaimedAsync(WebhookDelivery delivery, CancellationToken cancellationToken)
    {
        WebhookOutcome outcome;
        try
        {
            outcome = _handlers.TryGetValue(delivery.Provider, out var handler)
                ? await handler.HandleAsync(delivery, cancellationToken)
                : WebhookOutcome.Ignored($"no handler for provider {delivery.Provider}");
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            LogFailed(logger, e, delivery.Provider, delivery.DeliveryId);
            outcome = WebhookOutcome.Failed($"{e.GetType().Name}: {e.Message}");
        }

        await deliveries.CompleteAsync(delivery.Id, outcome, CancellationToken.None);
        LogProcessed(logger, delivery.Provider, delivery.Event, delivery.DeliveryId, outcome.Status, outcome.Summary);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Webhook {Provider} {Event} {DeliveryId}: {Status} ({Summary})")]
    private static partial void LogProcessed(ILogger logger, string provider, string @event, string deliveryId, string status, string summary);

    [LoggerMessage(Level = LogLevel.Error, Message = "Webhook {Provider} delivery {DeliveryId} failed")]
    private static partial void LogFailed(ILogger logger, Exception exception, string provider, string deliveryId);
}
