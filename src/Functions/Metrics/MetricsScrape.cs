using OpenTelemetry.Metrics;

namespace DevMentor.Functions.Metrics;

/// <summary>
/// The OpenTelemetry Prometheus exporter's scrape endpoint as a request delegate, so GET /metrics
/// stays an ordinary [Function] (served by both hosts, behind the same auth and rate limits) while
/// the exporter writes the answer: text format 0.0.4 or OpenMetrics, as the scraper's Accept asks.
/// </summary>
public sealed class MetricsScrape
{
    private readonly RequestDelegate _scrape;

    public MetricsScrape(IServiceProvider services, MeterProvider meters)
    {
        var pipeline = new ApplicationBuilder(services);
        pipeline.UseOpenTelemetryPrometheusScrapingEndpoint(meters, predicate: _ => true, path: null, configureBranchedPipeline: null, optionsName: null);
        _scrape = pipeline.Build();
    }

    public Task WriteAsync(HttpContext context) => _scrape(context);
}
