using System.Text;
using System.Text.Json;
using Microsoft.Net.Http.Headers;

namespace DevMentor.Functions.Http;

/// <summary>
/// Input no endpoint can store, refused for every endpoint before it runs, as a 400 problem naming
/// the field: a JSON body in a charset other than UTF-8 (RFC 8259 §8.1; an unknown one made the
/// framework's body reader throw), a JSON string holding an unpaired UTF-16 surrogate (no UTF-8
/// form: PostgreSQL and the blob store cannot take it) or a NUL (PostgreSQL text cannot hold one),
/// and a NUL in a query parameter. Webhook bodies are exempt from the body scan: they are verified
/// and stored as the raw bytes their sender signed.
/// </summary>
/// <remarks>One of the gates <see cref="Hosting.HttpFunctionMiddleware"/> runs for every HTTP function, after the body limit.</remarks>
public static class JsonInputGuard
{
    /// <returns>The 400 (or 413) to answer with, or null to go on; the body stays readable from its start.</returns>
    public static async ValueTask<IResult?> CheckAsync(HttpContext context)
    {
        foreach (var (name, values) in context.Request.Query)
        {
            foreach (var value in values)
            {
                if (value is not null && TextProblem(value) is { } problem)
                {
                    return FieldProblem(name, problem);
                }
            }
        }

        var request = context.Request;
        if (!MediaTypeHeaderValue.TryParse(request.ContentType, out var mediaType) || !IsJson(mediaType))
        {
            return null;
        }

        if (mediaType.Charset is { HasValue: true } charset &&
            !(charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase) || charset.Equals("utf8", StringComparison.OrdinalIgnoreCase)))
        {
            var shown = charset.Length > 40 ? charset.Substring(0, 40) + "…" : charset.Value;
            return FieldProblem("Content-Type", $"charset '{shown}' is not supported: send JSON as UTF-8 (charset=utf-8 or none).");
        }

        if (request.Path.StartsWithSegments("/webhooks", StringComparison.OrdinalIgnoreCase) || !(request.ContentLength > 0 || request.Headers.TransferEncoding.Count > 0))
        {
            return null;
        }

        request.EnableBuffering();
        byte[] body;
        try
        {
            using var buffer = new MemoryStream();
            await request.Body.CopyToAsync(buffer, context.RequestAborted);
            body = buffer.ToArray();
        }
        catch (BadHttpRequestException e)
        {
            // Over the function's limit (or cut short): answered as JsonRequest would.
            return Results.Problem(statusCode: e.StatusCode, type: ProblemTypes.ForStatus(e.StatusCode),
                title: e.StatusCode == StatusCodes.Status413PayloadTooLarge ? "Request body too large" : "Bad request", detail: e.Message);
        }

        request.Body.Position = 0;
        return FindBadString(body) is { } bad ? FieldProblem(bad.Field, bad.Problem) : null;
    }

    /// <summary>Why <paramref name="text"/> cannot be stored: a NUL, or an unpaired surrogate; null when it can.</summary>
    public static string? TextProblem(string text)
    {
        if (text.Contains('\0', StringComparison.Ordinal))
        {
            return "must not contain NUL (\\u0000) characters.";
        }

        for (var i = 0; i < text.Length; i++)
        {
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(text[i]))
            {
                return "is not valid Unicode: it holds an unpaired UTF-16 surrogate.";
            }
        }

        return null;
    }

    /// <summary>The first string (value or property name) that cannot be stored, with its field path; null when all can or the JSON is malformed (the endpoint says so).</summary>
    public static (string Field, string Problem)? FindBadString(ReadOnlySpan<byte> json)
    {
        if (json.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]))
        {
            json = json[3..];
        }

        var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = 64 });
        var path = new List<(string? Name, int Index)>();
        string? pendingName = null;
        try
        {
            while (reader.Read())
            {
                switch (reader.TokenType)
                {
                    case JsonTokenType.PropertyName:
                        var (name, nameProblem) = Read(ref reader);
                        if (nameProblem is not null)
                        {
                            return (Describe(path, name ?? "(name)"), "property name " + nameProblem);
                        }

                        pendingName = name;
                        continue;
                    case JsonTokenType.StartObject or JsonTokenType.StartArray:
                        path.Add((pendingName ?? ItemName(path), reader.TokenType == JsonTokenType.StartArray ? 0 : -1));
                        pendingName = null;
                        continue;
                    case JsonTokenType.EndObject or JsonTokenType.EndArray:
                        path.RemoveAt(path.Count - 1);
                        Next(path);
                        continue;
                    case JsonTokenType.String:
                        var (_, problem) = Read(ref reader);
                        if (problem is not null)
                        {
                            return (Describe(path, pendingName ?? ItemName(path)), problem);
                        }

                        break;
                }

                pendingName = null;
                Next(path);
            }
        }
        catch (JsonException)
        {
            return null;
        }

        return null;
    }

    private static (string? Value, string? Problem) Read(ref Utf8JsonReader reader)
    {
        string value;
        try
        {
            value = reader.GetString()!;
        }
        catch (InvalidOperationException)
        {
            return (null, "is not valid Unicode: it holds an unpaired UTF-16 surrogate or invalid UTF-8.");
        }

        return (value, TextProblem(value));
    }

    /// <summary>Inside an array, the next item's index; inside an object, nothing to do.</summary>
    private static void Next(List<(string? Name, int Index)> path)
    {
        if (path.Count > 0 && path[^1].Index >= 0)
        {
            path[^1] = (path[^1].Name, path[^1].Index + 1);
        }
    }

    private static string? ItemName(List<(string? Name, int Index)> path) =>
        path.Count > 0 && path[^1].Index >= 0 ? $"[{path[^1].Index}]" : null;

    private static string Describe(List<(string? Name, int Index)> path, string? last)
    {
        var field = new StringBuilder();
        foreach (var (name, _) in path.Skip(1).Append((last, -1)))
        {
            if (name is null)
            {
                continue;
            }

            if (field.Length > 0 && !name.StartsWith('['))
            {
                field.Append('.');
            }

            field.Append(Printable(name));
        }

        return field.Length == 0 ? "(body)" : field.ToString();
    }

    private static string Printable(string name)
    {
        var shown = new StringBuilder();
        foreach (var c in name.Length > 64 ? name[..64] : name)
        {
            shown.Append(char.IsControl(c) || char.IsSurrogate(c) ? $"\\u{(int)c:x4}" : c);
        }

        return shown.ToString();
    }

    private static bool IsJson(MediaTypeHeaderValue mediaType) =>
        mediaType.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase) ||
        mediaType.MediaType.Value?.EndsWith("+json", StringComparison.OrdinalIgnoreCase) == true;

    private static Microsoft.AspNetCore.Http.HttpResults.ValidationProblem FieldProblem(string field, string problem) =>
        TypedResults.ValidationProblem(
            new Dictionary<string, string[]> { [field] = [problem] },
            detail: $"{field}: {problem}",
            title: "Validation failed",
            type: ProblemTypes.ValidationFailed);
}
