using DevMentor.Core.Projects;
using DevMentor.Core.Security;

namespace DevMentor.Core.Pipelines;

/// <summary>A user's answer to a run's approval request: <c>environment</c> when the run waits for more than one.</summary>
public sealed record ApprovalAnswer(bool Approve, string? Environment, string? Comment)
{
    public const int MaxCommentLength = 2000;
}

/// <summary>
/// Approve or reject the deployment a run waits for. Who may is the environment's <c>approvers</c> (maintainer or owner
/// roles; a role includes the ones below it): viewers and developers never may, and outsiders do not see the run.
/// The decision and the event that wakes the run's orchestration are recorded together.
/// </summary>
public sealed class ApprovalService(ProjectAccess access, PipelineEngine engine)
{
    public async Task<Outcome<ProjectRunView>> DecideAsync(Caller caller, string idOrSlug, Guid runId, ApprovalAnswer answer, CancellationToken cancellationToken)
    {
        if (answer.Comment is { } comment && (comment.Length > ApprovalAnswer.MaxCommentLength || comment.Any(c => char.IsControl(c) && c is not ('\n' or '\r' or '\t'))))
        {
            return Outcome<ProjectRunView>.Invalid(new Dictionary<string, string[]> { ["comment"] = [$"At most {ApprovalAnswer.MaxCommentLength} characters, no control characters but line breaks and tabs."] });
        }

        var allowed = await access.AuthorizeAsync(caller, idOrSlug, ProjectPermission.Read, cancellationToken);
        if (allowed.Outcome != AccessOutcome.Allowed && allowed.Outcome != AccessOutcome.Archived)
        {
            return Outcome<ProjectRunView>.Fail(OutcomeKind.NotFound, $"No project '{idOrSlug}'.");
        }

        var project = allowed.Project!;
        if (await engine.GetRunAsync(project.Id, runId, cancellationToken) is not { } run)
        {
            return Outcome<ProjectRunView>.Fail(OutcomeKind.NotFound, $"Project '{idOrSlug}' has no build {runId}.");
        }

        var waiting = run.Status.IsTerminal() ? [] : (run.Approvals ?? []).Where(a => a.Status == "waiting").ToList();
        var approval = answer.Environment is { } environment ? waiting.FirstOrDefault(a => a.Environment == environment) : waiting.Count == 1 ? waiting[0] : null;
        if (approval is null)
        {
            return waiting.Count > 1 && answer.Environment is null
                ? Outcome<ProjectRunView>.Invalid(new Dictionary<string, string[]> { ["environment"] = [$"Build {run.Number} waits for approvals of {string.Join(", ", waiting.Select(a => a.Environment))}: name one."] })
                : Outcome<ProjectRunView>.Fail(OutcomeKind.Conflict, $"Build {run.Number} is not waiting for an approval{(answer.Environment is { } named ? $" to deploy to {named}" : "")} ({run.Status.ToWire()}).");
        }

        if (!MayApprove(caller, allowed.Role, approval))
        {
            return Outcome<ProjectRunView>.Fail(OutcomeKind.Forbidden,
                $"Approving the deployment to {approval.Environment} needs the role {string.Join(" or ", approval.Approvers)}; yours is {allowed.Role?.ToName() ?? "none"}.");
        }

        if (!await engine.DecideApprovalAsync(run.RunId, approval.Environment, answer.Approve, Who(caller), answer.Comment, cancellationToken))
        {
            return Outcome<ProjectRunView>.Fail(OutcomeKind.Conflict, $"The approval of the deployment to {approval.Environment} was already decided or has expired.");
        }

        return Outcome<ProjectRunView>.Ok(new ProjectRunView(project, (await engine.GetRunAsync(project.Id, runId, cancellationToken))!));
    }

    private static bool MayApprove(Caller caller, ProjectRole? role, RunApproval approval)
    {
        if (caller.IsAdmin)
        {
            return true;
        }

        var needed = approval.Approvers.Select(r => ProjectRoles.TryParse(r, out var parsed) ? parsed : ProjectRole.Owner).DefaultIfEmpty(ProjectRole.Maintainer).Min();
        return role is { } has && has >= needed && has >= ProjectRole.Maintainer;
    }

    /// <summary>Who decided, as the history shows it: the user, or the API key acting for them.</summary>
    /// <summary>How a caller is named in a run's events (approvals, cancels).</summary>
    internal static string Who(Caller caller) => caller.ApiKeyId is { } key ? $"{caller.UserId} (API key {key:N})" : caller.UserId ?? "anonymous";
}
