using Microsoft.DurableTask;

namespace DevMentor.Core.Pipelines.Orchestration;

/// <summary>Puts a step's attempt on the runner queue (idempotent); returns the attempt's outcome when it already has one.</summary>
[DurableTask(RunTasks.QueueStep)]
public sealed class QueueStepActivity(PipelineEngine engine) : TaskActivity<QueueStepRequest, StepOutcome?>
{
    public override Task<StepOutcome?> RunAsync(TaskActivityContext context, QueueStepRequest input) =>
        engine.QueueStepAsync(input.RunId, input.Position, input.Attempt, CancellationToken.None);
}

/// <summary>The attempt's timer fired: ends it as timed out if it ran past its timeout since its claim, or says when to look again.</summary>
[DurableTask(RunTasks.CheckStepTimeout)]
public sealed class CheckStepTimeoutActivity(PipelineEngine engine) : TaskActivity<StepTimeoutRequest, StepTimeoutCheck>
{
    public override Task<StepTimeoutCheck> RunAsync(TaskActivityContext context, StepTimeoutRequest input) =>
        engine.CheckStepTimeoutAsync(input.RunId, input.Position, input.Attempt, CancellationToken.None);
}

/// <summary>Writes the run's final status (idempotent: a run that already ended, by a cancel for example, stays as it is).</summary>
[DurableTask(RunTasks.FinishRun)]
public sealed class FinishRunActivity(PipelineEngine engine) : TaskActivity<FinishRunRequest, bool>
{
    public override Task<bool> RunAsync(TaskActivityContext context, FinishRunRequest input) =>
        engine.FinishRunAsync(input.RunId, input.Status, input.Reason, CancellationToken.None);
}
