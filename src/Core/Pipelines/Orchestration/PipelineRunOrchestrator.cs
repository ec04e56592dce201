using Microsoft.DurableTask;

namespace DevMentor.Core.Pipelines.Orchestration;

/// <summary>
/// A run as a Durable orchestration: its steps in order, each queued for runners by an activity and awaited as an
/// external event (steps run on runners, not in activities: a build outlives any function timeout). The rules of a
/// step's end are <see cref="StepCompletionRules"/>, the same as before: success moves on (clone's plan appends the
/// planned steps), a failing command or a timeout ends the run, an infrastructure failure waits a durable timer of
/// exponential backoff with jitter and queues the next attempt, until its attempts are used up. A step's timeout is
/// a durable timer; cancel is an external event that ends the waiting step and the run.
/// Deterministic: no I/O, the context's clock, jitter from the context's replay-safe GUIDs.
/// <para>
/// STAGED (issue 13, ADR 0021): this orchestration and its contracts are tested on the real backend
/// (PipelineRunOrchestratorTests) but not yet registered in the composition: runs are still sequenced by
/// <see cref="PipelineEngine"/> until the activities, the outcome outbox and the engine's removal land together.
/// </para>
/// </summary>
[DurableTask(RunTasks.Orchestrator)]
public sealed class PipelineRunOrchestrator : TaskOrchestrator<RunInput, RunOutcome>
{
    public override async Task<RunOutcome> RunAsync(TaskOrchestrationContext context, RunInput input)
    {
        var steps = input.Definition.Steps.ToList();
        // One wait for the whole run: an event raised while no step waits is kept for it.
        var canceled = context.WaitForExternalEvent<string>(RunTasks.CancelEvent);
        for (var position = 0; position < steps.Count; position++)
        {
            var step = steps[position];
            var maxAttempts = step.Retry?.MaxAttempts ?? input.Retry.MaxAttempts;
            var timeout = TimeSpan.FromSeconds(step.TimeoutSeconds ?? input.DefaultTimeoutSeconds);
            for (var attempt = 1; ; attempt++)
            {
                context.SetCustomStatus(new RunProgress(step.Name, position, attempt, "runner"));
                await context.CallActivityAsync(RunTasks.QueueStep, new QueueStepRequest(input.RunId, position, step.Name, attempt));
                var result = await WaitForStepAsync(context, input, position, attempt, timeout, canceled);
                if (result is null)
                {
                    return await FinishAsync(context, input, RunStatus.Canceled, position, "canceled");
                }

                var hasNext = position + 1 < steps.Count || result.Plan is { Steps.Count: > 0 };
                var decision = StepCompletionRules.Decide(result, attempt, maxAttempts, hasNext, failed => Backoff(context, input.Retry, step.Retry, failed));
                if (decision.RetryIn is { } retryIn)
                {
                    context.SetCustomStatus(new RunProgress(step.Name, position, attempt, "retry"));
                    using var stopTimer = new CancellationTokenSource();
                    var timer = context.CreateTimer(context.CurrentUtcDateTime + retryIn, stopTimer.Token);
                    if (await Task.WhenAny(timer, canceled) == canceled)
                    {
                        CancelTimer(stopTimer);
                        return await FinishAsync(context, input, RunStatus.Canceled, position, "canceled");
                    }

                    continue;
                }

                if (decision.RunEnds is { } ends && ends != RunStatus.Succeeded)
                {
                    return await FinishAsync(context, input, ends, position, decision.Error);
                }

                if (result.Plan is { } plan)
                {
                    steps.AddRange(plan.Steps);
                }

                break;
            }
        }

        return await FinishAsync(context, input, RunStatus.Succeeded, steps.Count - 1, null);
    }

    /// <returns>The step's result; a timeout becomes <see cref="StepResultKind.TimedOut"/>; null when the run was canceled.</returns>
    private static async Task<StepResult?> WaitForStepAsync(TaskOrchestrationContext context, RunInput input, int position, int attempt, TimeSpan timeout, Task<string> canceled)
    {
        using var stopTimer = new CancellationTokenSource();
        var outcome = context.WaitForExternalEvent<StepOutcome>(StepOutcome.NameFor(position, attempt));
        var timer = context.CreateTimer(context.CurrentUtcDateTime + timeout, stopTimer.Token);
        var first = await Task.WhenAny(outcome, timer, canceled);
        if (first != timer)
        {
            CancelTimer(stopTimer);
        }

        if (first == outcome)
        {
            return outcome.Result.ToResult();
        }

        if (first == canceled)
        {
            return null;
        }

        await context.CallActivityAsync(RunTasks.TimeOutStep, new StepTimeoutRequest(input.RunId, position, attempt));
        return new StepResult(StepResultKind.TimedOut, Error: $"the step ran past its timeout of {timeout.TotalSeconds:0} s");
    }

    /// <summary>
    /// Cancels a durable timer synchronously. Never <c>await cts.CancelAsync()</c> here: it completes on a thread-pool
    /// thread, the rest of the orchestrator would run off the orchestration's own scheduler, and the actions it then
    /// takes (queueing the next step) would never reach the history: the run would wait forever.
    /// </summary>
#pragma warning disable CA1849 // the synchronous Cancel is the deterministic one (see above)
    private static void CancelTimer(CancellationTokenSource timer) => timer.Cancel();
#pragma warning restore CA1849

    private static async Task<RunOutcome> FinishAsync(TaskOrchestrationContext context, RunInput input, RunStatus status, int position, string? error)
    {
        context.SetCustomStatus(null);
        await context.CallActivityAsync(RunTasks.FinishRun, new FinishRunRequest(input.RunId, status, error));
        return new RunOutcome(status, position + 1, error);
    }

    /// <summary>Pipelines:Retry:* (or the step's own retry policy), with jitter drawn from the context's deterministic GUIDs.</summary>
    private static TimeSpan Backoff(TaskOrchestrationContext context, RunRetrySettings retry, RetryPolicy? policy, int failedAttempt)
    {
        var random = (BitConverter.ToUInt32(context.NewGuid().ToByteArray(), 0) & 0xFFFFFF) / (double)0x1000000;
        return RetryBackoff.Delay(failedAttempt, TimeSpan.FromSeconds(policy?.FirstDelaySeconds ?? retry.FirstDelaySeconds),
            policy?.Factor ?? retry.Factor, retry.Jitter, random);
    }
}
