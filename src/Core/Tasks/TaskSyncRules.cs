using System.Text.Json.Nodes;

namespace DevMentor.Core.Tasks;

/// <summary>What to do with an issue delivery: the task's new fields (null: keep), the history event, and the outcome.</summary>
public sealed record IssueDecision(IssueApplied Result, TaskFields? Fields, string? Event, JsonObject? Detail);

/// <summary>
/// Two-way sync's rules, kept pure so they are tested without a provider. The issue owns title,
/// body, open/closed and labels; the task also has states, priority, assignees and a due date the
/// issue does not carry, which an issue never changes. A task changed here since the last
/// agreement (<see cref="TaskIssue.SyncedAt"/>) while the issue changed too is a conflict: the
/// newer updated_at wins, and the history records both times and the winner.
/// </summary>
public static class TaskSyncRules
{
    public static IssueDecision Decide(ProjectTask? current, ExternalIssue issue)
    {
        if (current is null)
        {
            var fields = new TaskFields(issue.Title, issue.Body, issue.Closed ? TaskStates.Closed : TaskStates.Open, issue.Labels, [], "none", null);
            return new IssueDecision(IssueApplied.Created, fields, null, null);
        }

        if (current.Issue?.IssueUpdatedAt is { } seen && issue.UpdatedAt <= seen)
        {
            return new IssueDecision(IssueApplied.Stale, null, null, null);
        }

        var merged = current.Fields with
        {
            Title = issue.Title,
            Body = issue.Body,
            State = State(current.State, issue.Closed),
            Labels = issue.Labels,
        };
        var localPending = current.Issue?.SyncedAt is not { } synced || current.UpdatedAt > synced;
        if (!localPending)
        {
            return new IssueDecision(IssueApplied.Updated, merged, "synced", Changes(current.Fields, merged));
        }

        var issueWins = issue.UpdatedAt > current.UpdatedAt;
        var detail = new JsonObject
        {
            ["winner"] = issueWins ? "issue" : "task",
            ["taskUpdatedAt"] = current.UpdatedAt,
            ["issueUpdatedAt"] = issue.UpdatedAt,
            ["changes"] = Changes(current.Fields, merged),
        };
        return issueWins
            ? new IssueDecision(IssueApplied.ConflictIssueWon, merged, "sync_conflict", detail)
            : new IssueDecision(IssueApplied.ConflictTaskWon, null, "sync_conflict", detail);
    }

    /// <summary>Closed on the provider: done or closed here (done is kept); open there: open unless work is in progress.</summary>
    public static string State(string current, bool closed) =>
        closed ? (TaskStates.IsFinished(current) ? current : TaskStates.Closed)
        : (TaskStates.IsFinished(current) ? TaskStates.Open : current);

    /// <summary>The fields that differ: {field: {from, to}}.</summary>
    public static JsonObject Changes(TaskFields before, TaskFields after)
    {
        var changes = new JsonObject();
        void Add(string name, JsonNode? from, JsonNode? to)
        {
            if (!JsonNode.DeepEquals(from, to))
            {
                changes[name] = new JsonObject { ["from"] = from, ["to"] = to };
            }
        }

        var b = ProjectTaskStore.Describe(before);
        var a = ProjectTaskStore.Describe(after);
        foreach (var (name, value) in a)
        {
            Add(name, b[name]?.DeepClone(), value?.DeepClone());
        }

        if (before.Body != after.Body)
        {
            changes["body"] = new JsonObject { ["changed"] = true };
        }

        return changes;
    }
}
