namespace DevMentor.Core.Integrations.Webhooks;

/// <summary>What the intake decided about a request; the HTTP function maps it to a status code.</summary>
public abstract record WebhookIntakeResult
{
    private WebhookIntakeResult()
    {
    }

    /// <summary>Signature or token missing or wrong: nothing was parsed or stored.</summary>
    public sealed record Unauthorized(string Reason) : WebhookIntakeResult;

    public sealed record Invalid(string Reason) : WebhookIntakeResult;

    /// <summary>Verified, but not JSON (a hook set to form encoding): not stored.</summary>
    public sealed record UnsupportedMediaType(string Reason) : WebhookIntakeResult;

    /// <summary>A ping: stored as processed and answered 200.</summary>
    public sealed record Pong(Guid Id) : WebhookIntakeResult;

    /// <summary>Stored (or already stored under the same delivery id: <paramref name="Duplicate"/>) and answered 202.</summary>
    public sealed record Accepted(Guid Id, string DeliveryId, bool Duplicate) : WebhookIntakeResult;
}
