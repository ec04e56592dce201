using Microsoft.DurableTask;

namespace DevMentor.Core.Pipelines.Orchestration;

/// <summary>
/// Puts a step's attempt on the runner queue (idempotent); returns the attempt's outcome when it already has one, or,
/// asked to (<see cref="QueueStepRequest.AwaitOutcome"/>), when it comes within a short wait.
/// </summary>
[DurableTask(RunTasks.QueueStep)]
public sealed class QueueStepActivity(PipelineEngine engine) : TaskActivity<QueueStepRequest, StepOutcome?>
{
    public override async Task<StepOutcome?> RunAsync(TaskActivityContext context, QueueStepRequest input) =>
        await engine.QueueStepAsync(input.RunId, input.Position, input.Attempt, CancellationToken.None)
        ?? (input.AwaitOutcome ? await engine.AwaitStepOutcomeAsync(input.RunId, input.Position, input.Attempt, CancellationToken.None) : null);
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

/// <summary>Records that the run waits for an approval (idempotent: a request is made once per run and environment).</summary>
[DurableTask(RunTasks.RequestApproval)]
public sealed class RequestApprovalActivity(PipelineEngine engine) : TaskActivity<ApprovalRequest, bool>
{
    public override async Task<bool> RunAsync(TaskActivityContext context, ApprovalRequest input)
    {
        await engine.Store.RequestApprovalAsync(input, CancellationToken.None);
        return true;
    }
}

/// <summary>The approval's timer fired: expires it unless someone decided first (then returns that decision); null when not due yet.</summary>
[DurableTask(RunTasks.ExpireApproval)]
public sealed class ExpireApprovalActivity(PipelineEngine engine) : TaskActivity<ApprovalExpiry, ApprovalDecision?>
{
    public override Task<ApprovalDecision?> RunAsync(TaskActivityContext context, ApprovalExpiry input) =>
        engine.Store.ExpireApprovalAsync(input.RunId, input.Environment, CancellationToken.None);
}
