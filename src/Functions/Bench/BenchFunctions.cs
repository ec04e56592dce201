namespace DevMentor.Functions.Bench;

/// <summary>
/// The baseline benchmarks compare against: a constant JSON answer behind the same middleware
/// (authentication, rate limiting, authorization) as every API endpoint. Mapped only with Bench:Enabled=true.
/// </summary>
public static class BenchFunctions
{
    private const string Constant = """{"status":"ok"}""";

    public static IEndpointRouteBuilder MapBenchFunctions(this IEndpointRouteBuilder routes)
    {
        routes.MapGet("/bench/baseline", () => TypedResults.Text(Constant, "application/json; charset=utf-8"))
            .WithName("BenchBaseline")
            .ExcludeFromDescription();
        return routes;
    }
}
