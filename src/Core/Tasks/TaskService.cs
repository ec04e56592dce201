using System.Text.Json.Nodes;
using DevMentor.Core.Projects;
using DevMentor.Core.Security;

namespace DevMentor.Core.Tasks;

/// <summary>
/// A project's tasks: viewers read, developers create and edit, maintainers delete. Assignees must
/// be collaborators. Edits take If-Match (the task's version); without it a concurrent edit is
/// re-read and the patch applied again, so no field another writer set is lost.
/// </summary>
public sealed class TaskService(ProjectAccess access, ProjectTaskStore store, TaskSyncService sync)
{
    private const int MaxAttempts = 5;

    public async Task<Outcome<TaskPage>> ListAsync(Caller caller, string idOrSlug, TaskListQuery query, CancellationToken cancellationToken)
    {
        var result = await access.AuthorizeAsync(caller, idOrSlug, ProjectPermission.Read, cancellationToken);
        return result.Outcome != AccessOutcome.Allowed
            ? ProjectService.Denied<TaskPage>(result, idOrSlug)
            : Outcome<TaskPage>.Ok(await store.ListAsync(result.Project!.Id, query, cancellationToken));
    }

    public async Task<Outcome<ProjectTask>> GetAsync(Caller caller, string idOrSlug, int number, CancellationToken cancellationToken)
    {
        var result = await access.AuthorizeAsync(caller, idOrSlug, ProjectPermission.Read, cancellationToken);
        if (result.Outcome != AccessOutcome.Allowed)
        {
            return ProjectService.Denied<ProjectTask>(result, idOrSlug);
        }

        var task = await store.GetAsync(result.Project!.Id, number, cancellationToken);
        return task is null ? NoTask<ProjectTask>(number) : Outcome<ProjectTask>.Ok(task);
    }

    public async Task<Outcome<TaskHistory>> HistoryAsync(Caller caller, string idOrSlug, int number, CancellationToken cancellationToken)
    {
        var found = await GetAsync(caller, idOrSlug, number, cancellationToken);
        return found.Succeeded
            ? Outcome<TaskHistory>.Ok(await store.HistoryAsync(found.Value!.Id, cancellationToken))
            : new Outcome<TaskHistory>(found.Kind, null, found.Detail, found.Errors);
    }

    public async Task<Outcome<ProjectTask>> CreateAsync(Caller caller, string idOrSlug, JsonNode? body, CancellationToken cancellationToken)
    {
        var (draft, errors) = TaskInput.ValidateCreate(body);
        if (draft is null)
        {
            return Outcome<ProjectTask>.Invalid(errors);
        }

        var result = await access.AuthorizeAsync(caller, idOrSlug, ProjectPermission.EditTasks, cancellationToken);
        if (result.Outcome != AccessOutcome.Allowed)
        {
            return ProjectService.Denied<ProjectTask>(result, idOrSlug);
        }

        var project = result.Project!;
        if (NotCollaborators(result.Snapshot!, draft.Fields.Assignees, []) is { } problem)
        {
            return problem;
        }

        if (draft.Sync && !sync.Supports(project.Repository?.Provider))
        {
            return Outcome<ProjectTask>.Fail(OutcomeKind.Unprocessable, "sync needs the project's repository to be on GitHub or GitLab.");
        }

        var task = await store.CreateAsync(project.Id, draft.Fields, draft.Sync, caller.UserId, cancellationToken);
        if (draft.Sync)
        {
            task = await sync.PushAsync(project.Repository?.Provider, project.Repository?.FullName, task, caller.UserId, cancellationToken);
        }

        return new Outcome<ProjectTask>(OutcomeKind.Created, task);
    }

