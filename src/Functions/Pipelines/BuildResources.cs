using System.Text.Json;
using System.Text.Json.Serialization;
using DevMentor.Core.Pipelines;

namespace DevMentor.Functions.Pipelines;

/// <summary>202 answer of a started build (DESIGN.md section 6).</summary>
public sealed record BuildStarted(Guid RunId, int Number, string Status, string StatusUri, string CancelUri, string LogsUri);

public sealed record BuildStep(string Name, string Status, int Attempt, int MaxAttempts, DateTimeOffset? StartedAt, DateTimeOffset? FinishedAt,
    int? ExitCode, string? Error, DateTimeOffset? RetryAt, string LogsUri, JsonElement? Outputs);

public sealed record BuildEvent(DateTimeOffset At, string Type, string? Step, JsonElement? Data);

public sealed record BuildRun(
    Guid RunId, Guid ProjectId, int Number, string Status, string Trigger, string? Branch, string? Commit, bool Deploy, string? Environment, Guid? RetryOf,
    DateTimeOffset CreatedAt, DateTimeOffset? StartedAt, DateTimeOffset? FinishedAt,
    string StatusUri, string CancelUri, string RetryUri, string LogsUri,
    IReadOnlyList<BuildStep> Steps, IReadOnlyList<BuildEvent> Events, string? Error = null, BuildTestSummary? Tests = null, string? TestsUri = null, string? ArtifactsUri = null,
    BuildOrchestration? Orchestration = null, string? CurrentStage = null, IReadOnlyList<BuildApproval>? Approvals = null, BuildApproval? WaitingFor = null);

/// <summary>A deployment approval of the run: who may decide, until when, and who decided.</summary>
public sealed record BuildApproval(string Environment, IReadOnlyList<string> Approvers, string Status, DateTimeOffset RequestedAt, DateTimeOffset ExpiresAt,
    string? DecidedBy, DateTimeOffset? DecidedAt, string? Comment, string ApproveUri, string RejectUri);

/// <summary>The approve/reject body: <c>environment</c> when the run waits for more than one, an optional <c>comment</c>.</summary>
public sealed record ApprovalBody(string? Environment, string? Comment);

/// <summary>The run's Durable orchestration: its runtime status and what it waits on (a runner, a retry's backoff, an approval).</summary>
public sealed record BuildOrchestration(string InstanceId, string RuntimeStatus, string? Stage, int? Attempt, string? Waiting);

/// <summary>The run view's test summary: counts and coverage in percent.</summary>
public sealed record BuildTestSummary(int Passed, int Failed, int Skipped, double? Coverage, double? BranchCoverage);

public sealed record BuildTestItem(string Step, string Suite, string Name, string Outcome, long DurationMs, string? Message);

public sealed record BuildTests(int Passed, int Failed, int Skipped, double? Coverage, double? BranchCoverage, IReadOnlyList<BuildTestItem> Items, string? NextCursor);

public sealed record BuildArtifact(string Name, long Size, string Sha256, string ContentType, string Step, DateTimeOffset CreatedAt, string DownloadUri);

public sealed record BuildArtifacts(IReadOnlyList<BuildArtifact> Items);

public sealed record BuildListItem(Guid RunId, int Number, string Status, string Trigger, string? Branch, string? Commit, Guid? RetryOf,
    DateTimeOffset CreatedAt, DateTimeOffset? StartedAt, DateTimeOffset? FinishedAt, string StatusUri);

public sealed record BuildPage(IReadOnlyList<BuildListItem> Items, string? NextCursor);

/// <summary>The build body: <c>branch</c> or <c>commit</c>, optional <c>deploy</c>/<c>environment</c>.</summary>
public sealed record BuildBody(string? Branch, string? Commit, bool? Deploy, string? Environment);

/// <summary>Nulls are written: clients read <c>finishedAt: null</c> as "not yet".</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(BuildStarted))]
[JsonSerializable(typeof(BuildRun))]
[JsonSerializable(typeof(BuildPage))]
[JsonSerializable(typeof(BuildBody))]
[JsonSerializable(typeof(ApprovalBody))]
[JsonSerializable(typeof(BuildTests))]
[JsonSerializable(typeof(BuildArtifacts))]
public sealed partial class BuildsJsonContext : JsonSerializerContext;

