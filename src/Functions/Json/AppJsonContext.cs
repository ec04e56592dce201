using System.Text.Json;
using System.Text.Json.Serialization;
using DevMentor.Functions.Health;
using DevMentor.Functions.Webhooks;

namespace DevMentor.Functions.Json;

/// <summary>Source-generated serialization for the API's own types (camelCase, as clients expect).</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(HealthResponse))]
[JsonSerializable(typeof(LivenessResponse))]
[JsonSerializable(typeof(WebhookAnswer))]
[JsonSerializable(typeof(WebhookDeliveryView))]
[JsonSerializable(typeof(DevMentor.Core.Integrations.Remotes.RemoteState))]
[JsonSerializable(typeof(DevMentor.Core.Integrations.Secrets.IssuedWebhookSecret))]
[JsonSerializable(typeof(DevMentor.Core.Integrations.Secrets.WebhookSecretStatus))]
[JsonSerializable(typeof(System.Text.Json.Nodes.JsonObject))]
public sealed partial class AppJsonContext : JsonSerializerContext;
