namespace DevMentor.Functions.Metrics;

public static class MetricsFunctions
{
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    public static IEndpointRouteBuilder MapMetricsFunctions(this IEndpointRouteBuilder routes)
    {
        routes.MapGet("/metrics", (PrometheusExporter exporter) => TypedResults.Text(exporter.Render(), ContentType))
            .WithName("Metrics")
            .WithTags("Operations");
        return routes;
    }
}
