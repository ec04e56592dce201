using System.Text.Json;
using System.Text.Json.Serialization;
using DevMentor.Core.Security;

namespace DevMentor.Core.Projects;

/// <summary>
/// Source-generated JSON for the Projects and Security features: the HTTP answers
/// and what is stored as JSON (jsonb columns, cache entries, idempotent responses).
/// </summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(Project))]
[JsonSerializable(typeof(ProjectSnapshot))]
[JsonSerializable(typeof(ProjectPage))]
[JsonSerializable(typeof(ProjectRepository))]
[JsonSerializable(typeof(ProjectSettings))]
[JsonSerializable(typeof(ApiKey))]
[JsonSerializable(typeof(ApiKeyPage))]
[JsonSerializable(typeof(CreatedApiKey))]
[JsonSerializable(typeof(Dictionary<string, string>))]
public sealed partial class ProjectsJsonContext : JsonSerializerContext;
