using DevMentor.Functions.Composition;
using DevMentor.Functions.Http;
using Microsoft.Azure.Functions.Worker;

namespace DevMentor.Functions.Bench;

/// <summary>
/// The baseline benchmarks compare against: a constant JSON answer behind the same middleware
/// (authentication, rate limiting, authorization) as every API endpoint. Answers only with
/// Bench:Enabled=true; otherwise it is a 404 like any unknown path.
/// </summary>
[Tags("Operations")]
public sealed class BenchFunctions(SecuritySettings security)
{
    private const string Constant = """{"status":"ok"}""";

    [Function("BenchBaseline")]
    public IResult Baseline([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "bench/baseline")] HttpRequest request) =>
        security.BenchEnabled
            ? TypedResults.Text(Constant, "application/json; charset=utf-8")
            : TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, type: ProblemTypes.NotFound, title: "Not Found",
                detail: "The benchmark baseline is served only with Bench:Enabled=true.");
}
