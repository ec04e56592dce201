using Microsoft.Extensions.Logging;

namespace DevMentor.Core.Integrations.Webhooks;

/// <summary>
/// Processes stored deliveries. A handler that throws leaves the delivery failed with the error;
/// a crash mid-way leaves it 'processing' until its lease ends, then it is taken up again.
/// </summary>
public sealed partial class WebhookProcessor(
    WebhookDeliveryStore deliveries,
    IEnumerable<IWebhookEventHandler> handlers,
    WebhookTelemetry telemetry,
    ILogger<WebhookProcessor> logger)
{
    private readonly Dictionary<string, IWebhookEventHandler> _handlers = handlers.ToDictionary(h => h.Provider, StringComparer.Ordinal);

    /// <summary>How many deliveries one claim (and one completion) takes: one commit each per batch instead of per delivery.</summary>
    public const int BatchSize = 64;

    /// <summary>Processes waiting deliveries until none is left; returns how many were processed.</summary>
    public async Task<int> ProcessWaitingAsync(CancellationToken cancellationToken)
    {
        var count = 0;
        while (await deliveries.ClaimAsync(null, BatchSize, cancellationToken) is { Count: > 0 } batch)
        {
            await ProcessClaimedAsync(batch, cancellationToken);
            count += batch.Count;
        }

        return count;
    }

    /// <summary>Processes one delivery if it is waiting; false when it was not (done already, or being processed).</summary>
    public async Task<bool> ProcessAsync(Guid id, CancellationToken cancellationToken)
    {
        var claimed = await deliveries.ClaimAsync(id, 1, cancellationToken);
        if (claimed.Count == 0)
        {
            return false;
        }

        await ProcessClaimedAsync(claimed, cancellationToken);
        return true;
    }

    private async Task ProcessClaimedAsync(IReadOnlyList<WebhookDelivery> batch, CancellationToken cancellationToken)
    {
        var outcomes = new List<(Guid Id, WebhookOutcome Outcome)>(batch.Count);
        try
        {
            foreach (var delivery in batch)
            {
                var started = System.Diagnostics.Stopwatch.GetTimestamp();
                using var span = WebhookTelemetry.StartProcessing(delivery);
                var outcome = await HandleAsync(delivery, cancellationToken);
                telemetry.Processed(span, delivery.Provider, outcome.Status, System.Diagnostics.Stopwatch.GetElapsedTime(started));
                outcomes.Add((delivery.Id, outcome));
                LogProcessed(logger, delivery.Provider, delivery.Event, delivery.DeliveryId, outcome.Status, outcome.Summary);
            }
        }
        finally
        {
            await deliveries.CompleteAsync(outcomes, CancellationToken.None);
            if (outcomes.Count < batch.Count)
            {
                await deliveries.ReleaseAsync(batch.Skip(outcomes.Count).Select(d => d.Id).ToList(), CancellationToken.None);
            }
        }
    }

    private async Task<WebhookOutcome> HandleAsync(WebhookDelivery delivery, CancellationToken cancellationToken)
    {
        try
        {
            return _handlers.TryGetValue(delivery.Provider, out var handler)
                ? await handler.HandleAsync(delivery, cancellationToken)
                : WebhookOutcome.Ignored($"no handler for provider {delivery.Provider}");
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            LogFailed(logger, e, delivery.Provider, delivery.DeliveryId);
            return WebhookOutcome.Failed($"{e.GetType().Name}: {e.Message}");
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Webhook {Provider} {Event} {DeliveryId}: {Status} ({Summary})")]
    private static partial void LogProcessed(ILogger logger, string provider, string @event, string deliveryId, string status, string summary);

    [LoggerMessage(Level = LogLevel.Error, Message = "Webhook {Provider} delivery {DeliveryId} failed")]
    private static partial void LogFailed(ILogger logger, Exception exception, string provider, string deliveryId);
}
