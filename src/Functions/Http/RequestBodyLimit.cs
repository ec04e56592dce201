using Microsoft.AspNetCore.Http.Features;

namespace DevMentor.Functions.Http;

/// <summary>
/// Refuses a declared Content-Length over the limit before any function reads it, and caps chunked
/// bodies through the server's own per-request limit (reading then fails with a 413
/// BadHttpRequestException, answered as a problem). A function may declare its own limit with
/// [RequestSizeLimit(bytes)], e.g. webhooks, whose payloads can be far larger than an API request.
/// </summary>
public static class RequestBodyLimit
{
    /// <returns>The 413 to answer with, or null to go on.</returns>
    public static IResult? Apply(HttpContext context, long maxBytes)
    {
        if (context.Request.ContentLength > maxBytes)
        {
            return TypedResults.Problem(
                statusCode: StatusCodes.Status413PayloadTooLarge,
                type: ProblemTypes.PayloadTooLarge,
                title: "Request body too large",
                detail: $"The body is {context.Request.ContentLength} bytes; the limit is {maxBytes}.");
        }

        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } feature)
        {
            feature.MaxRequestBodySize = maxBytes;
        }

        return null;
    }
}
