using System.Text.Json;
using System.Text.Json.Serialization;

namespace DevMentor.Core.Builds.Runs;

/// <summary>The clone step's <c>deploy.environments</c> output: the plan's environments as camelCase JSON.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull, UseStringEnumConverter = true)]
[JsonSerializable(typeof(IReadOnlyList<DeployEnvironment>))]
public sealed partial class BuildRunJsonContext : JsonSerializerContext;
