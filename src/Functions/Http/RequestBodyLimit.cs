using Microsoft.AspNetCore.Http.Features;

namespace DevMentor.Functions.Http;

/// <summary>
/// Rejects a declared Content-Length over the limit before any handler reads it, and caps
/// chunked bodies through the server's own limit (Kestrel then fails the read with 413).
/// </summary>
public sealed class RequestBodyLimit(RequestDelegate next, long maxBytes)
{
    public async Task InvokeAsync(HttpContext context)
    {
        if (context.Request.ContentLength > maxBytes)
        {
            context.Response.StatusCode = StatusCodes.Status413PayloadTooLarge;
            await Results.Problem(
                statusCode: StatusCodes.Status413PayloadTooLarge,
                type: ProblemTypes.PayloadTooLarge,
                title: "Request body too large",
                detail: $"The body is {context.Request.ContentLength} bytes; the limit is {maxBytes}.").ExecuteAsync(context);
            return;
        }

        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } feature)
        {
            feature.MaxRequestBodySize = maxBytes;
        }

        await next(context);
    }
}
