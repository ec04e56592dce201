using System.Text.Json;
using System.Text.Json.Serialization;

namespace DevMentor.Core.Tasks;

/// <summary>Source-generated JSON for the Tasks feature: its HTTP answers and the linked commits column.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, UseStringEnumConverter = true)]
[JsonSerializable(typeof(ProjectTask))]
[JsonSerializable(typeof(TaskPage))]
[JsonSerializable(typeof(TaskHistory))]
[JsonSerializable(typeof(List<TaskCommit>))]
public sealed partial class TasksJsonContext : JsonSerializerContext;
