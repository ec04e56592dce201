using DevMentor.Functions.Hosting;
using Microsoft.Azure.Functions.Worker;

namespace DevMentor.Functions.Http;

/// <summary>The OpenAPI document at /openapi/v1.json: it needs a caller, like everything but /health* and the webhooks.</summary>
[Tags("Operations")]
public sealed class OpenApiFunctions(FunctionCatalog catalog)
{
    private static byte[]? _document;

    [Function("OpenApiDocument")]
    public IResult Document(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "openapi/{documentName}.json")] HttpRequest request, string documentName) =>
        string.Equals(documentName, OpenApiDocument.Name, StringComparison.OrdinalIgnoreCase)
            ? TypedResults.Bytes(_document ??= OpenApiDocument.Write(catalog), "application/json; charset=utf-8")
            : TypedResults.Problem(
                statusCode: StatusCodes.Status404NotFound,
                type: ProblemTypes.NotFound,
                title: "Not Found",
                detail: $"No OpenAPI document named '{documentName}'; the service publishes /openapi/{OpenApiDocument.Name}.json.");
}
