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

    [Function(RunTasks.FinishRun)]
    public Task<bool> FinishRun([ActivityTrigger] FinishRunRequest input, FunctionContext function) =>
        DurableWrappers.Activity<FinishRunActivity, FinishRunRequest, bool>(function, input);
}
