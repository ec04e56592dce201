using System.Text.Json;
using System.Text.Json.Serialization;

namespace DevMentor.Core.Templates;

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(TemplateList))]
[JsonSerializable(typeof(TemplateDetail))]
public sealed partial class TemplatesJsonContext : JsonSerializerContext;
