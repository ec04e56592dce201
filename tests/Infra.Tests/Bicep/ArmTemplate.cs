using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace DevMentor.Infra.Tests.Bicep;

/// <summary>One resource of a compiled template, with the template (module) that declares it.</summary>
internal sealed record ArmResource(string SymbolicName, JsonObject Body, ArmTemplate Template)
{
    public string Type => Body["type"]!.GetValue<string>();
    public bool Existing => Body["existing"]?.GetValue<bool>() == true;
    public JsonNode? Properties => Body["properties"];
}

/// <summary>
/// A compiled ARM template (languageVersion 2.0: resources keyed by symbolic name) and, through its
/// nested deployments, every module's template. Just enough reading to check the deployment's shape.
/// </summary>
internal sealed partial class ArmTemplate(string name, JsonObject json, ArmTemplate? parent, JsonObject? moduleResource)
{
    public string Name { get; } = name;
    public JsonObject Json { get; } = json;
    public ArmTemplate? Parent { get; } = parent;
    /// <summary>The Microsoft.Resources/deployments resource that calls this template (null for main).</summary>
    public JsonObject? ModuleResource { get; } = moduleResource;

    public static ArmTemplate Root(JsonObject json) => new("main", json, null, null);

    /// <summary>Keyed by symbolic name (languageVersion 2.0) or a plain array (older shape), depending on the features a file uses.</summary>
    public IEnumerable<ArmResource> Resources => Json["resources"] switch
    {
        JsonObject byName => byName.Select(p => new ArmResource(p.Key, p.Value!.AsObject(), this)),
        JsonArray list => list.Select(r => new ArmResource(r!["name"]!.GetValue<string>(), r.AsObject(), this)),
        _ => [],
    };

    public IEnumerable<ArmTemplate> Modules =>
        Resources.Where(r => r.Type == "Microsoft.Resources/deployments")
            .Select(r => new ArmTemplate(r.SymbolicName, r.Body["properties"]!["template"]!.AsObject(), this, r.Body));

    public ArmTemplate Module(string symbolicName) =>
        Modules.SingleOrDefault(m => m.Name == symbolicName) ?? throw new Xunit.Sdk.XunitException($"{Name} calls no module '{symbolicName}'.");

    /// <summary>This template and every module below it.</summary>
    public IEnumerable<ArmTemplate> SelfAndDescendants => Modules.SelectMany(m => m.SelfAndDescendants).Prepend(this);

    public IEnumerable<ArmResource> AllResources => SelfAndDescendants.SelectMany(t => t.Resources).Where(r => !r.Existing);

    public IEnumerable<ArmResource> OfType(string type) => AllResources.Where(r => string.Equals(r.Type, type, StringComparison.OrdinalIgnoreCase));

    public ArmResource Single(string type) =>
        OfType(type).ToList() is [var only] ? only : throw new Xunit.Sdk.XunitException($"Expected exactly one {type}, found {OfType(type).Count()}.");

    public JsonObject Parameters => Json["parameters"] as JsonObject ?? [];

    public JsonObject Outputs => Json["outputs"] as JsonObject ?? [];

    public JsonObject Variables => Json["variables"] as JsonObject ?? [];

    public IReadOnlySet<string> SecureParameters =>
        Parameters.Where(p => p.Value!["type"]?.GetValue<string>() is "securestring" or "secureObject" or "secureobject")
            .Select(p => p.Key).ToHashSet(StringComparer.OrdinalIgnoreCase);

    /// <summary>The value this template's caller passes for one of its parameters (an expression or a literal).</summary>
    /// <summary>
    /// The value this template's caller passes for one of its parameters: {"value": ...}, or one
    /// expression producing that object when the value is conditional.
    /// </summary>
    public JsonNode? ArgumentFor(string parameter) => ModuleResource?["properties"]?["parameters"]?[parameter] switch
    {
        JsonObject wrapped => wrapped["value"],
        var expression => expression,
    };

    /// <summary>JSON text without \u0027-style escapes, so expressions read as written.</summary>
    public static string Text(JsonNode? node) => node?.ToJsonString(Readable) ?? "";

    private static readonly System.Text.Json.JsonSerializerOptions Readable = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>True when the expression reads one of the given parameters.</summary>
    public static bool References(string? expression, IEnumerable<string> parameters) =>
        expression is not null && parameters.Any(p => expression.Contains($"parameters('{p}')", StringComparison.OrdinalIgnoreCase));

    /// <summary>Every string in a JSON tree, with its path (for "where does X appear" checks).</summary>
    public static IEnumerable<(string Path, string Value)> Strings(JsonNode? node, string path = "$")
    {
        switch (node)
        {
            case JsonObject o:
                foreach (var (key, value) in o)
                {
                    foreach (var s in Strings(value, $"{path}.{key}"))
                    {
                        yield return s;
                    }
                }

                break;
            case JsonArray a:
                for (var i = 0; i < a.Count; i++)
                {
                    foreach (var s in Strings(a[i], $"{path}[{i}]"))
                    {
                        yield return s;
                    }
                }

                break;
            case JsonValue v when v.TryGetValue<string>(out var text):
                yield return (path, text);
                break;
        }
    }

    /// <summary>ARM functions that read keys or secrets from a resource: list(), listKeys(), listSecrets(), ...</summary>
    [GeneratedRegex(@"\blist[A-Za-z]*\(", RegexOptions.IgnoreCase)]
    public static partial Regex ListFunction();
}
