using DevMentor.Core.Pipelines;

namespace DevMentor.Core.Integrations.Webhooks;

/// <summary>Webhook runs go through the engine like any other, with the delivery-derived idempotency key.</summary>
public sealed class PipelineBuildStarter(PipelineEngine engine) : IWebhookBuildStarter
{
    public async Task<Guid> StartAsync(WebhookBuildRequest request, CancellationToken cancellationToken)
    {
        var run = await engine.StartAsync(
            new StartRunRequest(request.ProjectId, request.Trigger, request.Branch, request.Commit, IdempotencyKey: request.IdempotencyKey, Label: request.Label),
            cancellationToken);
        return run.RunId;
    }
}
