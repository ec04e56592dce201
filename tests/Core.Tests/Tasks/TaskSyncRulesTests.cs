using System.Text.Json.Nodes;
using DevMentor.Core.Tasks;

namespace DevMentor.Core.Tests.Tasks;

public sealed class TaskSyncRulesTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static ProjectTask Task(DateTimeOffset updatedAt, DateTimeOffset? syncedAt, DateTimeOffset? issueSeen, string state = "open") =>
        new(Guid.NewGuid(), Guid.NewGuid(), 3, "Local", null, state, ["a"], ["dev"], "high", null, "dev", T0, updatedAt, 2, true,
            new TaskIssue("github", "99", 7, null, syncedAt, issueSeen), [], null);

    private static ExternalIssue Issue(DateTimeOffset updatedAt, bool closed = false) => new("99", 7, "Remote", "body", closed, ["b"], null, updatedAt);

    [Fact]
    public void A_new_issue_becomes_an_open_or_closed_task_with_its_labels()
    {
        var decision = TaskSyncRules.Decide(null, Issue(T0, closed: true));
        Assert.Equal(IssueApplied.Created, decision.Result);
        Assert.Equal(("Remote", "closed", "b"), (decision.Fields!.Title, decision.Fields.State, decision.Fields.Labels[0]));
    }

    [Fact]
    public void An_issue_not_newer_than_the_last_one_seen_is_stale()
    {
        Assert.Equal(IssueApplied.Stale, TaskSyncRules.Decide(Task(T0, T0, T0.AddHours(1)), Issue(T0.AddHours(1))).Result);
    }

    [Fact]
    public void Without_local_changes_the_issue_applies_and_keeps_what_only_tasks_have()
    {
        var decision = TaskSyncRules.Decide(Task(T0, T0, T0), Issue(T0.AddHours(1)));
        Assert.Equal(IssueApplied.Updated, decision.Result);
        Assert.Equal(("Remote", "high", "dev"), (decision.Fields!.Title, decision.Fields.Priority, decision.Fields.Assignees[0]));
        Assert.Equal("Remote", decision.Detail!["title"]!["to"]!.GetValue<string>());
    }

    [Theory]
    [InlineData(2, "task", IssueApplied.ConflictTaskWon)]
    [InlineData(3, "issue", IssueApplied.ConflictIssueWon)]
    public void Both_sides_changed_the_newer_updated_at_wins(int issueHour, string winner, IssueApplied result)
    {
        var decision = TaskSyncRules.Decide(Task(T0.AddHours(2.5), T0, T0), Issue(T0.AddHours(issueHour)));
        Assert.Equal(result, decision.Result);
        Assert.Equal("sync_conflict", decision.Event);
        Assert.Equal(winner, decision.Detail!["winner"]!.GetValue<string>());
        Assert.Equal(result == IssueApplied.ConflictIssueWon, decision.Fields is not null);
    }

    [Theory]
    [InlineData("in_progress", true, "closed")]
    [InlineData("done", true, "done")]
    [InlineData("done", false, "open")]
    [InlineData("in_progress", false, "in_progress")]
    public void Issue_state_maps_onto_task_states(string current, bool closed, string expected) =>
        Assert.Equal(expected, TaskSyncRules.State(current, closed));

    [Theory]
    [InlineData("Fixes #12", new[] { 12 })]
    [InlineData("fix #3 and closes #4; resolved: #5", new[] { 3, 4, 5 })]
    [InlineData("see #12, prefixes #7 and #8 only mentioned", new int[0])]
    [InlineData("FIXED #9\nfixes #9 again", new[] { 9 })]
    public void Commit_messages_name_the_tasks_they_fix(string message, int[] expected) =>
        Assert.Equal(expected, TaskSyncService.ReferencedTasks(message));

    [Fact]
    public void A_patch_replaces_present_fields_clears_nulls_and_names_bad_ones()
    {
        var current = new TaskFields("T", "b", "open", ["x"], ["dev"], "low", new DateOnly(2027, 1, 1));
        var (fields, sync, errors) = TaskInput.ApplyPatch(current, JsonNode.Parse("""{"body":null,"labels":null,"priority":"urgent","sync":true}"""));
        Assert.Empty(errors);
        Assert.Equal((null, 0, "urgent", true, "T"), (fields!.Body, fields.Labels.Count, fields.Priority, sync, fields.Title));
        var (_, _, bad) = TaskInput.ApplyPatch(current, JsonNode.Parse("""{"labels":["a,b"],"assignees":[" x"],"sync":"yes"}"""));
        Assert.Equal(["assignees", "labels", "sync"], bad.Keys.Order());
    }
}
