using Microsoft.Azure.Functions.Worker;

namespace DevMentor.Functions.Metrics;

[Tags("Operations")]
public sealed class MetricsFunctions(MetricsScrape scrape)
{
    [Function("Metrics")]
    public async Task<IResult> Metrics([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "metrics")] HttpRequest request)
    {
        await scrape.WriteAsync(request.HttpContext);
        return TypedResults.Empty; // the exporter has written the answer
    }
}