    public async Task<Outcome<ProjectTask>> UpdateAsync(Caller caller, string idOrSlug, int number, JsonNode? patch, string? ifMatch, CancellationToken cancellationToken)
    {
        var result = await access.AuthorizeAsync(caller, idOrSlug, ProjectPermission.EditTasks, cancellationToken);
        if (result.Outcome != AccessOutcome.Allowed)
        {
            return ProjectService.Denied<ProjectTask>(result, idOrSlug);
        }

        var project = result.Project!;
        for (var attempt = 0; attempt < MaxAttempts; attempt++)
        {
            var current = await store.GetAsync(project.Id, number, cancellationToken);
            if (current is null)
            {
                return NoTask<ProjectTask>(number);
            }

            if (ifMatch is not null && !Matches(ifMatch, current))
            {
                return Outcome<ProjectTask>.Fail(OutcomeKind.PreconditionFailed,
                    $"Task {number} changed: it is at ETag {current.ETag}, not {ifMatch}. Read it again and reapply your change.");
            }

            var (fields, wantsSync, errors) = TaskInput.ApplyPatch(current.Fields, patch);
            if (fields is null)
            {
                return Outcome<ProjectTask>.Invalid(errors);
            }

            if (NotCollaborators(result.Snapshot!, fields.Assignees, current.Assignees) is { } problem)
            {
                return problem;
            }

            var syncing = wantsSync ?? current.Sync;
            if (syncing && !current.Sync && !sync.Supports(project.Repository?.Provider))
            {
                return Outcome<ProjectTask>.Fail(OutcomeKind.Unprocessable, "sync needs the project's repository to be on GitHub or GitLab.");
            }

            var changes = new JsonObject { ["changes"] = TaskSyncRules.Changes(current.Fields, fields) };
            var (write, task) = await store.UpdateAsync(current.Id, current.Version, fields, syncing, caller.UserId, changes, cancellationToken);
            if (write != TaskWrite.Done)
            {
                if (ifMatch is not null)
                {
                    return Outcome<ProjectTask>.Fail(OutcomeKind.PreconditionFailed, $"Task {number} changed while this update was applied; read it again and reapply your change.");
                }

                continue;
            }

            if (task!.Sync)
            {
                task = await sync.PushAsync(project.Repository?.Provider, project.Repository?.FullName, task, caller.UserId, cancellationToken);
            }

            return Outcome<ProjectTask>.Ok(task);
        }

        return Outcome<ProjectTask>.Fail(OutcomeKind.Conflict, $"Task {number} kept changing while this update was applied; try again.");
    }

    public async Task<Outcome<bool>> DeleteAsync(Caller caller, string idOrSlug, int number, string? ifMatch, CancellationToken cancellationToken)
    {
        var result = await access.AuthorizeAsync(caller, idOrSlug, ProjectPermission.DeleteTasks, cancellationToken);
        if (result.Outcome != AccessOutcome.Allowed)
        {
            return ProjectService.Denied<bool>(result, idOrSlug);
        }

        long? version = null;
        if (ifMatch is not null && ifMatch.Trim() != "*")
        {
            var current = await store.GetAsync(result.Project!.Id, number, cancellationToken);
            if (current is null)
            {
                return NoTask<bool>(number);
            }

            if (!Matches(ifMatch, current))
            {
                return Outcome<bool>.Fail(OutcomeKind.PreconditionFailed, $"Task {number} changed: it is at ETag {current.ETag}, not {ifMatch}.");
            }

            version = current.Version;
        }

        return await store.DeleteAsync(result.Project!.Id, number, version, cancellationToken) switch
        {
            TaskWrite.Done => Outcome<bool>.Ok(true),
            TaskWrite.VersionMismatch => Outcome<bool>.Fail(OutcomeKind.PreconditionFailed, $"Task {number} changed while it was being deleted."),
            _ => NoTask<bool>(number),
        };
    }

    /// <summary>If-Match: <c>*</c> or a list of strong ETags (RFC 9110 strong comparison).</summary>
    public static bool Matches(string ifMatch, ProjectTask task) =>
        ifMatch.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Any(tag => tag == "*" || tag == task.ETag);

    /// <summary>Every newly added assignee must be a collaborator (one who stopped being one may stay on a task already theirs).</summary>
    private static Outcome<ProjectTask>? NotCollaborators(ProjectSnapshot snapshot, IReadOnlyList<string> assignees, IReadOnlyList<string> already)
    {
        var strangers = assignees.Where(a => !already.Contains(a, StringComparer.Ordinal) && !snapshot.Collaborators.ContainsKey(a)).ToList();
        return strangers.Count == 0
            ? null
            : Outcome<ProjectTask>.Invalid(new Dictionary<string, string[]>
            {
                ["assignees"] = [$"{string.Join(", ", strangers.Select(s => $"'{s}'"))} {(strangers.Count == 1 ? "is not a collaborator" : "are not collaborators")} on this project."],
            });
    }

    private static Outcome<T> NoTask<T>(int number) => Outcome<T>.Fail(OutcomeKind.NotFound, $"No task {number} in this project.");
}
