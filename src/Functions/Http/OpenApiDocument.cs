using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using DevMentor.Functions.Hosting;

namespace DevMentor.Functions.Http;

/// <summary>
/// The OpenAPI 3.1 document of the HTTP functions, written from the function catalog. ASP.NET Core's
/// generator (Microsoft.AspNetCore.OpenApi) describes the endpoints of the app it runs in, and under
/// the Functions host those are the host's, not ours: written from the functions' own attributes,
/// the document is the same under both hosts, and lists exactly the functions functions.metadata lists.
/// Every operation's id is its function name; errors are problem+json.
/// </summary>
public static partial class OpenApiDocument
{
    public const string Name = "v1";

    public static byte[] Write(FunctionCatalog catalog)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteString("openapi", "3.1.1");
            json.WriteStartObject("info");
            json.WriteString("title", "DevMentor Project Service");
            json.WriteString("version", Name);
            json.WriteEndObject();
            json.WriteStartObject("components");
            json.WriteStartObject("securitySchemes");
            WriteScheme(json, "bearer", "http", "JWT from the Auth Service", scheme: "bearer");
            WriteScheme(json, "apiKey", "apiKey", "API key", header: "X-Api-Key");
            json.WriteEndObject();
            json.WriteStartObject("schemas");
            json.WritePropertyName("Problem");
            JsonSerializer.Serialize(json, ProblemSchema);
            json.WriteEndObject();
            json.WriteEndObject();
            json.WriteStartObject("paths");
            foreach (var path in catalog.Http.GroupBy(f => Path(f.Route)).OrderBy(g => g.Key, StringComparer.Ordinal))
            {
                json.WriteStartObject(path.Key);
                foreach (var function in path.OrderBy(f => f.Methods[0], StringComparer.Ordinal))
                {
                    foreach (var method in function.Methods)
                    {
                        WriteOperation(json, function, method);
                    }
                }

                json.WriteEndObject();
            }

            json.WriteEndObject();
            json.WriteEndObject();
        }

        return buffer.ToArray();
    }

    /// <summary>The OpenAPI path of a route template: a leading slash, no constraints, a catch-all as a plain parameter.</summary>
    public static string Path(string route) => "/" + Parameter().Replace(route, m => "{" + m.Groups["name"].Value + "}");

    private static void WriteOperation(Utf8JsonWriter json, HttpFunction function, string method)
    {
        json.WriteStartObject(method);
        json.WriteString("operationId", function.Name);
        json.WriteStartArray("tags");
        json.WriteStringValue(function.Tag);
        json.WriteEndArray();
        if (function.Policy.AllowAnonymous)
        {
            json.WriteStartArray("security");
            json.WriteEndArray();
        }
        else
        {
            json.WriteStartArray("security");
            foreach (var scheme in new[] { "bearer", "apiKey" })
            {
                json.WriteStartObject();
                json.WriteStartArray(scheme);
                json.WriteEndArray();
                json.WriteEndObject();
            }

            json.WriteEndArray();
        }

        json.WriteStartArray("parameters");
        foreach (Match match in Parameter().Matches(function.Route))
        {
            json.WriteStartObject();
            json.WriteString("name", match.Groups["name"].Value);
            json.WriteString("in", "path");
            json.WriteBoolean("required", true);
            json.WriteStartObject("schema");
            json.WriteString("type", "string");
            if (match.Groups["constraint"].Value == "guid")
            {
                json.WriteString("format", "uuid");
            }

            json.WriteEndObject();
            json.WriteEndObject();
        }

        json.WriteEndArray();
        if (method is "post" or "put" or "patch")
        {
            json.WriteStartObject("requestBody");
            json.WriteBoolean("required", false);
            json.WriteStartObject("content");
            json.WriteStartObject(method == "put" && function.Policy.MaxRequestBodyBytes is not null ? "application/octet-stream" : "application/json");
            json.WriteEndObject();
            json.WriteEndObject();
            json.WriteEndObject();
        }

        json.WriteStartObject("responses");
        json.WriteStartObject("2XX");
        json.WriteString("description", "Success");
        json.WriteEndObject();
        json.WriteStartObject("default");
        json.WriteString("description", "An error, as RFC 9457 problem+json");
        json.WriteStartObject("content");
        json.WriteStartObject("application/problem+json");
        json.WriteStartObject("schema");
        json.WriteString("$ref", "#/components/schemas/Problem");
        json.WriteEndObject();
        json.WriteEndObject();
        json.WriteEndObject();
        json.WriteEndObject();
        json.WriteEndObject();
        json.WriteEndObject();
    }

    private static void WriteScheme(Utf8JsonWriter json, string name, string type, string description, string? scheme = null, string? header = null)
    {
        json.WriteStartObject(name);
        json.WriteString("type", type);
        json.WriteString("description", description);
        if (scheme is not null)
        {
            json.WriteString("scheme", scheme);
            json.WriteString("bearerFormat", "JWT");
        }

        if (header is not null)
        {
            json.WriteString("in", "header");
            json.WriteString("name", header);
        }

        json.WriteEndObject();
    }

    private static readonly JsonElement ProblemSchema = JsonDocument.Parse(Encoding.UTF8.GetBytes("""
        {
          "type": "object",
          "required": ["type", "title", "status"],
          "properties": {
            "type": { "type": "string", "format": "uri" },
            "title": { "type": "string" },
            "status": { "type": "integer" },
            "detail": { "type": "string" },
            "traceId": { "type": "string" },
            "errors": { "type": "object", "additionalProperties": { "type": "array", "items": { "type": "string" } } }
          }
        }
        """)).RootElement;

    [GeneratedRegex(@"\{\*?(?<name>[A-Za-z_][A-Za-z0-9_]*)(?::(?<constraint>[a-z]+))?\??\}")]
    private static partial Regex Parameter();
}
