using DevMentor.Core.Durable;
using Microsoft.DurableTask.Client;

namespace DevMentor.Core.Pipelines.Orchestration;

/// <summary>The orchestration side of a run, as users see it: Durable's runtime status and the stage the run waits on.</summary>
/// <param name="RuntimeStatus">Durable's status of the instance (pending, running, completed, failed, terminated), lower case.</param>
public sealed record RunRuntime(string InstanceId, string RuntimeStatus, string? Stage, int? Attempt, string? Waiting);

/// <summary>Reads a run's orchestration state; answers null rather than wait when the Durable client is not ready yet.</summary>
public sealed class RunOrchestrations(DurableClientSource clients)
{
    public async Task<RunRuntime?> GetAsync(Guid runId, CancellationToken cancellationToken)
    {
        if (!clients.IsReady)
        {
            return null;
        }

        var client = await clients.GetAsync(cancellationToken);
        var instanceId = RunInput.InstanceIdFor(runId);
        if (await client.GetInstanceAsync(instanceId, getInputsAndOutputs: true, cancellationToken) is not { } state)
        {
            return new RunRuntime(instanceId, "not_started", null, null, null);
        }

        var progress = state.SerializedCustomStatus is { Length: > 0 } ? state.ReadCustomStatusAs<RunProgress>() : null;
        return new RunRuntime(instanceId, Wire(state.RuntimeStatus), progress?.Stage, progress?.Attempt, progress?.Waiting);
    }

    private static string Wire(OrchestrationRuntimeStatus status) => status switch
    {
        OrchestrationRuntimeStatus.Running => "running",
        OrchestrationRuntimeStatus.Completed => "completed",
        OrchestrationRuntimeStatus.Failed => "failed",
        OrchestrationRuntimeStatus.Terminated => "terminated",
        OrchestrationRuntimeStatus.Suspended => "suspended",
        OrchestrationRuntimeStatus.Pending => "pending",
        _ => status.ToString().ToLowerInvariant(),
    };
}
