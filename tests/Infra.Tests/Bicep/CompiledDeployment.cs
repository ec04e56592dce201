using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace DevMentor.Infra.Tests.Bicep;

/// <summary>
/// main.bicep and the parameter files compiled once for the test run by the restored Bicep compiler
/// (its start-up dominates each call, and the machine is shared: every Bicep test shares this
/// collection, so no two compilers run at once).
/// </summary>
public sealed partial class CompiledDeployment : IAsyncLifetime
{
    internal ArmTemplate Main { get; private set; } = null!;

    /// <summary>The function app's settings: name → value expression (conditional ones included).</summary>
    internal IReadOnlyDictionary<string, string> AppSettings { get; private set; } = null!;

    internal ArmTemplate AppSettingsModule => Main.Module("appSettings");

    /// <summary>Deployment parameters by parameter file ("main.bicepparam+prod": azd's file with DEVMENTOR_PROFILE=prod).</summary>
    internal IReadOnlyDictionary<string, JsonObject> Parameters { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Main = ArmTemplate.Root(await BicepCli.BuildAsync("main.bicep"));
        AppSettings = ReadAppSettings(AppSettingsModule);
        Parameters = new Dictionary<string, JsonObject>
        {
            ["dev.bicepparam"] = await BicepCli.BuildParamsAsync("dev.bicepparam"),
            ["prod.bicepparam"] = await BicepCli.BuildParamsAsync("prod.bicepparam"),
            ["main.bicepparam"] = await BicepCli.BuildParamsAsync("main.bicepparam"),
            ["main.bicepparam+prod"] = await BicepCli.BuildParamsAsync("main.bicepparam", new Dictionary<string, string> { ["DEVMENTOR_PROFILE"] = "prod" }),
        };
    }

    public Task DisposeAsync() => Task.CompletedTask;

    /// <summary>
    /// The sites/config 'appsettings' resource's properties are a union() of variables: plain objects,
    /// and if(condition, createObject('NAME', value), createObject()) for settings that depend on a parameter.
    /// </summary>
    private static Dictionary<string, string> ReadAppSettings(ArmTemplate module)
    {
        var config = module.Resources.Single(r => r.Type == "Microsoft.Web/sites/config" && !r.Existing);
        Assert.Contains("'appsettings'", config.Body["name"]!.GetValue<string>(), StringComparison.Ordinal);
        var expression = config.Properties!.GetValue<string>();
        var settings = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (Match variable in VariableReference().Matches(expression))
        {
            switch (module.Variables[variable.Groups[1].Value])
            {
                case JsonObject plain:
                    foreach (var (key, value) in plain)
                    {
                        settings.Add(key, value is JsonValue v && v.TryGetValue<string>(out var text) ? text : ArmTemplate.Text(value));
                    }

                    break;
                case JsonValue conditional when conditional.GetValue<string>() is var text:
                    foreach (Match created in CreatedKey().Matches(text))
                    {
                        settings.Add(created.Groups[1].Value, text);
                    }

                    break;
                default:
                    throw new Xunit.Sdk.XunitException($"App settings variable {variable.Value} has a shape this test cannot read.");
            }
        }

        Assert.NotEmpty(settings);
        return settings;
    }

    [GeneratedRegex(@"variables\('([A-Za-z0-9_]+)'\)")]
    private static partial Regex VariableReference();

    [GeneratedRegex(@"createObject\('([^']+)'")]
    private static partial Regex CreatedKey();
}

[CollectionDefinition(Name)]
public sealed class CompiledDeploymentCollection : ICollectionFixture<CompiledDeployment>
{
    public const string Name = "bicep";
}
