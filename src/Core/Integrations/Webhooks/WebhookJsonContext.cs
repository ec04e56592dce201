using System.Text.Json.Serialization;

namespace DevMentor.Core.Integrations.Webhooks;

[JsonSerializable(typeof(IReadOnlyDictionary<string, string>))]
internal sealed partial class WebhookJsonContext : JsonSerializerContext;
