using System.Text.Json;
using System.Text.Json.Nodes;
using DevMentor.Core.Pipelines;
using DevMentor.Core.Pipelines.Orchestration;
using Microsoft.DurableTask.Converters;

namespace DevMentor.Functions.Tests.Pipelines.Orchestration;

/// <summary>
/// The run orchestration's pinned input across versions: instances already started keep the path their history was
/// written by, so the inputs they were started with must still read as their version (no app, no backend).
/// </summary>
public sealed class RunInputVersionTests
{
    private static readonly RunInput Current = new(Guid.NewGuid(), Guid.NewGuid(), new PipelineDefinition([new StepDefinition("clone", [])]),
        new RunRetrySettings(3, 5, 2, 0.2), 3600, RunVersions.Current, 900);

    /// <summary>An input as the converter wrote it before <see cref="RunInput.Version"/> existed: <c>DeployStage</c> or nothing.</summary>
    private static string Legacy(JsonDataConverter converter, bool? deployStage)
    {
        var json = JsonNode.Parse(converter.Serialize(Current)!)!.AsObject();
        foreach (var name in json.Select(p => p.Key).Where(k => k is "Version" or "version" or "DeployTimeoutSeconds" or "deployTimeoutSeconds").ToList())
        {
            json.Remove(name);
        }

        if (deployStage is { } value)
        {
            json[json.ContainsKey("RunId") ? "DeployStage" : "deployStage"] = value;
        }

        return json.ToJsonString();
    }

    public static TheoryData<string> Converters => new() { "durable-default", "web" };

    /// <summary>The standalone host's converter (the SDK's default), and camelCase as a Functions host's serializer writes.</summary>
    private static JsonDataConverter Converter(string name) =>
        name == "web" ? new JsonDataConverter(new JsonSerializerOptions(JsonSerializerDefaults.Web)) : JsonDataConverter.Default;

    [Theory]
    [MemberData(nameof(Converters))]
    public void A_pinned_input_of_the_deploy_stage_reads_as_version_1_and_one_before_it_as_version_0(string converter)
    {
        var data = Converter(converter);

        var deployStage = data.Deserialize<RunInput>(Legacy(data, true))!;
        var before = data.Deserialize<RunInput>(Legacy(data, null))!;
        var explicitFalse = data.Deserialize<RunInput>(Legacy(data, false))!;

        Assert.Equal(RunVersions.DeployStage, deployStage.Version);
        Assert.Equal(RunVersions.DefaultDeployTimeoutSeconds, deployStage.DeployTimeoutSeconds);
        Assert.Equal(Current.Definition.Steps.Select(s => s.Name), deployStage.Definition.Steps.Select(s => s.Name));
        Assert.Equal(RunVersions.BeforeDeployStage, before.Version);
        Assert.Equal(RunVersions.BeforeDeployStage, explicitFalse.Version);
    }

    [Theory]
    [MemberData(nameof(Converters))]
    public void A_new_input_keeps_its_version_and_deploy_timeout_and_writes_no_legacy_field(string converter)
    {
        var data = Converter(converter);

        var json = data.Serialize(Current)!;
        var read = data.Deserialize<RunInput>(json)!;

        Assert.DoesNotContain("eployStage", json, StringComparison.Ordinal);
        Assert.Equal((RunVersions.Current, 900), (read.Version, read.DeployTimeoutSeconds));
        Assert.Equal(3, RunVersions.Current);
    }
}
