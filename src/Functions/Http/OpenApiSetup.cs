namespace DevMentor.Functions.Http;

/// <summary>The OpenAPI document at /openapi/v1.json, as the function OpenApiDocument.</summary>
public static class OpenApiSetup
{
    /// <summary>The one document the service publishes (AddOpenApi's default name).</summary>
    public const string DocumentName = "v1";

    public static IEndpointRouteBuilder MapOpenApiDocument(this IEndpointRouteBuilder routes)
    {
        var endpoint = routes.MapOpenApi("/openapi/{documentName}.json").WithName("OpenApiDocument"); // needs a caller, like everything but /health* and webhooks
        // The framework answers any other name with a plain-text 404; errors here are problem+json.
        if (endpoint is RouteHandlerBuilder handler)
        {
            handler.AddEndpointFilter(static async (context, next) =>
                string.Equals(context.HttpContext.GetRouteValue("documentName") as string, DocumentName, StringComparison.OrdinalIgnoreCase)
                    ? await next(context)
                    : TypedResults.Problem(
                        statusCode: StatusCodes.Status404NotFound,
                        type: ProblemTypes.NotFound,
                        title: "Not Found",
                        detail: $"No OpenAPI document named '{context.HttpContext.GetRouteValue("documentName")}'; the service publishes /openapi/{DocumentName}.json."));
        }

        return routes;
    }
}