public static class BuildUris
{
    public static string Status(Guid projectId, Guid runId) => $"/projects/{projectId}/builds/{runId}";

    public static BuildStarted Started(Guid projectId, StartedRun run)
    {
        var status = Status(projectId, run.RunId);
        return new BuildStarted(run.RunId, run.Number, run.Status.ToWire(), status, status + "/cancel", status + "/logs");
    }

    public static BuildRun Run(RunView run, Core.Pipelines.Results.RunTestSummary? tests = null, Core.Pipelines.Orchestration.RunRuntime? runtime = null)
    {
        var status = Status(run.ProjectId, run.RunId);
        var approvals = (run.Approvals ?? []).Select(a => new BuildApproval(a.Environment, a.Approvers, a.Status, a.RequestedAt, a.ExpiresAt, a.DecidedBy, a.DecidedAt, a.Comment,
            status + "/approve", status + "/reject")).ToList();
        var waiting = run.WaitingApproval is { } open ? approvals.First(a => a.Environment == open.Environment) : null;
        // A run waiting for an approval is still running (it keeps its slot); the status says what it waits for.
        return new BuildRun(run.RunId, run.ProjectId, run.Number, waiting is null ? run.Status.ToWire() : "waiting_for_approval", run.Trigger, run.Branch, run.Commit, run.Deploy, run.Environment, run.RetryOf,
            run.CreatedAt, run.StartedAt, run.FinishedAt, status, status + "/cancel", status + "/retry", status + "/logs",
            run.Steps.Select(s => new BuildStep(s.Name, s.Status.ToWire(), s.Attempt, s.MaxAttempts, s.StartedAt, s.FinishedAt, s.ExitCode, s.Error,
                s.Status == StepStatus.Queued && s.Attempt > 0 ? s.DueAt : null, $"{status}/steps/{Uri.EscapeDataString(s.Name)}/logs", s.Outputs)).ToList(),
            run.Events.Select(e => new BuildEvent(e.At, e.Type, e.Step, e.Data)).ToList(),
            Error(run),
            tests is null ? null : new BuildTestSummary(tests.Passed, tests.Failed, tests.Skipped, tests.Coverage, tests.BranchCoverage),
            status + "/tests", status + "/artifacts",
            runtime is null ? null : new BuildOrchestration(runtime.InstanceId, runtime.RuntimeStatus, runtime.Stage, runtime.Attempt, runtime.Waiting),
            CurrentStage(run, runtime), approvals, waiting);
    }

    /// <summary>
    /// The stage the run is at: the running step, else the first one not yet done, else (every step done) the deploy
    /// stage the orchestration reports; null once the run ended.
    /// </summary>
    private static string? CurrentStage(RunView run, Core.Pipelines.Orchestration.RunRuntime? runtime) =>
        run.Status.IsTerminal() ? null
            : run.WaitingApproval is { } approval ? "deploy:" + approval.Environment
            : (run.Steps.FirstOrDefault(s => s.Status == StepStatus.Running)
               ?? run.Steps.FirstOrDefault(s => !s.Status.IsTerminal()))?.Name
              ?? (runtime?.Stage is { } stage && stage.StartsWith("deploy:", StringComparison.Ordinal) ? stage : null);

    /// <summary>Why a run failed or timed out: the reason its final event carries.</summary>
    private static string? Error(RunView run) =>
        run.Status is RunStatus.Failed or RunStatus.TimedOut &&
        run.Events.LastOrDefault(e => e.Type.StartsWith("run.", StringComparison.Ordinal)) is { Data: { ValueKind: JsonValueKind.Object } data } &&
        data.TryGetProperty("reason", out var reason) && reason.ValueKind == JsonValueKind.String
            ? reason.GetString()
            : null;

    public static BuildPage Page(Guid projectId, RunPage page) => new(
        page.Items.Select(r => new BuildListItem(r.RunId, r.Number, r.Status.ToWire(), r.Trigger, r.Branch, r.Commit, r.RetryOf, r.CreatedAt, r.StartedAt, r.FinishedAt,
            Status(projectId, r.RunId))).ToList(),
        page.NextBeforeNumber?.ToString(System.Globalization.CultureInfo.InvariantCulture));
}
