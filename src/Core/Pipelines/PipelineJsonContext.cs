using System.Text.Json;
using System.Text.Json.Serialization;
using DevMentor.Core.Pipelines.Runners;

namespace DevMentor.Core.Pipelines;

/// <summary>Source-generated JSON for pinned definitions and the runner API (shared by service and DevMentor.Runner).</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull, UseStringEnumConverter = true)]
[JsonSerializable(typeof(PipelineDefinition))]
[JsonSerializable(typeof(Orchestration.StepOutcome))]
[JsonSerializable(typeof(Orchestration.ApprovalDecision))]
[JsonSerializable(typeof(Orchestration.DeploymentOutcome))]
[JsonSerializable(typeof(Dictionary<string, string>))]
[JsonSerializable(typeof(string))]
[JsonSerializable(typeof(RegisterRunnerRequest))]
[JsonSerializable(typeof(RegisterRunnerResponse))]
[JsonSerializable(typeof(RunnerJob))]
[JsonSerializable(typeof(HeartbeatRequest))]
[JsonSerializable(typeof(HeartbeatResponse))]
[JsonSerializable(typeof(LogRequest))]
[JsonSerializable(typeof(CompleteRequest))]
[JsonSerializable(typeof(CompleteResponse))]
[JsonSerializable(typeof(TestsRequest))]
[JsonSerializable(typeof(RunnerQueueResponse))]
[JsonSerializable(typeof(DevMentor.Core.Pipelines.Artifacts.ArtifactInfo))]
public sealed partial class PipelineJsonContext : JsonSerializerContext;
