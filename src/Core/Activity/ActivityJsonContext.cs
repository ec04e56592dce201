using System.Text.Json;
using System.Text.Json.Serialization;

namespace DevMentor.Core.Activity;

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(ActivityPage))]
public sealed partial class ActivityJsonContext : JsonSerializerContext;
