using System.Security.Cryptography;
using Microsoft.Net.Http.Headers;

namespace DevMentor.Functions.Http;

/// <summary>ETags on GET answers, and 304 Not Modified when the client's copy is current.</summary>
public static class ConditionalGet
{
    /// <summary>True when If-None-Match names <paramref name="etag"/> (weak comparison, as RFC 9110 asks for GET).</summary>
    public static bool IsNotModified(HttpRequest request, string etag)
    {
        var header = request.Headers.IfNoneMatch.ToString();
        if (header.Length == 0)
        {
            return false;
        }

        var opaque = Opaque(etag);
        return header.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .Any(tag => tag == "*" || Opaque(tag) == opaque);
    }

    public static IResult NotModified(HttpResponse response, string etag)
    {
        response.Headers.ETag = etag;
        return TypedResults.StatusCode(StatusCodes.Status304NotModified);
    }

    /// <summary>A JSON answer whose ETag is a hash of its bytes (lists and other documents without a version).</summary>
    public static IResult JsonWithHashETag(HttpContext context, byte[] json)
    {
        var etag = $"\"{Convert.ToHexStringLower(SHA256.HashData(json).AsSpan(0, 12))}\"";
        SetValidators(context.Response, etag);
        return IsNotModified(context.Request, etag)
            ? NotModified(context.Response, etag)
            : TypedResults.Bytes(json, "application/json; charset=utf-8");
    }

    /// <summary>Answers depend on who asks: caches must revalidate, and only private caches may keep them.</summary>
    public static void SetValidators(HttpResponse response, string etag)
    {
        response.Headers.ETag = etag;
        response.Headers.CacheControl = "private, no-cache";
        response.Headers.Vary = HeaderNames.Authorization + ", X-Api-Key";
    }

    private static string Opaque(string tag) => tag.StartsWith("W/", StringComparison.Ordinal) ? tag[2..] : tag;
}
