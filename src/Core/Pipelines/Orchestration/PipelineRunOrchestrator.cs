using Microsoft.DurableTask;

namespace DevMentor.Core.Pipelines.Orchestration;

/// <summary>
/// A run as a Durable orchestration: its steps in order, each queued for runners by an activity and awaited as an
/// external event (steps run on runners, not in activities: a build outlives any function timeout). The rules of a
/// step's end are <see cref="StepCompletionRules"/>, the same as before: success moves on (clone's plan appends the
/// planned steps), a failing command or a timeout ends the run, an infrastructure failure waits a durable timer of
/// exponential backoff with jitter and queues the next attempt, until its attempts are used up. A step's timeout is
/// a durable timer; cancel is an external event that ends the waiting step and the run. After the last step comes the
/// deploy stage (ADR 0039): each environment the run deploys to, after its approval when it needs one, deployed by an
/// activity of the deployments feature whose end is awaited as an external event; a failed deployment fails the run,
/// and a cancel or the deploy timeout (a durable timer) stops the deployment (ADR 0044).
/// Deterministic: no I/O, the context's clock, jitter from the context's replay-safe GUIDs.
/// </summary>
[DurableTask(RunTasks.Orchestrator)]
public sealed partial class PipelineRunOrchestrator : TaskOrchestrator<RunInput, RunOutcome>
{
    public override async Task<RunOutcome> RunAsync(TaskOrchestrationContext context, RunInput input)
    {
        var steps = input.Definition.Steps.ToList();
        // Whether a step (clone) declared deploy environments: only then is there a deploy stage to plan.
        var deploys = false;
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
                var queued = context.CallActivityAsync<StepOutcome?>(RunTasks.QueueStep, new QueueStepRequest(input.RunId, position, step.Name, attempt, AwaitOutcome: input.Version >= RunVersions.OutcomeWithActivity));
                if (input.Version < RunVersions.DeployStage)
                {
                    // Instances started before ADR 0039 wrote their histories with the queueing awaited first.
                    await queued;
                }

                var outcome = input.Version >= RunVersions.OutcomeWithActivity
                    ? await QueueAndWaitAsync(context, input, position, attempt, timeout, canceled, queued)
                    : await WaitForStepAsync(context, input, position, attempt, timeout, canceled, queued);
                if (outcome is null or { Kind: StepResultKind.Canceled })
                {
                    return await FinishAsync(context, input, RunStatus.Canceled, position, "canceled");
                }

                var result = outcome.ToResult();
                deploys |= outcome is { Kind: StepResultKind.Succeeded, Deploys: true };

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

        // Every step succeeded: the deploy stage, an environment at a time, each after its approval when it needs one.
        // Instances started before the stage existed keep their old path: approvals only (ADR 0039).
        var deployments = input.Version < RunVersions.DeployStage
            ? (await context.CallActivityAsync<List<ApprovalGate>>(RunTasks.PlanApprovals, input.RunId)).Select(g => new PlannedDeployment(g.Environment, g)).ToList()
            : deploys ? await context.CallActivityAsync<List<PlannedDeployment>>(RunTasks.PlanDeployments, input.RunId) : [];
        foreach (var planned in deployments)
        {
            if (planned.Approval is { } gate && await ApproveAsync(context, input, gate, steps.Count, canceled) is { } refused)
            {
                return await FinishAsync(context, input, refused.Status, steps.Count - 1, refused.Reason);
            }

            if (input.Version < RunVersions.DeployStage)
            {
                continue;
            }

            // The status first, as for an approval: GET …/builds/{runId} shows the stage while the deployment runs.
            context.SetCustomStatus(new RunProgress("deploy:" + planned.Environment, steps.Count, 1, "deployment"));
            var request = new DeploymentRequest(input.RunId, planned.Environment);
            var deployed = await context.CallActivityAsync<DeploymentOutcome?>(RunTasks.StartDeployment, request)
                ?? (input.Version < RunVersions.DeployStopAndTimeout
                    ? await WaitForDeploymentAsync(context, planned.Environment, canceled)
                    : await WaitOrStopDeploymentAsync(context, input, planned, canceled));
            if (deployed is null)
            {
                return await FinishAsync(context, input, RunStatus.Canceled, steps.Count - 1, "canceled");
            }

            if (!deployed.Succeeded)
            {
                return await FinishAsync(context, input, RunStatus.Failed, steps.Count - 1, $"deploy:{planned.Environment}: {deployed.Error ?? "the deployment failed"}");
            }
        }

        return await FinishAsync(context, input, RunStatus.Succeeded, steps.Count - 1, null);
    }

    /// <summary>
    /// Version 3 (ADR 0046): the queueing activity waits briefly for the outcome itself, so a short step's outcome
    /// comes with the activity's completion (one episode, no event, no timer). Otherwise the outcome comes as its
    /// event, and the step's timeout timer starts once the activity answered without one.
    /// </summary>
    /// <returns>The step's outcome; null when the run was canceled.</returns>
    private static async Task<StepOutcome?> QueueAndWaitAsync(TaskOrchestrationContext context, RunInput input, int position, int attempt, TimeSpan timeout, Task<string> canceled, Task<StepOutcome?> queued)
    {
        var outcome = context.WaitForExternalEvent<StepOutcome>(StepOutcome.NameFor(position, attempt));
        var first = await Task.WhenAny(queued, outcome, canceled);
        if (first == canceled)
        {
            return null;
        }

        if (first == outcome)
        {
            return outcome.Result;
        }

        return await queued ?? await WaitForStepAsync(context, input, position, attempt, timeout, canceled, queued, outcome);
    }

    /// <summary>
    /// Waits for the attempt's outcome, its timeout (a durable timer; the store decides, since the timeout counts from
    /// the runner's claim, not from the queue) or the run's cancel. <paramref name="queued"/> is the queueing activity:
    /// it answers the outcome itself when the attempt already has one (a replay after a crash; no event comes then),
    /// and its failure fails the run.
    /// </summary>
    /// <returns>The step's outcome; null when the run was canceled.</returns>
    private static async Task<StepOutcome?> WaitForStepAsync(TaskOrchestrationContext context, RunInput input, int position, int attempt, TimeSpan timeout, Task<string> canceled, Task<StepOutcome?> queued, Task<StepOutcome>? awaited = null)
    {
        if (queued.IsCompletedSuccessfully && queued.Result is { } known)
        {
            return known;
        }

        var outcome = awaited ?? context.WaitForExternalEvent<StepOutcome>(StepOutcome.NameFor(position, attempt));
        var checkAt = context.CurrentUtcDateTime + timeout;
        var queueing = queued.IsCompleted ? null : queued;
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
                    return recorded;
                }

                first = await Task.WhenAny(outcome, timer, canceled);
            }

            if (first != timer)
            {
                CancelTimer(stopTimer);
            }

            if (first == outcome)
            {
                return outcome.Result;
            }

            if (first == canceled)
            {
                return null;
            }

            var check = await context.CallActivityAsync<StepTimeoutCheck>(RunTasks.CheckStepTimeout, new StepTimeoutRequest(input.RunId, position, attempt));
            if (check.Ended is { } ended)
            {
                return ended;
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
