using DevMentor.Core.Pipelines;
using DevMentor.Core.Pipelines.Orchestration;

namespace DevMentor.Functions.Tests.Pipelines.Orchestration;

/// <summary>
/// Run orchestration version 3 (ADR 0046) on the real service: a step's queueing activity waits briefly for the
/// step's outcome, so a short step's outcome reaches the orchestration with the activity (no event, no timer), and a
/// longer one's still comes as its event through the outbox, its timeout timer started once the activity answered.
/// </summary>
public sealed class StepOutcomeWithActivityTests
{
    [Fact]
    public async Task A_short_steps_outcome_returns_with_its_queueing_activity_and_a_longer_ones_comes_as_its_event()
    {
        await using var app = await PipelineTestKit.StartAppAsync("outcomewithactivity", new Dictionary<string, string?>
        {
            ["Pipelines:StepOutcomeWaitMilliseconds"] = "1500",
        });
        var engine = app.Engine();
        var run = await engine.StartAsync(Guid.NewGuid(), PipelineTestKit.NoOps("build", "test"));

        // build ends while its queueing activity still waits: the activity answers it and takes its outbox row.
        var build = await engine.ClaimAsync("runner");
        Assert.True((await engine.CompleteAsync(build.StepId, build.Attempt, "runner", StepResult.Success(), CancellationToken.None))!.Accepted);

        // test ends after the activity gave up waiting: its outcome goes the outbox's way, as an event.
        var test = await engine.ClaimAsync("runner");
        Assert.Equal("test", test.StepName);
        await Task.Delay(TimeSpan.FromSeconds(2));
        Assert.True((await engine.CompleteAsync(test.StepId, test.Attempt, "runner", StepResult.Success(), CancellationToken.None))!.Accepted);

        var end = await engine.WaitForEndAsync(run, TimeSpan.FromSeconds(30));
        Assert.Equal(RunStatus.Succeeded, end.Status);
        Assert.All(end.Steps, s => Assert.Equal((StepStatus.Succeeded, 1), (s.Status, s.Attempt)));

        var instance = RunInput.InstanceIdFor(run.RunId);
        var history = await WaitForCompletedHistoryAsync(app, instance);
        // Episodes: the start, build's activity (with its outcome), test's activity (without), test's event, the finish.
        Assert.True(history.Of("EventRaised") == 1 && history.Of("TimerCreated") == 1 && history.Of("OrchestratorStarted") == 5,
            $"history of {instance}: {history.Describe()}");
        await using (var left = app.Data().CreateCommand("SELECT count(*) FROM pipeline_outbox WHERE run_id = $1"))
        {
            left.Parameters.AddWithValue(run.RunId);
            Assert.Equal(0L, await left.ExecuteScalarAsync());
        }

        // Had the activity's answer been lost (the process dying before Durable recorded it), Durable runs it again:
        // it answers the recorded outcome; the step is not queued a second time.
        var again = await engine.QueueStepAsync(run.RunId, 0, 1, CancellationToken.None);
        Assert.Equal((StepResultKind.Succeeded, 1), (again!.Kind, again.Attempt));
        Assert.Single(end.Events, e => e.Type == "step.queued" && e.Step == "build");
    }

    private static async Task<IReadOnlyDictionary<string, int>> WaitForCompletedHistoryAsync(Infrastructure.TestApp app, string instance)
    {
        // The run's status is written by its last activity; the orchestration completes in the episode after it.
        for (var i = 0; ; i++)
        {
            var history = await DurableHistory.CountsAsync(app, instance);
            if (history.Of("ExecutionCompleted") == 1 || i == 100)
            {
                return history;
            }

            await Task.Delay(100);
        }
    }
}
