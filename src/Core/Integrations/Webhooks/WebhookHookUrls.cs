namespace DevMentor.Core.Integrations.Webhooks;

/// <summary>The URLs repository hosts deliver to: Service:PublicBaseUrl + /webhooks/{provider}, with ?project= for a project's own hook.</summary>
public sealed record WebhookHookUrls(Uri PublicBaseUrl)
{
    public Uri For(string provider, Guid projectId) => new(PublicBaseUrl, $"webhooks/{provider}?project={projectId}");
}
