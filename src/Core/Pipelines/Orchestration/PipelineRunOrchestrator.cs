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
                // Queued and awaited in the same episode: a fast step's outcome can then arrive with the activity's
                // completion (one episode per step instead of two).
                var queued = context.CallActivityAsync<StepOutcome?>(RunTasks.QueueStep, new QueueStepRequest(input.RunId, position, step.Name, attempt));
                var result = await WaitForStepAsync(context, input, position, attempt, timeout, canceled, queued);
                if (result is null or { Kind: StepResultKind.Canceled })
                {
                    return await FinishAsync(context, input, RunStatus.Canceled, position, "canceled");
                }

                var hasNext = position + 1 < steps.Count || result.Plan is { Steps.Count: > 0 };
                var decision = StepCompletionRules.Decide(result, attempt, maxAttempts, hasNext, failed => Backoff(context, input.Retry, step.Retry, failed));
                if (decision.RetryIn is { } retryIn)
                {
                    context.SetCustomStatus(new RunProgress(step.Name, position, attempt, "retry"));
                    if (!await DelayAsync(context, context.CurrentUtcDateTime + retryIn, canceled))
                    {
                        return await FinishAsync(context, input, RunStatus.Canceled, position, "canceled");
                    }

                    continue;
                }

                if (decision.RunEnds is { } ends && ends != RunStatus.Succeeded)
                {
                    return await FinishAsync(context, input, ends, position, $"step {step.Name}: {decision.Error}");
                }

                if (result.Plan is { } plan)
                {
                    steps.AddRange(plan.Steps);
                }

                break;
            }
        }

        // Every step succeeded: environments this run deploys to that need an approval wait for it, visibly.
        var gates = await context.CallActivityAsync<List<ApprovalGate>>(RunTasks.PlanApprovals, input.RunId);
        foreach (var gate in gates)
        {
            var expiresAt = context.CurrentUtcDateTime.AddSeconds(gate.TimeoutSeconds);
            // The status first: it is saved with this episode, before the request the API shows as waiting is written.
            context.SetCustomStatus(new RunProgress("deploy:" + gate.Environment, steps.Count, 0, "approval"));
            await context.CallActivityAsync(RunTasks.RequestApproval, new ApprovalRequest(input.RunId, gate.Environment, gate.Approvers, expiresAt));
            var decision = await WaitForApprovalAsync(context, input.RunId, gate.Environment, expiresAt, canceled);
            if (decision is null)
            {
                return await FinishAsync(context, input, RunStatus.Canceled, steps.Count - 1, "canceled");
            }

            if (!decision.Approved)
            {
                var reason = decision.Expired
                    ? $"the approval to deploy to {gate.Environment} was not given within {TimeSpan.FromSeconds(gate.TimeoutSeconds)}"
                    : $"the deployment to {gate.Environment} was rejected by {decision.By}" + (decision.Comment is { Length: > 0 } why ? $": {why}" : "");
                return await FinishAsync(context, input, RunStatus.Failed, steps.Count - 1, reason);
            }
        }

        return await FinishAsync(context, input, RunStatus.Succeeded, steps.Count - 1, null);
    }

    /// <returns>The decision (an expiry is a refusal); null when the run was canceled.</returns>
    private static async Task<ApprovalDecision?> WaitForApprovalAsync(TaskOrchestrationContext context, Guid runId, string environment, DateTime expiresAt, Task<string> canceled)
    {
        var decided = context.WaitForExternalEvent<ApprovalDecision>(ApprovalDecision.NameFor(environment));
        var checkAt = expiresAt;
        while (true)
        {
            using var stopTimer = new CancellationTokenSource();
            var timer = context.CreateTimer(checkAt, stopTimer.Token);
            var first = await Task.WhenAny(decided, timer, canceled);
            if (first != timer)
            {
                CancelTimer(stopTimer);
            }

            if (first == decided)
            {
                return decided.Result;
            }

            if (first == canceled)
            {
                return null;
            }

            // The store decides (someone may have decided just before the timer fired); not yet due: look again.
            if (await context.CallActivityAsync<ApprovalDecision?>(RunTasks.ExpireApproval, new ApprovalExpiry(runId, environment)) is { } ended)
            {
                return ended;
            }

            var soonest = context.CurrentUtcDateTime + TimeSpan.FromSeconds(1);
            checkAt = expiresAt > soonest ? expiresAt : soonest;
        }
    }

    /// <summary>
    /// Waits for the attempt's outcome, its timeout (a durable timer; the store decides, since the timeout counts from
    /// the runner's claim, not from the queue) or the run's cancel. <paramref name="queued"/> is the queueing activity:
    /// it answers the attempt's outcome itself when the attempt already has one (a replay after a crash), and its
    /// failure fails the run as before.
    /// </summary>
    /// <returns>The step's result; null when the run was canceled.</returns>
    private static async Task<StepResult?> WaitForStepAsync(TaskOrchestrationContext context, RunInput input, int position, int attempt, TimeSpan timeout, Task<string> canceled, Task<StepOutcome?> queued)
    {
        var outcome = context.WaitForExternalEvent<StepOutcome>(StepOutcome.NameFor(position, attempt));
        var checkAt = context.CurrentUtcDateTime + timeout;
        Task<StepOutcome?>? queueing = queued;
        while (true)
        {
            using var stopTimer = new CancellationTokenSource();
            var timer = context.CreateTimer(checkAt, stopTimer.Token);
            var first = await (queueing is null ? Task.WhenAny(outcome, timer, canceled) : Task.WhenAny(outcome, timer, canceled, queueing));
            if (first == queueing)
            {
                queueing = null;
                if (await queued is { } recorded)
                {
                    CancelTimer(stopTimer);
                    return recorded.ToResult();
                }

                first = await Task.WhenAny(outcome, timer, canceled);
            }

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

            var check = await context.CallActivityAsync<StepTimeoutCheck>(RunTasks.CheckStepTimeout, new StepTimeoutRequest(input.RunId, position, attempt));
            if (check.Ended is { } ended)
            {
                return ended.ToResult();
            }

            // Never sooner than a second from now: two clocks (the database's, the orchestration's) must not make it spin.
            var soonest = context.CurrentUtcDateTime + TimeSpan.FromSeconds(1);
            checkAt = check.CheckAgainAt is { } at && at > soonest ? at : soonest;
        }
    }

    /// <summary>
    /// A durable delay until <paramref name="until"/>, never shorter: the storage backend's queue delays have whole
    /// seconds, so a sub-second timer can fire early; the orchestration's own (replay-safe) clock decides.
    /// </summary>
    /// <returns>False when the run was canceled meanwhile.</returns>
    private static async Task<bool> DelayAsync(TaskOrchestrationContext context, DateTime until, Task<string> canceled)
    {
        while (context.CurrentUtcDateTime < until)
        {
            using var stopTimer = new CancellationTokenSource();
            var timer = context.CreateTimer(until, stopTimer.Token);
            if (await Task.WhenAny(timer, canceled) == canceled)
            {
                CancelTimer(stopTimer);
                return false;
            }
        }

        return true;
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
