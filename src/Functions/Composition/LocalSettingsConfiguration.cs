using System.Text.Json;

namespace DevMentor.Functions.Composition;

/// <summary>
/// Reads local.settings.json the way Azure Functions Core Tools does, so one file configures
/// both the Functions host and the standalone service: <c>Values</c> become settings
/// (<c>A__B</c> means <c>A:B</c>), <c>ConnectionStrings</c> become ConnectionStrings:*, and
/// <c>Host</c> becomes Host:* (Host:CORS, Host:LocalHttpPort).
/// </summary>
public static class LocalSettingsConfiguration
{
    public const string FileName = "local.settings.json";

    public static IConfigurationBuilder AddLocalSettings(this IConfigurationBuilder builder, string directory) =>
        builder.AddInMemoryCollection(Read(Path.Combine(directory, FileName)));

    public static Dictionary<string, string?> Read(string path)
    {
        var settings = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        if (!File.Exists(path))
        {
            return settings;
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(File.ReadAllText(path), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        }
        catch (JsonException e)
        {
            throw new InvalidConfigurationException([$"{FileName}: not valid JSON ({e.Message})."]);
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new InvalidConfigurationException([$"{FileName}: the root must be a JSON object."]);
            }

            Copy(document.RootElement, "Values", "", settings);
            Copy(document.RootElement, "ConnectionStrings", "ConnectionStrings:", settings);
            Copy(document.RootElement, "Host", "Host:", settings);
        }

        return settings;
    }

    private static void Copy(JsonElement root, string section, string prefix, Dictionary<string, string?> settings)
    {
        if (!root.TryGetProperty(section, out var values))
        {
            return;
        }

        if (values.ValueKind != JsonValueKind.Object)
        {
            throw new InvalidConfigurationException([$"{FileName}: '{section}' must be an object."]);
        }

        foreach (var property in values.EnumerateObject())
        {
            var key = prefix + property.Name.Replace("__", ":", StringComparison.Ordinal);
            settings[key] = property.Value.ValueKind switch
            {
                JsonValueKind.String => property.Value.GetString(),
                JsonValueKind.Null => null,
                _ => property.Value.GetRawText(),
            };
        }
    }
}
