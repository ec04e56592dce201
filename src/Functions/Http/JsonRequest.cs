using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;
using Microsoft.Net.Http.Headers;

namespace DevMentor.Functions.Http;

/// <summary>A JSON request body, kept as bytes too (for idempotency hashes).</summary>
public sealed record JsonBody(JsonNode? Node, byte[] Bytes);

/// <summary>
/// Reads JSON bodies with the checks every write endpoint shares: a JSON media type (415
/// otherwise), a body (400), well-formed JSON without duplicate properties (400). The size limit is
/// enforced before this (413).
/// </summary>
public static class JsonRequest
{
    public const string MergePatchMediaType = "application/merge-patch+json";
    private const int MaxDepth = 32;
    private static readonly byte[] Utf8Bom = [0xEF, 0xBB, 0xBF];

    public static async Task<(JsonBody? Body, IResult? Problem)> ReadAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        if (!MediaTypeHeaderValue.TryParse(request.ContentType, out var mediaType) ||
            !(mediaType.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase) ||
              mediaType.MediaType.Value?.EndsWith("+json", StringComparison.OrdinalIgnoreCase) == true))
        {
            return (null, TypedResults.Problem(
                statusCode: StatusCodes.Status415UnsupportedMediaType,
                type: ProblemTypes.UnsupportedMediaType,
                title: "Unsupported media type",
                detail: $"Send the body as application/json (or {MergePatchMediaType} for a merge patch), not '{Describe(request.ContentType)}'."));
        }

        using var buffer = new MemoryStream();
        try
        {
            await request.Body.CopyToAsync(buffer, cancellationToken);
        }
        catch (BadHttpRequestException e)
        {
            // A chunked body over the limit (or one cut short) is the client's doing: answered here,
            // it is not logged as an unhandled exception with a stack trace.
            return (null, TypedResults.Problem(
                statusCode: e.StatusCode,
                type: ProblemTypes.ForStatus(e.StatusCode),
                title: e.StatusCode == StatusCodes.Status413PayloadTooLarge ? "Request body too large" : "Bad request",
                detail: e.Message));
        }

        var bytes = buffer.ToArray();
        if (bytes.Length == 0)
        {
            return (null, BadRequest("The request has no body; send a JSON object."));
        }

        try
        {
            // RFC 8259 lets a parser ignore a UTF-8 byte order mark, and some clients (Windows PowerShell) send one.
            var json = bytes.AsSpan().StartsWith(Utf8Bom) ? bytes.AsSpan(Utf8Bom.Length) : bytes;
            var node = JsonNode.Parse(json, documentOptions: new JsonDocumentOptions { MaxDepth = MaxDepth, AllowDuplicateProperties = false });
            return (new JsonBody(node, bytes), null);
        }
        catch (JsonException e)
        {
            return (null, BadRequest($"The body is not well-formed JSON: {e.Message}"));
        }
    }

    /// <summary>A body bound to a type, as the worker's [FromBody] would, with the same checks and a problem naming what is wrong.</summary>
    public static async Task<(T? Value, IResult? Problem)> ReadAsync<T>(HttpRequest request, JsonTypeInfo<T> type, CancellationToken cancellationToken)
        where T : class
    {
        var (body, problem) = await ReadAsync(request, cancellationToken);
        if (problem is not null)
        {
            return (null, problem);
        }

        if (body!.Node is not JsonObject node)
        {
            return (null, BadRequest("The body must be a JSON object."));
        }

        try
        {
            return node.Deserialize(type) is { } value ? (value, null) : (null, BadRequest("The body must be a JSON object."));
        }
        catch (JsonException e)
        {
            return (null, BadRequest($"The body does not fit: {e.Message}"));
        }
    }

    public static IResult BadRequest(string detail) =>
        TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, type: ProblemTypes.BadRequest, title: "Bad request", detail: detail);

    private static string Describe(string? contentType) =>
        string.IsNullOrEmpty(contentType) ? "(none)" : contentType.Length > 100 ? contentType[..100] + "…" : contentType;
}
