using DevMentor.Core.Deployments;
using DevMentor.Core.Pipelines.Orchestration;
using DevMentor.Functions.Durable;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask;

namespace DevMentor.Functions.Pipelines;

/// <summary>The Functions host's wrappers of the run orchestration and its activities (ADR 0021).</summary>
public sealed class PipelineRunDurableFunctions
{
    [Function(RunTasks.Orchestrator)]
    public Task<RunOutcome> RunPipeline([OrchestrationTrigger] TaskOrchestrationContext context, FunctionContext function) =>
        DurableWrappers.Orchestrate<PipelineRunOrchestrator, RunInput, RunOutcome>(function, context);

    [Function(RunTasks.QueueStep)]
    public Task<StepOutcome?> QueueStep([ActivityTrigger] QueueStepRequest input, FunctionContext function) =>
        DurableWrappers.Activity<QueueStepActivity, QueueStepRequest, StepOutcome?>(function, input);

    [Function(RunTasks.CheckStepTimeout)]
    public Task<StepTimeoutCheck> CheckStepTimeout([ActivityTrigger] StepTimeoutRequest input, FunctionContext function) =>
        DurableWrappers.Activity<CheckStepTimeoutActivity, StepTimeoutRequest, StepTimeoutCheck>(function, input);

    [Function(RunTasks.RequestApproval)]
    public Task<bool> RequestApproval([ActivityTrigger] ApprovalRequest input, FunctionContext function) =>
        DurableWrappers.Activity<RequestApprovalActivity, ApprovalRequest, bool>(function, input);

    [Function(RunTasks.ExpireApproval)]
    public Task<ApprovalDecision?> ExpireApproval([ActivityTrigger] ApprovalExpiry input, FunctionContext function) =>
        DurableWrappers.Activity<ExpireApprovalActivity, ApprovalExpiry, ApprovalDecision?>(function, input);

    [Function(RunTasks.PlanApprovals)]
    public Task<List<ApprovalGate>> PlanApprovals([ActivityTrigger] Guid input, FunctionContext function) =>
        DurableWrappers.Activity<PlanApprovalsActivity, Guid, List<ApprovalGate>>(function, input);

    [Function(RunTasks.PlanDeployments)]
    public Task<List<PlannedDeployment>> PlanDeployments([ActivityTrigger] Guid input, FunctionContext function) =>
        DurableWrappers.Activity<PlanDeploymentsActivity, Guid, List<PlannedDeployment>>(function, input);

    [Function(RunTasks.StartDeployment)]
    public Task<DeploymentOutcome?> StartDeployment([ActivityTrigger] DeploymentRequest input, FunctionContext function) =>
        DurableWrappers.Activity<StartDeploymentActivity, DeploymentRequest, DeploymentOutcome?>(function, input);

    [Function(RunTasks.StopDeployment)]
    public Task<bool> StopDeployment([ActivityTrigger] StopDeploymentRequest input, FunctionContext function) =>
        DurableWrappers.Activity<StopDeploymentActivity, StopDeploymentRequest, bool>(function, input);

    [Function(RunTasks.FinishRun)]
    public Task<bool> FinishRun([ActivityTrigger] FinishRunRequest input, FunctionContext function) =>
        DurableWrappers.Activity<FinishRunActivity, FinishRunRequest, bool>(function, input);
}
