using DevMentor.Core.Pipelines.Orchestration;
using Microsoft.DurableTask;

namespace DevMentor.Core.Deployments;

/// <summary>
/// The run's deploy stage (ADR 0039): the environments a green run deploys to, in order, the same targets as the
/// automatic deployment picks (<see cref="AutoDeployer.Targets"/>), each with its approval gate when it has one. It
/// also claims the run for the stage in deployment_run_checks, so the automatic deployer, which deploys runs that
/// succeeded without the stage, never deploys it a second time. Idempotent: a re-run records the same claim.
/// </summary>
[DurableTask(RunTasks.PlanDeployments)]
public sealed class PlanDeploymentsActivity(DeployableRuns runs, PostgresDeploymentStore store) : TaskActivity<Guid, List<PlannedDeployment>>
{
    public override async Task<List<PlannedDeployment>> RunAsync(TaskActivityContext context, Guid input)
    {
        if (await runs.GetAsync(input, CancellationToken.None) is not { } run)
        {
            return [];
        }

        var (targets, outcome) = AutoDeployer.Targets(run);
        await store.ClaimRunForStageAsync(run.RunId, "deploy stage: " + outcome, CancellationToken.None);
        return targets
            .Select(e => new PlannedDeployment(e.Name, e.Approval is { } approval ? new ApprovalGate(e.Name, approval.Approvers, approval.TimeoutSeconds) : null, e.DeployTimeoutSeconds))
            .ToList();
    }
}

/// <summary>
/// Starts the deploy stage's deployment of a run to an environment: accepted as 'pending' (trigger auto) for the
/// deployment worker, which works it with its health gate. One per run and environment (a unique index): a re-run
/// finds the one it made, and answers its outcome when it already ended (else the orchestration waits for the event
/// its end raises through the outbox, migration 0033).
/// </summary>
[DurableTask(RunTasks.StartDeployment)]
public sealed class StartDeploymentActivity(DeployableRuns runs, PostgresDeploymentStore store, DeploymentSignal signal) : TaskActivity<DeploymentRequest, DeploymentOutcome?>
{
    public override async Task<DeploymentOutcome?> RunAsync(TaskActivityContext context, DeploymentRequest input)
    {
        var run = await runs.GetAsync(input.RunId, CancellationToken.None);
        if (run?.Environments.FirstOrDefault(e => e.Name == input.Environment) is not { } environment)
        {
            return new DeploymentOutcome(false, Guid.Empty, $"the run declares no environment '{input.Environment}'");
        }

        var deployment = await store.InsertStageAsync(
            new NewDeployment(run.ProjectId, environment.Name, AutoDeployer.Target(environment), run.RunId, run.Number, "auto", null, null), CancellationToken.None);
        signal.Notify();
        return deployment.Status switch
        {
            DeploymentStatus.Pending or DeploymentStatus.Deploying => null,
            DeploymentStatus.Failed or DeploymentStatus.Canceled => new DeploymentOutcome(false, deployment.Id, deployment.Error),
            _ => new DeploymentOutcome(true, deployment.Id, null),
        };
    }
}

/// <summary>
/// Stops the deploy stage's deployment of a run (ADR 0044): the run was canceled, or its deploy wait timed out. A
/// pending or deploying deployment ends 'canceled' with a <c>deployment.canceled</c> event (who, why) in the run's
/// history, and its work here stops at once (its release process, its webhook retries; a worker in another instance
/// notices the row). A deployment already current is past the point of no return: left as is, said in the event
/// <c>deployment.not_canceled</c>. Idempotent.
/// </summary>
/// <returns>Whether the deployment is stopped (false: it had already ended; its outcome event is on its way).</returns>
[DurableTask(RunTasks.StopDeployment)]
public sealed class StopDeploymentActivity(PostgresDeploymentStore store, DeploymentCancellations cancellations) : TaskActivity<StopDeploymentRequest, bool>
{
    public override async Task<bool> RunAsync(TaskActivityContext context, StopDeploymentRequest input)
    {
        if (await store.StopStageAsync(input.RunId, input.Environment, input.Reason, input.By, CancellationToken.None) is not { } stop)
        {
            return true;
        }

        if (stop.Stopped || stop.Was == DeploymentStatus.Canceled)
        {
            cancellations.Cancel(stop.DeploymentId);
            return true;
        }

        return false;
    }
}
