using System.Text.RegularExpressions;
using DevMentor.Core.Projects;
using DevMentor.Core.Security;

namespace DevMentor.Core.Pipelines;

public sealed record BuildRequest(string? Branch, string? Commit, bool Deploy, string? Environment);

public sealed record ProjectRun(Project Project, StartedRun Run);

public sealed record ProjectRunView(Project Project, RunView Run);

public sealed record ProjectRunPage(Project Project, RunPage Page);

/// <summary>
/// The user-facing build use cases: who may start, cancel, retry and read a project's runs
/// (developer to change, viewer to read, via <see cref="ProjectAccess"/>), on top of the engine.
/// </summary>
public sealed partial class BuildService(ProjectAccess access, PipelineEngine engine)
{
    public async Task<Outcome<ProjectRun>> StartAsync(Caller caller, string idOrSlug, BuildRequest request, string? idempotencyKey, CancellationToken cancellationToken)
    {
        var errors = Validate(request);
        if (errors.Count > 0)
        {
            return Outcome<ProjectRun>.Invalid(errors);
        }

        var allowed = await access.AuthorizeAsync(caller, idOrSlug, ProjectPermission.StartBuild, cancellationToken);
        if (Denied<ProjectRun>(allowed, idOrSlug, "start builds") is { } denied)
        {
            return denied;
        }

        var project = allowed.Project!;
        var branch = request.Branch ?? (request.Commit is null ? project.Repository?.DefaultBranch ?? "main" : null);
        try
        {
            var run = await engine.StartAsync(new StartRunRequest(project.Id, "manual", branch, request.Commit?.ToLowerInvariant(), null, request.Deploy, request.Environment, Scoped(caller, idempotencyKey)), cancellationToken);
            return new Outcome<ProjectRun>(run.Replayed ? OutcomeKind.Ok : OutcomeKind.Created, new ProjectRun(project, run));
        }
        catch (IdempotencyConflictException e)
        {
            return Outcome<ProjectRun>.Fail(OutcomeKind.Unprocessable, e.Message);
        }
    }

    public async Task<Outcome<ProjectRunPage>> ListAsync(Caller caller, string idOrSlug, RunStatus? status, string? branch, int limit, int? beforeNumber, CancellationToken cancellationToken)
    {
        var allowed = await access.AuthorizeAsync(caller, idOrSlug, ProjectPermission.Read, cancellationToken);
        if (Denied<ProjectRunPage>(allowed, idOrSlug, "read builds") is { } denied)
        {
            return denied;
        }

        var page = await engine.ListRunsAsync(new RunQuery(allowed.Project!.Id, status, branch, limit, beforeNumber), cancellationToken);
        return Outcome<ProjectRunPage>.Ok(new ProjectRunPage(allowed.Project, page));
    }

    public async Task<Outcome<ProjectRunView>> GetAsync(Caller caller, string idOrSlug, Guid runId, CancellationToken cancellationToken)
    {
        var allowed = await access.AuthorizeAsync(caller, idOrSlug, ProjectPermission.Read, cancellationToken);
        if (Denied<ProjectRunView>(allowed, idOrSlug, "read builds") is { } denied)
        {
            return denied;
        }

        var run = await engine.GetRunAsync(allowed.Project!.Id, runId, cancellationToken);
        return run is null
            ? Outcome<ProjectRunView>.Fail(OutcomeKind.NotFound, $"Project '{idOrSlug}' has no build {runId}.")
            : Outcome<ProjectRunView>.Ok(new ProjectRunView(allowed.Project, run));
    }

    public async Task<Outcome<ProjectRunView>> CancelAsync(Caller caller, string idOrSlug, Guid runId, CancellationToken cancellationToken)
    {
        var allowed = await access.AuthorizeAsync(caller, idOrSlug, ProjectPermission.StartBuild, cancellationToken);
        if (Denied<ProjectRunView>(allowed, idOrSlug, "cancel builds") is { } denied)
        {
            return denied;
        }

        var result = await engine.CancelAsync(allowed.Project!.Id, runId, ApprovalService.Who(caller), cancellationToken);
        if (result == CancelResult.NotFound)
        {
            return Outcome<ProjectRunView>.Fail(OutcomeKind.NotFound, $"Project '{idOrSlug}' has no build {runId}.");
        }

        var run = (await engine.GetRunAsync(allowed.Project.Id, runId, cancellationToken))!;
        return result == CancelResult.AlreadyFinished
            ? Outcome<ProjectRunView>.Fail(OutcomeKind.Conflict, $"Build {run.Number} already finished ({run.Status.ToWire()}); there is nothing to cancel.")
            : Outcome<ProjectRunView>.Ok(new ProjectRunView(allowed.Project, run));
    }

    public async Task<Outcome<ProjectRun>> RetryAsync(Caller caller, string idOrSlug, Guid runId, string? idempotencyKey, CancellationToken cancellationToken)
    {
        var allowed = await access.AuthorizeAsync(caller, idOrSlug, ProjectPermission.StartBuild, cancellationToken);
        if (Denied<ProjectRun>(allowed, idOrSlug, "retry builds") is { } denied)
        {
            return denied;
        }

        try
        {
            var run = await engine.RetryAsync(allowed.Project!.Id, runId, Scoped(caller, idempotencyKey), cancellationToken);
            return run is null
                ? Outcome<ProjectRun>.Fail(OutcomeKind.NotFound, $"Project '{idOrSlug}' has no build {runId}.")
                : new Outcome<ProjectRun>(run.Replayed ? OutcomeKind.Ok : OutcomeKind.Created, new ProjectRun(allowed.Project, run));
        }
        catch (RunNotRetryableException e)
        {
            return Outcome<ProjectRun>.Fail(OutcomeKind.Conflict, e.Message);
        }
        catch (IdempotencyConflictException e)
        {
            return Outcome<ProjectRun>.Fail(OutcomeKind.Unprocessable, e.Message);
        }
    }

