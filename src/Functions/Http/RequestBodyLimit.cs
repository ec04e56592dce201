using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.Metadata;

namespace DevMentor.Functions.Http;

/// <summary>
/// Rejects a declared Content-Length over the limit before any handler reads it, and caps
/// chunked bodies through the server's own limit (Kestrel then fails the read with 413).
/// An endpoint may declare its own limit (<see cref="RequestBodyLimitExtensions.WithRequestBodyLimit"/>),
/// e.g. webhooks, whose payloads can be far larger than an API request.
/// </summary>
public sealed class RequestBodyLimit(RequestDelegate next, long defaultMaxBytes)
{

    public async Task InvokeAsync(HttpContext context)
    {
        var maxBytes = context.GetEndpoint()?.Metadata.GetMetadata<IRequestSizeLimitMetadata>()?.MaxRequestBodySize ?? defaultMaxBytes;
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

public sealed record RequestBodyLimitMetadata(long? MaxRequestBodySize) : IRequestSizeLimitMetadata;

public static class RequestBodyLimitExtensions
{
    public static TBuilder WithRequestBodyLimit<TBuilder>(this TBuilder builder, long maxBytes) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new RequestBodyLimitMetadata(maxBytes));
}
