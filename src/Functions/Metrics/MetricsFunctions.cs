using Microsoft.Azure.Functions.Worker;

namespace DevMentor.Functions.Metrics;

[Tags("Operations")]
public sealed class MetricsFunctions(PrometheusExporter exporter)
{
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    [Function("Metrics")]
    public IResult Metrics([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "metrics")] HttpRequest request) =>
        TypedResults.Text(exporter.Render(), ContentType);
}
