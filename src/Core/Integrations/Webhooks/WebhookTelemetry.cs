using System.Diagnostics;
using System.Diagnostics.Metrics;
using DevMentor.Core.Diagnostics;

namespace DevMentor.Core.Integrations.Webhooks;

/// <summary>
/// Webhook intake and processing, counted and traced. A delivery is processed after its request was
/// answered, often by another instance: the processing span's parent is the receiving request's
/// span, stored with the delivery (webhook_deliveries.traceparent), so a trace runs from the
/// provider's request through processing to the run it starts.
/// </summary>
public sealed class WebhookTelemetry
{
    public const string Name = "DevMentor.Webhooks";
    public static readonly ActivitySource Source = new(Name);

    private readonly Counter<long> _received;
    private readonly Counter<long> _processed;
    private readonly Histogram<double> _processingDuration;

    public WebhookTelemetry(IMeterFactory meters)
    {
        var meter = meters.Create(Name);
        _received = meter.CreateCounter<long>("devmentor.webhooks.received", "{delivery}",
            "Verified deliveries by provider and intake outcome (accepted, duplicate, ping, invalid, unsupported_media_type).");
        _processed = meter.CreateCounter<long>("devmentor.webhooks.processed", "{delivery}",
            "Deliveries processed, by provider and resulting status (processed, ignored, failed, invalid).");
        _processingDuration = meter.CreateHistogram("devmentor.webhooks.processing.duration", "s",
            "Time to process one stored delivery.", advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] });
    }

    public void Received(string provider, string outcome) =>
        _received.Add(1, new KeyValuePair<string, object?>("provider", provider), new KeyValuePair<string, object?>("outcome", outcome));

    /// <summary>The processing span, child of the request that delivered it; dispose when done.</summary>
    public static TraceContext.Scope StartProcessing(WebhookDelivery delivery)
    {
        var scope = TraceContext.Start(Source, "webhook.process", ActivityKind.Consumer, delivery.TraceParent);
        scope.Activity?.SetTag("devmentor.webhook.provider", delivery.Provider)
            .SetTag("devmentor.webhook.event", delivery.Event)
            .SetTag("devmentor.webhook.delivery", delivery.DeliveryId)
            .SetTag("devmentor.webhook.attempt", delivery.Attempts);
        return scope;
    }

    public void Processed(TraceContext.Scope scope, string provider, string status, TimeSpan elapsed)
    {
        scope.Activity?.SetTag("devmentor.webhook.status", status);
        if (status == "failed")
        {
            scope.Activity?.SetStatus(ActivityStatusCode.Error);
        }

        var providerTag = new KeyValuePair<string, object?>("provider", provider);
        var statusTag = new KeyValuePair<string, object?>("status", status);
        _processed.Add(1, providerTag, statusTag);
        _processingDuration.Record(elapsed.TotalSeconds, providerTag, statusTag);
    }
}
