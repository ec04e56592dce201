using Microsoft.DurableTask;

namespace DevMentor.Core.Pipelines.Orchestration;

/// <summary>The run orchestration's deploy stage: approvals, then each deployment awaited (or stopped) in turn (ADR 0039, 0044).</summary>
public sealed partial class PipelineRunOrchestrator
{
    /// <summary>Waits, visibly, for the approval of an environment.</summary>
    /// <returns>Null when approved; else how the run ends (failed when refused or expired, canceled).</returns>
    private static async Task<(RunStatus Status, string? Reason)?> ApproveAsync(TaskOrchestrationContext context, RunInput input, ApprovalGate gate, int stage, Task<string> canceled)
    {
        var expiresAt = context.CurrentUtcDateTime.AddSeconds(gate.TimeoutSeconds);
        // The status first: it is saved with this episode, before the request the API shows as waiting is written.
        context.SetCustomStatus(new RunProgress("deploy:" + gate.Environment, stage, 0, "approval"));
        await context.CallActivityAsync(RunTasks.RequestApproval, new ApprovalRequest(input.RunId, gate.Environment, gate.Approvers, expiresAt));
        var decision = await WaitForApprovalAsync(context, input.RunId, gate.Environment, expiresAt, canceled);
        if (decision is null)
        {
            return (RunStatus.Canceled, "canceled");
        }

        if (decision.Approved)
        {
            return null;
        }

        return (RunStatus.Failed, decision.Expired
            ? $"the approval to deploy to {gate.Environment} was not given within {TimeSpan.FromSeconds(gate.TimeoutSeconds)}"
            : $"the deployment to {gate.Environment} was rejected by {decision.By}" + (decision.Comment is { Length: > 0 } why ? $": {why}" : ""));
    }

    /// <summary>
    /// Version 1's wait for the deployment's end, raised through the outbox in the transaction that records it; no
    /// timer, and a cancel ends the wait while the deployment itself runs to its end (instances started on version 1
    /// keep this path; <see cref="WaitOrStopDeploymentAsync"/> replaced it).
    /// </summary>
    /// <returns>The outcome; null when the run was canceled.</returns>
    private static async Task<DeploymentOutcome?> WaitForDeploymentAsync(TaskOrchestrationContext context, string environment, Task<string> canceled)
    {
        var deployed = context.WaitForExternalEvent<DeploymentOutcome>(DeploymentOutcome.NameFor(environment));
        return await Task.WhenAny(deployed, canceled) == deployed ? deployed.Result : null;
    }

    /// <summary>
    /// Waits for the deployment's end (raised through the outbox in the transaction that records it), the run's cancel,
    /// or the deploy timeout (a durable timer: the environment's <c>deploy_timeout</c>, else <see cref="RunInput.DeployTimeoutSeconds"/>). A cancel or the timeout
    /// stops the deployment (ADR 0044): it ends 'canceled' and its release process is stopped, unless it had already
    /// become current (past the point of no return: left as is, and said so in the run's events). When the timeout's
    /// stop finds the deployment already ended, its outcome is on its way and is awaited.
    /// </summary>
    /// <returns>The outcome (a failure naming the timeout when it timed out); null when the run was canceled.</returns>
    private static async Task<DeploymentOutcome?> WaitOrStopDeploymentAsync(TaskOrchestrationContext context, RunInput input, PlannedDeployment planned, Task<string> canceled)
    {
        var environment = planned.Environment;
        var deployed = context.WaitForExternalEvent<DeploymentOutcome>(DeploymentOutcome.NameFor(environment));
        var timeout = TimeSpan.FromSeconds(planned.TimeoutSeconds ?? input.DeployTimeoutSeconds);
        using (var stopTimer = new CancellationTokenSource())
        {
            var timer = context.CreateTimer(context.CurrentUtcDateTime + timeout, stopTimer.Token);
            var first = await Task.WhenAny(deployed, canceled, timer);
            if (first != timer)
            {
                CancelTimer(stopTimer);
            }

            if (first == deployed)
            {
                return deployed.Result;
            }

            if (first == canceled)
            {
                // The cancel event's payload names who canceled (older cancel rows carry the event's name).
                var by = canceled.Result is { Length: > 0 } who && who != RunTasks.CancelEvent ? who : null;
                await context.CallActivityAsync<bool>(RunTasks.StopDeployment, new StopDeploymentRequest(input.RunId, environment, "the run was canceled", by));
                return null;
            }
        }

        var reason = $"no outcome within {timeout}";
        if (await context.CallActivityAsync<bool>(RunTasks.StopDeployment, new StopDeploymentRequest(input.RunId, environment, "the deploy stage had " + reason, null)))
        {
            return new DeploymentOutcome(false, Guid.Empty, reason);
        }

        // It ended just before it could be stopped: its outcome event is on its way.
        return await Task.WhenAny(deployed, canceled) == deployed ? deployed.Result : null;
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
}
