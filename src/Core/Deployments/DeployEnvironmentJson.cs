using System.Text.Json;
using DevMentor.Core.Builds;

namespace DevMentor.Core.Deployments;

/// <summary>
/// Reads the <see cref="DeployEnvironment"/> list the clone step records (camelCase JSON). Lenient
/// about how enums were written (names in any case, snake_case or numbers); entries it cannot
/// read are left out rather than failing a deployment of another environment.
/// </summary>
public static class DeployEnvironmentJson
{
    public static IReadOnlyList<DeployEnvironment> Parse(string json)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            if (document.RootElement.ValueKind != JsonValueKind.Array)
            {
                return [];
            }

            return document.RootElement.EnumerateArray().Select(Environment).OfType<DeployEnvironment>().ToList();
        }
        catch (JsonException)
        {
            return [];
        }
    }

    private static DeployEnvironment? Environment(JsonElement e)
    {
        if (e.ValueKind != JsonValueKind.Object || String(e, "name") is not { Length: > 0 } name || Enum<DeployType>(Get(e, "type")) is not { } type)
        {
            return null;
        }

        return new DeployEnvironment(
            name,
            type,
            Strings(Get(e, "start")),
            String(e, "healthPath") ?? "/",
            Int(Get(e, "port")),
            Int(Get(e, "healthTimeoutSeconds")),
            String(e, "url") is { } url && Uri.TryCreate(url, UriKind.Absolute, out var uri) ? uri : null,
            String(e, "secretRef"),
            Get(e, "when") is { ValueKind: JsonValueKind.Object } when
                ? new StepCondition(Strings(Get(when, "branches")), Get(when, "events") is { ValueKind: JsonValueKind.Array } events
                    ? events.EnumerateArray().Select(x => Enum<BuildEvent>(x)).OfType<BuildEvent>().ToList()
                    : null)
                : null,
            Get(e, "env") is { ValueKind: JsonValueKind.Object } env
                ? env.EnumerateObject().Where(p => p.Value.ValueKind == JsonValueKind.String).ToDictionary(p => p.Name, p => p.Value.GetString()!)
                : null,
            // An approval that cannot be read is kept as the strictest one: never deploy without it.
            Get(e, "approval") is { ValueKind: JsonValueKind.Object } approval
                ? new DeployApproval(Strings(Get(approval, "approvers")) is { Count: > 0 } roles ? roles : DeployApproval.DefaultApprovers,
                    Int(Get(approval, "timeoutSeconds")) ?? DeployApproval.DefaultTimeoutSeconds)
                : null,
            Int(Get(e, "deployTimeoutSeconds")));
    }

    private static JsonElement? Get(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null ? value : null;

    private static string? String(JsonElement e, string name) => Get(e, name) is { ValueKind: JsonValueKind.String } value ? value.GetString() : null;

    private static int? Int(JsonElement? e) => e is { ValueKind: JsonValueKind.Number } n && n.TryGetInt32(out var value) ? value : null;

    private static List<string>? Strings(JsonElement? e) =>
        e is { ValueKind: JsonValueKind.Array } array ? array.EnumerateArray().Where(x => x.ValueKind == JsonValueKind.String).Select(x => x.GetString()!).ToList() : null;

    private static T? Enum<T>(JsonElement? e)
        where T : struct, Enum
    {
        if (e is { ValueKind: JsonValueKind.Number } n && n.TryGetInt32(out var number) && System.Enum.IsDefined(typeof(T), number))
        {
            return (T)(object)number;
        }

        return e is { ValueKind: JsonValueKind.String } s && System.Enum.TryParse<T>(s.GetString()!.Replace("_", "", StringComparison.Ordinal), ignoreCase: true, out var value)
            ? value
            : null;
    }
}