    /// <param name="step">One step's log, or every step's (with a header each) when null.</param>
    public async Task<Outcome<string>> LogsAsync(Caller caller, string idOrSlug, Guid runId, string? step, CancellationToken cancellationToken)
    {
        var allowed = await access.AuthorizeAsync(caller, idOrSlug, ProjectPermission.Read, cancellationToken);
        if (Denied<string>(allowed, idOrSlug, "read build logs") is { } denied)
        {
            return denied;
        }

        var projectId = allowed.Project!.Id;
        if (step is not null)
        {
            var log = await engine.ReadLogAsync(projectId, runId, step, cancellationToken);
            return log is null ? Outcome<string>.Fail(OutcomeKind.NotFound, $"Build {runId} has no step '{step}'.") : Outcome<string>.Ok(log);
        }

        var run = await engine.GetRunAsync(projectId, runId, cancellationToken);
        if (run is null)
        {
            return Outcome<string>.Fail(OutcomeKind.NotFound, $"Project '{idOrSlug}' has no build {runId}.");
        }

        var all = new System.Text.StringBuilder();
        foreach (var s in run.Steps)
        {
            all.Append("##### ").Append(s.Name).Append(" (").Append(s.Status.ToWire()).Append(")\n");
            all.Append(await engine.ReadLogAsync(projectId, runId, s.Name, cancellationToken));
        }

        return Outcome<string>.Ok(all.ToString());
    }

    /// <summary>
    /// A step's log as it grows: what is there now, then new chunks every <paramref name="poll"/>
    /// until the step has ended (its last chunk is written before its end is recorded).
    /// </summary>
    public async Task<Outcome<IAsyncEnumerable<string>>> FollowLogsAsync(Caller caller, string idOrSlug, Guid runId, string step, TimeSpan poll, CancellationToken cancellationToken)
    {
        var allowed = await access.AuthorizeAsync(caller, idOrSlug, ProjectPermission.Read, cancellationToken);
        if (Denied<IAsyncEnumerable<string>>(allowed, idOrSlug, "read build logs") is { } denied)
        {
            return denied;
        }

        var projectId = allowed.Project!.Id;
        var first = await engine.Logs.ReadAfterAsync(projectId, runId, step, 0, cancellationToken);
        return first is null
            ? Outcome<IAsyncEnumerable<string>>.Fail(OutcomeKind.NotFound, $"Build {runId} has no step '{step}'.")
            : Outcome<IAsyncEnumerable<string>>.Ok(FollowAsync(projectId, runId, step, first, poll, cancellationToken));
    }

    private async IAsyncEnumerable<string> FollowAsync(Guid projectId, Guid runId, string step, StepLogChunks first, TimeSpan poll,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var chunks = first;
        long last = 0;
        var attempt = 0;
        while (true)
        {
            foreach (var (id, chunkAttempt, text) in chunks.Chunks)
            {
                if (chunkAttempt != attempt)
                {
                    attempt = chunkAttempt;
                    yield return $"==> attempt {attempt}\n";
                }

                last = id;
                yield return text;
            }

            if (chunks.Chunks.Count == 0 && chunks.Status.IsTerminal())
            {
                yield break;
            }

            if (chunks.Chunks.Count == 0)
            {
                await Task.Delay(poll, cancellationToken);
            }

            if (await engine.Logs.ReadAfterAsync(projectId, runId, step, last, cancellationToken) is not { } next)
            {
                yield break;
            }

            chunks = next;
        }
    }

    /// <summary>Keys are the caller's own: two users picking the same key never see each other's run.</summary>
    private static string? Scoped(Caller caller, string? key) => key is null ? null : $"{caller.PartitionKey}:{key}";

    private static Outcome<T>? Denied<T>(ProjectAccessResult access, string idOrSlug, string action) => access.Outcome switch
    {
        AccessOutcome.Allowed => null,
        AccessOutcome.Forbidden => Outcome<T>.Fail(OutcomeKind.Forbidden, $"Your role on this project ({access.Role?.ToName()}) may not {action}; developers and above may."),
        AccessOutcome.Archived => Outcome<T>.Fail(OutcomeKind.Conflict, "The project is archived and read-only."),
        _ => Outcome<T>.Fail(OutcomeKind.NotFound, $"No project '{idOrSlug}'."),
    };

    public static Dictionary<string, string[]> Validate(BuildRequest request)
    {
        var errors = new Dictionary<string, string[]>();
        if (request.Branch is { } branch && (branch.Length is 0 or > 255 || branch.StartsWith('-') || branch.Contains("..", StringComparison.Ordinal) ||
            branch.Any(c => char.IsControl(c) || char.IsWhiteSpace(c) || c is '~' or '^' or ':' or '?' or '*' or '[' or '\\')))
        {
            errors["branch"] = ["A git branch name: 1-255 characters, no spaces, '..', or ~^:?*[\\, not starting with '-'."];
        }

        if (request.Commit is { } commit && !CommitPattern().IsMatch(commit))
        {
            errors["commit"] = ["A commit SHA: 7 to 64 hexadecimal characters."];
        }

        if (request.Environment is { } environment && (environment.Length is 0 or > 64 || !environment.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.')))
        {
            errors["environment"] = ["1-64 letters, digits, '-', '_' or '.'."];
        }

        return errors;
    }

    [GeneratedRegex("^[0-9a-fA-F]{7,64}$")]
    private static partial Regex CommitPattern();
}
