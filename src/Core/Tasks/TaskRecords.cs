namespace DevMentor.Core.Tasks;

public static class TaskStates
{
    public const string Open = "open";
    public const string InProgress = "in_progress";
    public const string Done = "done";
    public const string Closed = "closed";

    public static readonly IReadOnlyList<string> All = [Open, InProgress, Done, Closed];

    /// <summary>done and closed are both "closed" on GitHub and GitLab.</summary>
    public static bool IsFinished(string state) => state is Done or Closed;
}

public static class TaskPriorities
{
    public static readonly IReadOnlyList<string> All = ["none", "low", "medium", "high", "urgent"];
}

/// <summary>Where a task's linked issue lives: <c>devmentor</c> when it has none.</summary>
public static class TaskSources
{
    public const string Local = "devmentor";
    public const string GitHub = "github";
    public const string GitLab = "gitlab";
}

/// <summary>What a person edits on a task; the rest (number, history, sync) the service keeps.</summary>
public sealed record TaskFields(
    string Title,
    string? Body,
    string State,
    IReadOnlyList<string> Labels,
    IReadOnlyList<string> Assignees,
    string Priority,
    DateOnly? DueDate);

/// <summary>The task's GitHub or GitLab issue.</summary>
/// <param name="SyncedAt">When this task and the issue last agreed; a later <see cref="ProjectTask.UpdatedAt"/> is a change not yet on the issue.</param>
/// <param name="IssueUpdatedAt">The issue's own updated_at when last seen: older deliveries are not applied again.</param>
public sealed record TaskIssue(string Provider, string? Id, int? Number, string? Url, DateTimeOffset? SyncedAt, DateTimeOffset? IssueUpdatedAt);

public sealed record TaskCommit(string Sha, string? Url, string Message);

/// <summary>A task as clients see it; <see cref="Version"/> grows with every write and is the ETag.</summary>
/// <param name="SyncError">Why the last change did not reach the linked issue (or the issue could not be opened); retried with the next change.</param>
public sealed record ProjectTask(
    Guid Id,
    Guid ProjectId,
    int Number,
    string Title,
    string? Body,
    string State,
    IReadOnlyList<string> Labels,
    IReadOnlyList<string> Assignees,
    string Priority,
    DateOnly? DueDate,
    string? CreatedBy,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    long Version,
    bool Sync,
    TaskIssue? Issue,
    IReadOnlyList<TaskCommit> Commits,
    string? SyncError)
{
    [System.Text.Json.Serialization.JsonIgnore]
    public string ETag => $"\"{Version}\"";

    [System.Text.Json.Serialization.JsonIgnore]
    public TaskFields Fields => new(Title, Body, State, Labels, Assignees, Priority, DueDate);
}

public sealed record TaskPage(IReadOnlyList<ProjectTask> Items, string? NextCursor);

/// <summary>One entry of a task's history: created, updated (with the changed fields), commit, synced, sync_conflict.</summary>
public sealed record TaskEvent(long Id, DateTimeOffset At, string? Actor, string Kind, System.Text.Json.JsonElement Detail);

public sealed record TaskHistory(IReadOnlyList<TaskEvent> Items);

/// <summary>A GitHub or GitLab issue as a webhook or an API answer describes it.</summary>
public sealed record ExternalIssue(string Id, int Number, string Title, string? Body, bool Closed, IReadOnlyList<string> Labels, string? Url, DateTimeOffset UpdatedAt);
