using DevMentor.Core.Pipelines;
using DevMentor.Functions.Tests.Infrastructure;

namespace DevMentor.Functions.Tests.Pipelines;

/// <summary>
/// The engine's use cases with the run orchestration sequencing (the test plays the runner): what a start, a claim, an
/// outcome, a lost runner, a cancel and a timeout do to the recorded run. The orchestration acts shortly after each
/// recorded outcome, so the tests wait for the state they expect instead of reading it at once.
/// </summary>
public sealed class PipelineEngineTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);

    private static readonly IReadOnlyList<string> Linux = ["linux"];

    [Fact]
    public async Task Start_pins_the_definition_numbers_runs_per_project_and_queues_the_first_step()
    {
        await using var app = await PipelineTestKit.StartAppAsync("enginestart");
        var engine = app.Engine();
        var project = Guid.NewGuid();
        var definition = PipelineTestKit.NoOps("clone", "test");

        var first = await engine.StartAsync(project, definition);
        var second = await engine.StartAsync(project, definition);
        var other = await engine.StartAsync(Guid.NewGuid(), definition);

        Assert.Equal((1, 2, 1), (first.Number, second.Number, other.Number));
        var view = await engine.WaitForRunAsync(first, v => v.Steps[0].Status == StepStatus.Queued, Wait);
        Assert.Equal(RunStatus.Running, view.Status);
        Assert.Equal(definition.Steps.Select(s => s.Name), view.Definition.Steps.Select(s => s.Name));
        Assert.Equal([StepStatus.Queued, StepStatus.Pending], view.Steps.Select(s => s.Status));
        Assert.Equal(["run.queued", "run.started", "step.queued"], view.Events.Select(e => e.Type));
        Assert.Equal("main", view.Branch);
        Assert.Equal("abc123", view.Commit);
        Assert.Null(await engine.GetRunAsync(Guid.NewGuid(), first.RunId, CancellationToken.None));
    }

    [Fact]
    public async Task Idempotency_key_returns_the_first_run_and_rejects_a_different_request()
    {
        await using var app = await PipelineTestKit.StartAppAsync("engineidem");
        var engine = app.Engine();
        var project = Guid.NewGuid();

        var first = await engine.StartAsync(project, PipelineTestKit.NoOps("a"), "key-1");
        var again = await engine.StartAsync(project, PipelineTestKit.NoOps("a"), "key-1");

        Assert.Equal(first.RunId, again.RunId);
        Assert.True(again.Replayed);
        Assert.Single((await engine.ListRunsAsync(new RunQuery(project), CancellationToken.None)).Items);
        await Assert.ThrowsAsync<IdempotencyConflictException>(() => engine.StartAsync(project, PipelineTestKit.NoOps("b"), "key-1"));
    }

    [Fact]
    public async Task Per_project_limit_keeps_extra_runs_queued_until_a_slot_frees()
    {
        await using var app = await PipelineTestKit.StartAppAsync("enginelimit", new Dictionary<string, string?> { ["Pipelines:MaxRunningRunsPerProject"] = "2" });
        var engine = app.Engine();
        var project = Guid.NewGuid();

        var runs = new List<StartedRun>();
        for (var i = 0; i < 3; i++)
        {
            runs.Add(await engine.StartAsync(project, PipelineTestKit.NoOps("only")));
        }

        var elsewhere = await engine.StartAsync(Guid.NewGuid(), PipelineTestKit.NoOps("only"));
        Assert.Equal([RunStatus.Running, RunStatus.Running, RunStatus.Queued], runs.Select(r => r.Status));
        Assert.Equal(RunStatus.Running, elsewhere.Status);

        // Only the running runs' steps can be claimed: the waiting run's step is queued by its orchestration but not claimable.
        var claimed = new List<ClaimedStep>();
        for (var i = 0; i < 3; i++)
        {
            claimed.Add(await engine.ClaimAsync("w"));
        }

        await engine.WaitForRunAsync(runs[2], v => v.Steps[0].Status == StepStatus.Queued, Wait);
        Assert.Null(await engine.TryClaimAsync("w", Linux, CancellationToken.None));
        Assert.DoesNotContain(claimed, c => c.RunId == runs[2].RunId);

        var done = claimed.First(c => c.RunId == runs[0].RunId);
        Assert.True((await engine.CompleteAsync(done.StepId, done.Attempt, "w", StepResult.Success(), CancellationToken.None))!.Accepted);
        await engine.WaitForRunAsync(runs[0], v => v.Status == RunStatus.Succeeded, Wait);

        // The freed slot starts the waiting run, whose step can now be claimed.
        Assert.Equal(runs[2].RunId, (await engine.ClaimAsync("w")).RunId);
        Assert.Equal(RunStatus.Running, (await engine.GetRunAsync(project, runs[2].RunId, CancellationToken.None))!.Status);
    }

    [Fact]
    public async Task Global_limit_caps_running_runs_across_projects()
    {
        await using var app = await PipelineTestKit.StartAppAsync("engineglobal", new Dictionary<string, string?> { ["Pipelines:MaxRunningRuns"] = "2" });
        var engine = app.Engine();

        var statuses = new List<RunStatus>();
        for (var i = 0; i < 4; i++)
        {
            statuses.Add((await engine.StartAsync(Guid.NewGuid(), PipelineTestKit.NoOps("only"))).Status);
        }

        Assert.Equal([RunStatus.Running, RunStatus.Running, RunStatus.Queued, RunStatus.Queued], statuses);
    }

    [Fact]
    public async Task Completing_steps_moves_through_the_run_in_one_transaction_each_and_finishes_it()
    {
        await using var app = await PipelineTestKit.StartAppAsync("enginecomplete");
        var engine = app.Engine();
        var run = await engine.StartAsync(Guid.NewGuid(), PipelineTestKit.NoOps("clone", "test", "build"));

        foreach (var expected in new[] { "clone", "test", "build" })
        {
            var step = await engine.ClaimAsync("w1");
            Assert.Equal(expected, step.StepName);
            Assert.Equal(1, step.Attempt);
            Assert.Null(await engine.TryClaimAsync("w2", Linux, CancellationToken.None)); // one step at a time per run
            var outcome = await engine.CompleteAsync(step.StepId, step.Attempt, "w1",
                StepResult.Success(new Dictionary<string, string> { ["artifact"] = expected }), CancellationToken.None);
            Assert.True(outcome!.Accepted);
        }

        var view = await engine.WaitForEndAsync(run, Wait);
        Assert.Equal(RunStatus.Succeeded, view.Status);
        Assert.NotNull(view.StartedAt);
        Assert.NotNull(view.FinishedAt);
        Assert.All(view.Steps, s => Assert.Equal((StepStatus.Succeeded, 1, 0), (s.Status, s.Attempt, s.ExitCode)));
        Assert.Equal("test", view.Steps[1].Outputs!.Value.GetProperty("artifact").GetString());
        Assert.Equal("run.succeeded", view.Events[^1].Type);
        Assert.Equal(3, view.Events.Count(e => e.Type == "step.succeeded"));
    }

    [Fact]
    public async Task A_completion_can_claim_the_runners_next_step_in_the_same_commit()
    {
        await using var app = await PipelineTestKit.StartAppAsync("engineclaimnext");
        var engine = app.Engine();
        var first = await engine.StartAsync(Guid.NewGuid(), PipelineTestKit.NoOps("clone"));
        var other = await engine.StartAsync(Guid.NewGuid(), PipelineTestKit.NoOps("build"));
        var runnerA = new ClaimRequest("runner-a", Linux);
        var clone = await engine.ClaimAsync(runnerA.Owner);
        await engine.WaitForRunAsync(clone.RunId == first.RunId ? other : first, v => v.Steps[0].Status == StepStatus.Queued, Wait);

        // A completion that is refused (not this runner's lease) claims nothing.
        var refused = await engine.CompleteAsync(clone.StepId, clone.Attempt, "runner-b", StepResult.Success(), new ClaimRequest("runner-b", Linux), CancellationToken.None);
        Assert.False(refused!.Outcome.Accepted);
        Assert.Null(refused.Next);

        // The accepted one takes the waiting step, leased to the same runner, in its commit.
        var done = await engine.CompleteAsync(clone.StepId, clone.Attempt, runnerA.Owner, StepResult.Success(), runnerA, CancellationToken.None);
        Assert.True(done!.Outcome.Accepted);
        var next = done.Next!;
        Assert.NotEqual(clone.RunId, next.RunId);
        Assert.Equal(1, next.Attempt);
        Assert.Null(await engine.TryClaimAsync("runner-b", Linux, CancellationToken.None));
        Assert.Equal(HeartbeatAction.Continue, (await engine.HeartbeatAsync(next.StepId, next.Attempt, runnerA.Owner, CancellationToken.None)).Action);
        Assert.Equal(RunStatus.Succeeded, (await engine.WaitForEndAsync(clone.RunId == first.RunId ? first : other, Wait)).Status);
    }

    [Fact]
    public async Task A_non_zero_exit_fails_the_run_at_once_and_skips_the_rest()
    {
        await using var app = await PipelineTestKit.StartAppAsync("enginefail");
        var engine = app.Engine();
        var run = await engine.StartAsync(Guid.NewGuid(), PipelineTestKit.NoOps("test", "build"));

        var step = await engine.ClaimAsync("w");
        var outcome = await engine.CompleteAsync(step.StepId, step.Attempt, "w", new StepResult(StepResultKind.Failed, 3), CancellationToken.None);

        Assert.Equal(StepStatus.Failed, outcome!.StepStatus);
        var view = await engine.WaitForEndAsync(run, Wait);
        Assert.Equal(RunStatus.Failed, view.Status);
        Assert.Equal("step test: exited with code 3", view.Events[^1].Data!.Value.GetProperty("reason").GetString());
        Assert.Equal([StepStatus.Failed, StepStatus.Skipped], view.Steps.Select(s => s.Status));
        Assert.Equal(3, view.Steps[0].ExitCode);
        Assert.Equal(1, view.Steps[0].Attempt);
    }

    [Fact]
    public async Task Lease_expiry_requeues_the_step_and_the_stale_runner_is_rejected()
    {
        await using var app = await PipelineTestKit.StartAppAsync("enginelease", new Dictionary<string, string?> { ["Pipelines:Retry:FirstDelaySeconds"] = "0" });
        var engine = app.Engine();
        var run = await engine.StartAsync(Guid.NewGuid(), PipelineTestKit.NoOps("build"));

        var stale = await engine.ClaimAsync("runner-a");
        Assert.Equal(HeartbeatAction.Continue, (await engine.HeartbeatAsync(stale.StepId, stale.Attempt, "runner-a", CancellationToken.None)).Action);
        await app.ExpireLeaseAsync(stale.StepId);

        var report = await engine.SweepAsync(CancellationToken.None);
        Assert.Equal(1, report.LostRunners);
        var requeued = (await engine.GetRunAsync(run.ProjectId, run.RunId, CancellationToken.None))!;
        Assert.Equal(StepStatus.Queued, requeued.Steps[0].Status);
        Assert.Contains(requeued.Events, e => e.Type == "step.retrying" && e.Data!.Value.GetProperty("error").GetString()!.Contains("lease expired", StringComparison.Ordinal));

        var fresh = await engine.ClaimAsync("runner-b");
        Assert.Equal(2, fresh.Attempt);

        // Runner A comes back: its heartbeat, log and completion carry the old attempt and are refused.
        Assert.Equal(HeartbeatAction.Lost, (await engine.HeartbeatAsync(stale.StepId, stale.Attempt, "runner-a", CancellationToken.None)).Action);
        Assert.False(await engine.AppendLogAsync(stale.StepId, stale.Attempt, "runner-a", "late output", CancellationToken.None));
        var rejected = await engine.CompleteAsync(stale.StepId, stale.Attempt, "runner-a", StepResult.Success(), CancellationToken.None);
        Assert.False(rejected!.Accepted);
        Assert.Equal(StepStatus.Running, rejected.StepStatus);

        // Same attempt number but another owner is refused too.
        Assert.False((await engine.CompleteAsync(fresh.StepId, fresh.Attempt, "runner-a", StepResult.Success(), CancellationToken.None))!.Accepted);

        Assert.True((await engine.CompleteAsync(fresh.StepId, fresh.Attempt, "runner-b", StepResult.Success(), CancellationToken.None))!.Accepted);
        Assert.Equal(RunStatus.Succeeded, (await engine.WaitForEndAsync(run, Wait)).Status);
        Assert.Null(await engine.ReadLogAsync(run.ProjectId, run.RunId, "nope", CancellationToken.None));
        Assert.DoesNotContain("late output", await engine.ReadLogAsync(run.ProjectId, run.RunId, "build", CancellationToken.None), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_lease_that_is_still_valid_is_left_alone_by_the_sweeper()
    {
        await using var app = await PipelineTestKit.StartAppAsync("engineleasevalid");
        var engine = app.Engine();
        await engine.StartAsync(Guid.NewGuid(), PipelineTestKit.NoOps("build"));
        var step = await engine.ClaimAsync("w");

        var report = await engine.SweepAsync(CancellationToken.None);

        Assert.Equal(0, report.LostRunners);
        Assert.Equal(HeartbeatAction.Continue, (await engine.HeartbeatAsync(step.StepId, step.Attempt, "w", CancellationToken.None)).Action);
    }

    [Fact]
    public async Task Infrastructure_failures_are_retried_after_durable_backoff_timers_then_fail_the_run()
    {
        await using var app = await PipelineTestKit.StartAppAsync("enginebackoff", new Dictionary<string, string?>
        {
            ["Pipelines:Retry:FirstDelaySeconds"] = "0.4",
            ["Pipelines:Retry:Factor"] = "2",
            ["Pipelines:Retry:Jitter"] = "0.2",
        });
        var engine = app.Engine();
        var run = await engine.StartAsync(Guid.NewGuid(), PipelineTestKit.NoOps("clone", "test"));

        var gaps = new List<TimeSpan>();
        var failedAt = DateTime.UtcNow;
        for (var attempt = 1; attempt <= 3; attempt++)
        {
            var step = await engine.ClaimAsync("w");
            if (attempt > 1)
            {
                gaps.Add(DateTime.UtcNow - failedAt);
            }

            Assert.Equal(attempt, step.Attempt);
            var outcome = await engine.CompleteAsync(step.StepId, step.Attempt, "w",
                new StepResult(StepResultKind.InfrastructureError, Error: "network unreachable"), CancellationToken.None);
            failedAt = DateTime.UtcNow;
            Assert.Equal(attempt < 3 ? StepStatus.Queued : StepStatus.Failed, outcome!.StepStatus);
            if (attempt < 3)
            {
                // Queued for its retry but not due: nobody can claim it before the orchestration's timer fires.
                Assert.Null(await engine.TryClaimAsync("w", Linux, CancellationToken.None));
            }
        }

        // 0.4 s then 0.8 s, each within ±20 % jitter: a retry never comes before its delay.
        Assert.True(gaps[0] >= TimeSpan.FromMilliseconds(320), $"first retry after {gaps[0].TotalMilliseconds} ms");
        Assert.True(gaps[1] >= TimeSpan.FromMilliseconds(640), $"second retry after {gaps[1].TotalMilliseconds} ms");
        var view = await engine.WaitForEndAsync(run, Wait);
        Assert.Equal(RunStatus.Failed, view.Status);
        Assert.Equal((3, 3), (view.Steps[0].Attempt, view.Steps[0].MaxAttempts));
        Assert.Equal("gave up after 3 attempts: network unreachable", view.Steps[0].Error);
        Assert.Equal(StepStatus.Skipped, view.Steps[1].Status);
        Assert.Equal(2, view.Events.Count(e => e.Type == "step.retrying"));
        Assert.Equal([1, 2, 3], view.Events.Where(e => e.Type == "step.queued").Select(e => e.Data!.Value.GetProperty("attempt").GetInt32()));
    }

    [Fact]
    public async Task Per_step_retry_policy_overrides_the_default()
    {
        await using var app = await PipelineTestKit.StartAppAsync("enginestepretry");
        var engine = app.Engine();
        var definition = new PipelineDefinition([new StepDefinition("flaky", [], Retry: new RetryPolicy(MaxAttempts: 1))]);
        var run = await engine.StartAsync(Guid.NewGuid(), definition);

        var step = await engine.ClaimAsync("w");
        var outcome = await engine.CompleteAsync(step.StepId, step.Attempt, "w", new StepResult(StepResultKind.InfrastructureError, Error: "boom"), CancellationToken.None);

        Assert.Equal(StepStatus.Failed, outcome!.StepStatus);
        Assert.Equal(RunStatus.Failed, (await engine.WaitForEndAsync(run, Wait)).Status);
        Assert.Equal(1, (await engine.GetRunAsync(run.ProjectId, run.RunId, CancellationToken.None))!.Steps[0].MaxAttempts);
    }

    [Fact]
    public async Task Labels_route_steps_to_runners_that_have_them()
    {
        await using var app = await PipelineTestKit.StartAppAsync("enginelabels");
        var engine = app.Engine();
        var definition = new PipelineDefinition([new StepDefinition("image", [], Requires: ["linux", "buildah"])]);
        var run = await engine.StartAsync(Guid.NewGuid(), definition);
        await engine.WaitForRunAsync(run, v => v.Steps[0].Status == StepStatus.Queued, Wait);

        Assert.Null(await engine.TryClaimAsync("plain", ["linux"], CancellationToken.None));
        Assert.NotNull(await engine.TryClaimAsync("builder", ["linux", "buildah", "x64"], CancellationToken.None));
    }

    [Fact]
    public async Task Cancel_cancels_waiting_steps_and_tells_the_running_step_at_its_heartbeat()
    {
        await using var app = await PipelineTestKit.StartAppAsync("enginecancel");
        var engine = app.Engine();
        var run = await engine.StartAsync(Guid.NewGuid(), PipelineTestKit.NoOps("test", "build"));
        var step = await engine.ClaimAsync("w");

        Assert.Equal(CancelResult.Canceled, await engine.CancelAsync(run.ProjectId, run.RunId, CancellationToken.None));

        Assert.Equal(HeartbeatAction.Cancel, (await engine.HeartbeatAsync(step.StepId, step.Attempt, "w", CancellationToken.None)).Action);
        var view = (await engine.GetRunAsync(run.ProjectId, run.RunId, CancellationToken.None))!;
        Assert.Equal(RunStatus.Canceled, view.Status);
        Assert.Equal([StepStatus.Canceled, StepStatus.Canceled], view.Steps.Select(s => s.Status));
        Assert.Equal("run.canceled", view.Events[^1].Type);
        Assert.False((await engine.CompleteAsync(step.StepId, step.Attempt, "w", new StepResult(StepResultKind.Canceled), CancellationToken.None))!.Accepted);
        Assert.Equal(CancelResult.AlreadyFinished, await engine.CancelAsync(run.ProjectId, run.RunId, CancellationToken.None));
        Assert.Equal(CancelResult.NotFound, await engine.CancelAsync(Guid.NewGuid(), run.RunId, CancellationToken.None));
    }

    [Fact]
    public async Task Retry_starts_a_linked_run_with_the_same_definition_and_commit()
    {
        await using var app = await PipelineTestKit.StartAppAsync("engineretry");
        var engine = app.Engine();
        var run = await engine.StartAsync(Guid.NewGuid(), PipelineTestKit.NoOps("only"));
        await Assert.ThrowsAsync<RunNotRetryableException>(() => engine.RetryAsync(run.ProjectId, run.RunId, null, CancellationToken.None));
        await engine.CancelAsync(run.ProjectId, run.RunId, CancellationToken.None);

        var retry = (await engine.RetryAsync(run.ProjectId, run.RunId, null, CancellationToken.None))!;

        var view = (await engine.GetRunAsync(run.ProjectId, retry.RunId, CancellationToken.None))!;
        Assert.Equal(2, retry.Number);
        Assert.Equal(run.RunId, view.RetryOf);
        Assert.Equal(("retry", "abc123", "main"), (view.Trigger, view.Commit, view.Branch));
        Assert.Equal(["only"], view.Definition.Steps.Select(s => s.Name));
        Assert.Null(await engine.RetryAsync(run.ProjectId, Guid.NewGuid(), null, CancellationToken.None));
    }

    [Fact]
    public async Task List_pages_newest_first_and_filters_by_status_and_branch()
    {
        await using var app = await PipelineTestKit.StartAppAsync("enginelist");
        var engine = app.Engine();
        var project = Guid.NewGuid();
        for (var i = 0; i < 5; i++)
        {
            await engine.StartAsync(new StartRunRequest(project, "manual", i % 2 == 0 ? "main" : "dev", null, PipelineTestKit.NoOps("a")), CancellationToken.None);
        }

        var first = await engine.ListRunsAsync(new RunQuery(project, Limit: 2), CancellationToken.None);
        var second = await engine.ListRunsAsync(new RunQuery(project, Limit: 2, BeforeNumber: first.NextBeforeNumber), CancellationToken.None);
        var third = await engine.ListRunsAsync(new RunQuery(project, Limit: 2, BeforeNumber: second.NextBeforeNumber), CancellationToken.None);

        Assert.Equal([5, 4], first.Items.Select(r => r.Number));
        Assert.Equal([3, 2], second.Items.Select(r => r.Number));
        Assert.Equal([1], third.Items.Select(r => r.Number));
        Assert.Null(third.NextBeforeNumber);
        Assert.Equal([5, 3, 1], (await engine.ListRunsAsync(new RunQuery(project, Branch: "main"), CancellationToken.None)).Items.Select(r => r.Number));
        Assert.Empty((await engine.ListRunsAsync(new RunQuery(project, Status: RunStatus.Succeeded), CancellationToken.None)).Items);
        Assert.Equal(5, (await engine.ListRunsAsync(new RunQuery(project, Status: RunStatus.Running), CancellationToken.None)).Items.Count);
    }

    [Fact]
    public async Task A_heartbeat_that_waited_for_its_steps_timeout_to_commit_says_cancel_not_lost()
    {
        await using var app = await PipelineTestKit.StartAppAsync("heartbeatrace");
        var engine = app.Engine();
        await engine.StartAsync(Guid.NewGuid(), PipelineTestKit.NoOps("slow"));
        var step = await engine.ClaimAsync("w");

        // The timeout check's transaction ends the attempt while holding its row; the heartbeat comes meanwhile.
        await using var connection = await app.Data().OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await using (var end = new Npgsql.NpgsqlCommand("UPDATE pipeline_steps SET status = 'timed_out', finished_at = now(), lease_expires_at = NULL WHERE id = $1", connection, transaction))
        {
            end.Parameters.AddWithValue(step.StepId);
            Assert.Equal(1, await end.ExecuteNonQueryAsync());
        }

        var heartbeat = engine.HeartbeatAsync(step.StepId, step.Attempt, "w", CancellationToken.None);
        await Task.Delay(300);
        Assert.False(heartbeat.IsCompleted, "the heartbeat did not wait for the step's row");
        await transaction.CommitAsync();

        Assert.Equal(HeartbeatAction.Cancel, (await heartbeat).Action);
    }

    [Fact]
    public async Task A_steps_timeout_is_a_durable_timer_counted_from_its_claim_and_its_runner_is_told_to_stop()
    {
        await using var app = await PipelineTestKit.StartAppAsync("enginesteptimeout");
        var engine = app.Engine();
        var run = await engine.StartAsync(Guid.NewGuid(), new PipelineDefinition([new StepDefinition("slow", [], TimeoutSeconds: 1), new StepDefinition("after", [])]));
        await engine.WaitForRunAsync(run, v => v.Steps[0].Status == StepStatus.Queued, Wait);

        // Waiting for a runner is not running: claimed after longer than the timeout, the step still gets its second.
        await Task.Delay(1500);
        var step = await engine.ClaimAsync("w");
        var claimed = DateTime.UtcNow;
        Assert.Equal(HeartbeatAction.Continue, (await engine.HeartbeatAsync(step.StepId, step.Attempt, "w", CancellationToken.None)).Action);

        // The runner keeps its lease alive but never stops the step: the timer ends it, and the heartbeat says cancel.
        HeartbeatAction action;
        while ((action = (await engine.HeartbeatAsync(step.StepId, step.Attempt, "w", CancellationToken.None)).Action) == HeartbeatAction.Continue)
        {
            Assert.True(DateTime.UtcNow - claimed < Wait, "the step was never timed out");
            await Task.Delay(100);
        }

        Assert.Equal(HeartbeatAction.Cancel, action);
        Assert.True(DateTime.UtcNow - claimed >= TimeSpan.FromSeconds(0.9), $"timed out {(DateTime.UtcNow - claimed).TotalMilliseconds} ms after its claim");
        var view = await engine.WaitForEndAsync(run, Wait);
        Assert.Equal(RunStatus.TimedOut, view.Status);
        Assert.Equal([StepStatus.TimedOut, StepStatus.Skipped], view.Steps.Select(s => s.Status));
        Assert.False((await engine.CompleteAsync(step.StepId, step.Attempt, "w", StepResult.Success(), CancellationToken.None))!.Accepted);
    }

    [Fact]
    public async Task Invalid_definitions_are_refused_before_anything_is_written()
    {
        await using var app = await PipelineTestKit.StartAppAsync("engineinvalid");
        var engine = app.Engine();
        var project = Guid.NewGuid();

        var error = await Assert.ThrowsAsync<InvalidPipelineDefinitionException>(() => engine.StartAsync(project, PipelineTestKit.Steps(("a", [[]]))));

        Assert.Contains("steps[0].commands[0]", error.Message, StringComparison.Ordinal);
        Assert.Empty((await engine.ListRunsAsync(new RunQuery(project), CancellationToken.None)).Items);
    }
}
