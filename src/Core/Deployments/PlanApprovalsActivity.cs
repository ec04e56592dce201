using DevMentor.Core.Pipelines.Orchestration;
using Microsoft.DurableTask;

namespace DevMentor.Core.Deployments;

/// <summary>
/// Which environments a green run is about to deploy to need an approval first: the same targets the automatic
/// deployment picks (<see cref="AutoDeployer.Targets"/>), those with <c>approval: required</c>. The run's orchestration
/// waits for each before it ends as succeeded, so nothing deploys unapproved.
/// </summary>
[DurableTask(RunTasks.PlanApprovals)]
public sealed class PlanApprovalsActivity(DeployableRuns runs) : TaskActivity<Guid, List<ApprovalGate>>
{
    public override async Task<List<ApprovalGate>> RunAsync(TaskActivityContext context, Guid input)
    {
        if (await runs.GetAsync(input, CancellationToken.None) is not { } run)
        {
            return [];
        }

        return AutoDeployer.Targets(run).Targets
            .Where(e => e.Approval is not null)
            .Select(e => new ApprovalGate(e.Name, e.Approval!.Approvers, e.Approval.TimeoutSeconds))
            .ToList();
    }
}
