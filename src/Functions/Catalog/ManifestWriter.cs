using System.Text.Json;
using System.Text.Json.Nodes;

namespace DevMentor.Functions.Catalog;

/// <summary>Writes host.json and one &lt;FunctionName&gt;/function.json per function.</summary>
public static class ManifestWriter
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    /// <summary>The custom handler's host.json; the copy at the repository root is this, written out.</summary>
    public static JsonObject HostJson() => new()
    {
        ["version"] = "2.0",
        ["logging"] = new JsonObject
        {
            ["applicationInsights"] = new JsonObject { ["samplingSettings"] = new JsonObject { ["isEnabled"] = true, ["excludedTypes"] = "Request" } },
        },
        ["extensionBundle"] = new JsonObject
        {
            ["id"] = "Microsoft.Azure.Functions.ExtensionBundle",
            ["version"] = "[4.*, 5.0.0)",
        },
        ["customHandler"] = new JsonObject
        {
            ["description"] = new JsonObject
            {
                ["defaultExecutablePath"] = "DevMentor.Functions",
                ["workingDirectory"] = "",
                ["arguments"] = new JsonArray(),
            },
            ["enableProxyingHttpRequest"] = true,
        },
        ["extensions"] = new JsonObject
        {
            ["http"] = new JsonObject { ["routePrefix"] = "" },
        },
        ["functionTimeout"] = "00:10:00",
    };

    public static JsonObject FunctionJson(HttpFunction function) => new()
    {
        ["bindings"] = new JsonArray(
            new JsonObject
            {
                ["type"] = "httpTrigger",
                ["direction"] = "in",
                ["name"] = "req",
                // The service authenticates every request itself (JWT, API keys); function keys would only get in the way.
                ["authLevel"] = "anonymous",
                ["methods"] = new JsonArray(function.Methods.Select(m => (JsonNode)JsonValue.Create(m)!).ToArray()),
                ["route"] = function.Route,
            },
            new JsonObject { ["type"] = "http", ["direction"] = "out", ["name"] = "res" }),
    };

    public static JsonObject FunctionJson(TimerFunction function) => new()
    {
        ["bindings"] = new JsonArray(
            new JsonObject
            {
                ["type"] = "timerTrigger",
                ["direction"] = "in",
                ["name"] = "timer",
                ["schedule"] = function.Schedule,
                ["useMonitor"] = true,
            }),
    };

    public static void Write(FunctionCatalog catalog, string directory)
    {
        Directory.CreateDirectory(directory);
        WriteJson(Path.Combine(directory, "host.json"), HostJson());
        foreach (var function in catalog.Http)
        {
            WriteJson(Path.Combine(directory, function.Name, "function.json"), FunctionJson(function));
        }

        foreach (var function in catalog.Timers)
        {
            WriteJson(Path.Combine(directory, function.Name, "function.json"), FunctionJson(function));
        }
    }

    private static void WriteJson(string path, JsonNode node)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, node.ToJsonString(Indented) + "\n");
    }
}
