using System.Text.Json.Serialization;

namespace DevMentor.Core.Pipelines.Orchestration;

/// <summary>
/// A run's orchestration input, pinned when the run starts: the definition and the retry and timeout settings
/// (Pipelines:Retry:*, Pipelines:StepTimeoutSeconds, Pipelines:DeployTimeoutSeconds) as they were then, so a replay
/// never sees other values.
/// </summary>
/// <param name="Version">
/// The orchestration code path the instance was started on (<see cref="RunVersions"/>): a replay must take the path
/// its history was written by, so an instance keeps its version for life and new runs start at
/// <see cref="RunVersions.Current"/>.
/// </param>
/// <param name="DeployTimeoutSeconds">How long the deploy stage waits for a deployment's end (version 2 on).</param>
public sealed record RunInput(Guid RunId, Guid ProjectId, PipelineDefinition Definition, RunRetrySettings Retry, int DefaultTimeoutSeconds, int Version = RunVersions.BeforeDeployStage, int DeployTimeoutSeconds = RunVersions.DefaultDeployTimeoutSeconds)
{
    /// <summary>
    /// The input of instances started with the deploy stage before <see cref="Version"/> existed carries
    /// <c>DeployStage: true</c>: read as version 1. Never written (new inputs have their version).
    /// </summary>
    [JsonInclude]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public bool DeployStage
    {
        get => false;
        init
        {
            if (value && Version == RunVersions.BeforeDeployStage)
            {
                Version = RunVersions.DeployStage;
            }
        }
    }

    /// <summary>The instance id of a run's orchestration: derived from the run id, so a start is idempotent.</summary>
    public static string InstanceIdFor(Guid runId) => $"run-{runId:N}";
}

/// <summary>The run orchestration's versions (<see cref="RunInput.Version"/>); each keeps the path of the ones before it.</summary>
public static class RunVersions
{
    /// <summary>Before the deploy stage (ADR 0039): approvals only, the deployments feature deploys after the run; the queueing awaited before the step's outcome.</summary>
    public const int BeforeDeployStage = 0;

    /// <summary>The deploy stage, and a step queued and awaited in one episode (ADR 0039).</summary>
    public const int DeployStage = 1;

    /// <summary>The deploy wait has its own durable timeout, and a cancel or that timeout stops the deployment (ADR 0044).</summary>
    public const int DeployStopAndTimeout = 2;

    /// <summary>A step's queueing activity may answer the step's outcome; the timeout timer starts after it (ADR 0046).</summary>
    public const int OutcomeWithActivity = 3;

    /// <summary>What new runs start at.</summary>
    public const int Current = OutcomeWithActivity;

    public const int DefaultDeployTimeoutSeconds = 1800;
}

public sealed record RunRetrySettings(int MaxAttempts, double FirstDelaySeconds, double Factor, double Jitter)
{
    public static RunRetrySettings From(PipelineOptions options) =>
        new(options.DefaultMaxAttempts, options.DefaultFirstRetryDelay.TotalSeconds, options.DefaultRetryFactor, options.RetryJitter);
}

/// <summary>Activity input: put attempt <paramref name="Attempt"/> of the step at <paramref name="Position"/> on the runner queue (idempotent).</summary>
/// <param name="AwaitOutcome">Wait briefly for the outcome and answer it (<see cref="RunVersions.OutcomeWithActivity"/>); false in older histories.</param>
public sealed record QueueStepRequest(Guid RunId, int Position, string StepName, int Attempt, bool AwaitOutcome = false);

/// <summary>Activity input: the timer of the step's attempt fired; the store ends the attempt if it really ran past its timeout.</summary>
public sealed record StepTimeoutRequest(Guid RunId, int Position, int Attempt);

/// <summary>Activity input: the run's final status, written with its remaining steps skipped or canceled.</summary>
public sealed record FinishRunRequest(Guid RunId, RunStatus Status, string? Reason);

/// <summary>
/// A step attempt's recorded outcome: raised as the external event <see cref="NameFor"/> through the outbox, and
/// kept on the step so an activity asking again reads the same. One event name per attempt, so an outcome delivered
/// twice, or late for an attempt already given up, changes nothing.
/// </summary>
/// <param name="Deploys">
/// The step succeeded declaring deploy environments (its <see cref="RunTasks.DeployEnvironmentsOutput"/> output, which
/// the clone step writes): only then does the run have a deploy stage to plan, so other runs pay no activity for it.
/// </param>
public sealed record StepOutcome(StepResultKind Kind, int? ExitCode, string? Error, PipelineDefinition? Plan, int Attempt, bool Deploys = false)
{
    public static string NameFor(int position, int attempt) => $"step-{position}-{attempt}";

    public StepResult ToResult() => new(Kind, ExitCode, Error, Plan: Plan);
}

