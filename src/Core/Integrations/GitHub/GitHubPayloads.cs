using System.Text;
using System.Text.Json;
using Octokit.Webhooks;

namespace DevMentor.Core.Integrations.GitHub;

/// <summary>
/// GitHub's webhook payloads as Octokit.Webhooks types. The library's event processor is used only
/// for its <see cref="WebhookEventProcessor.DeserializeWebhookEvent"/>: it maps X-GitHub-Event (and
/// the action) to the event's type with the library's source-generated JSON metadata. Processing
/// stays ours, since it must answer with an outcome to store, which the processor's callbacks do not.
/// </summary>
public sealed class GitHubPayloads : WebhookEventProcessor
{
    public static GitHubPayloads Instance { get; } = new();

    private GitHubPayloads()
    {
    }

    /// <summary>The typed event, or why the payload is not the JSON object GitHub sends for that event.</summary>
    public (WebhookEvent? Event, string? Problem) Parse(string eventName, byte[] payload)
    {
        try
        {
            var parsed = DeserializeWebhookEvent(new WebhookHeaders { Event = eventName }, Encoding.UTF8.GetString(payload));
            return parsed is null ? (null, "the payload is empty (JSON null)") : (parsed, null);
        }
        catch (JsonException e)
        {
            return (null, $"the payload is not the JSON object GitHub sends for '{eventName}': {e.Message}");
        }
        catch (ArgumentException e)
        {
            // A string the library's own enum converters refuse.
            return (null, $"the payload is not the JSON object GitHub sends for '{eventName}': {e.Message}");
        }
    }

    /// <summary>
    /// The payload's top-level "action", read without the event's type: GitHub adds actions over
    /// time, and one the library does not know yet must not turn a delivery we ignore anyway into an invalid one.
    /// </summary>
    public static string? PeekAction(byte[] payload)
    {
        try
        {
            using var document = JsonDocument.Parse(payload);
            return document.RootElement.ValueKind == JsonValueKind.Object &&
                document.RootElement.TryGetProperty("action", out var action) && action.ValueKind == JsonValueKind.String
                ? action.GetString()
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