/// <summary>The timeout check's answer: the attempt's outcome (it timed out now, or had already ended), or when to look again.</summary>
public sealed record StepTimeoutCheck(StepOutcome? Ended, DateTime? CheckAgainAt);

/// <summary>An environment the run deploys to that needs an approval first (<c>approval: required</c> in its .devmentor.yml).</summary>
public sealed record ApprovalGate(string Environment, IReadOnlyList<string> Approvers, int TimeoutSeconds);

/// <summary>Activity input: record that the run waits for an approval of <paramref name="Environment"/> until <paramref name="ExpiresAt"/>.</summary>
public sealed record ApprovalRequest(Guid RunId, string Environment, IReadOnlyList<string> Approvers, DateTime ExpiresAt);

/// <summary>Activity input: the approval's timer fired; the store expires it unless someone decided first.</summary>
public sealed record ApprovalExpiry(Guid RunId, string Environment);

/// <summary>
/// How an approval ended, raised as the event <see cref="NameFor"/> through the outbox when a user decides.
/// <paramref name="By"/> is who decided (null when it expired).
/// </summary>
public sealed record ApprovalDecision(bool Approved, string? By, string? Comment, bool Expired = false)
{
    public const string EventPrefix = "approval-";

    public static string NameFor(string environment) => EventPrefix + environment;
}

/// <summary>
/// An environment the run deploys to in its deploy stage, in order (ADR 0039); <paramref name="Approval"/> when the
/// environment needs one first; <paramref name="TimeoutSeconds"/> the environment's own <c>deploy_timeout</c>, when it
/// has one (else <see cref="RunInput.DeployTimeoutSeconds"/>).
/// </summary>
public sealed record PlannedDeployment(string Environment, ApprovalGate? Approval, int? TimeoutSeconds = null);

/// <summary>Activity input: deploy the run to <paramref name="Environment"/> (idempotent: one deployment per run and environment).</summary>
public sealed record DeploymentRequest(Guid RunId, string Environment);

/// <summary>
/// How the deploy stage's deployment to an environment ended: raised as the event <see cref="NameFor"/> through the
/// outbox when the deployment is recorded as current or failed (migration 0033), and answered by the activity that
/// starts it when it had already ended.
/// </summary>
public sealed record DeploymentOutcome(bool Succeeded, Guid DeploymentId, string? Error)
{
    public const string EventPrefix = "deploy-";

    public static string NameFor(string environment) => EventPrefix + environment;
}

/// <summary>What the orchestration reports while it runs (its custom status): the stage and attempt it waits on.</summary>
public sealed record RunProgress(string Stage, int Position, int Attempt, string Waiting);

/// <summary>
/// Activity input: stop the deploy stage's deployment of the run to <paramref name="Environment"/>, because the run was
/// canceled (<paramref name="By"/> who canceled, when known) or its deploy wait timed out (<paramref name="Reason"/>).
/// Idempotent; a deployment that already became current is past the point of no return and is left as is (ADR 0044).
/// </summary>
public sealed record StopDeploymentRequest(Guid RunId, string Environment, string Reason, string? By);

/// <summary>The orchestration's output.</summary>
public sealed record RunOutcome(RunStatus Status, int Steps, string? Error);

/// <summary>Names of the run orchestration's tasks and events.</summary>
public static class RunTasks
{
    public const string Orchestrator = "PipelineRun";
    public const string QueueStep = "PipelineQueueStep";
    public const string CheckStepTimeout = "PipelineCheckStepTimeout";
    public const string FinishRun = "PipelineFinishRun";
    /// <summary>
    /// Registered by the deployments feature: which environments of the run need an approval. Only instances started
    /// before the deploy stage existed still call it (<see cref="RunVersions.BeforeDeployStage"/>).
    /// </summary>
    public const string PlanApprovals = "PipelinePlanApprovals";
    /// <summary>Registered by the deployments feature: the run's deploy stage, a <see cref="PlannedDeployment"/> per environment.</summary>
    public const string PlanDeployments = "PipelinePlanDeployments";
    /// <summary>Registered by the deployments feature: starts a <see cref="DeploymentRequest"/>, answers its <see cref="DeploymentOutcome"/> when it already ended.</summary>
    public const string StartDeployment = "PipelineStartDeployment";
    /// <summary>
    /// Registered by the deployments feature: stops a <see cref="StopDeploymentRequest"/> (a cancel or the deploy
    /// timeout); answers whether it was stopped (false: it had already ended, or it was current already).
    /// </summary>
    public const string StopDeployment = "PipelineStopDeployment";
    /// <summary>The step output that declares the run's deploy environments (written by the clone step).</summary>
    public const string DeployEnvironmentsOutput = "deploy.environments";
    public const string RequestApproval = "PipelineRequestApproval";
    public const string ExpireApproval = "PipelineExpireApproval";
    public const string CancelEvent = "cancel";
}
