using DevMentor.Core.Pipelines;
using DevMentor.Core.Pipelines.Orchestration;
using DevMentor.Functions.Tests.Infrastructure;

namespace DevMentor.Functions.Tests.Pipelines.Orchestration;

/// <summary>
/// The outbox between PostgreSQL and Durable: an outcome recorded by an instance that died before raising it (here an
/// instance that never dispatches) is raised by the next instance, and the run goes on; a second delivery of the same
/// outcome changes nothing.
/// </summary>
public sealed class RunOutboxTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task An_outcome_recorded_but_never_raised_is_raised_by_the_next_instance_and_the_run_completes()
    {
        var connectionString = await TestPostgres.CreateDatabaseAsync("outbox");
        StartedRun run;
        ClaimedStep build;
        await using (var first = await PipelineTestKit.StartAppAsync("outbox", connectionString: connectionString))
        {
            run = await first.Engine().StartAsync(Guid.NewGuid(), PipelineTestKit.NoOps("build", "test"));
            build = await first.Engine().ClaimAsync("runner");
        }

        // An instance that records but never raises: as if it crashed right after the outcome's commit.
        await using (var recorder = await PipelineTestKit.StartAppAsync("outbox", new Dictionary<string, string?>
        {
            ["Pipelines:Outbox:Dispatch"] = "false",
            ["Durable:Worker:Enabled"] = "false",
        }, connectionString))
        {
            var done = await recorder.Engine().CompleteAsync(build.StepId, build.Attempt, "runner", StepResult.Success(), CancellationToken.None);
            Assert.True(done!.Accepted);
            await Task.Delay(1500);
            Assert.Equal(1L, await CountAsync(recorder, $"SELECT count(*) FROM pipeline_outbox WHERE name = '{StepOutcome.NameFor(0, 1)}'"));
            var view = (await recorder.Engine().GetRunAsync(run.ProjectId, run.RunId, CancellationToken.None))!;
            Assert.Equal([StepStatus.Succeeded, StepStatus.Pending], view.Steps.Select(s => s.Status)); // nobody queued the next step
        }

        await using var next = await PipelineTestKit.StartAppAsync("outbox", connectionString: connectionString);
        var test = await next.Engine().ClaimAsync("runner", seconds: 30);
        Assert.Equal((run.RunId, "test"), (test.RunId, test.StepName));
        Assert.Equal(0L, await CountAsync(next, $"SELECT count(*) FROM pipeline_outbox WHERE name = '{StepOutcome.NameFor(0, 1)}'"));

        // The same outcome delivered again (at least once) is ignored: the run does not step back or repeat.
        await using (var again = next.Data().CreateCommand($"INSERT INTO pipeline_outbox (run_id, kind, name, payload) SELECT run_id, 'event', '{StepOutcome.NameFor(0, 1)}', outcome FROM pipeline_steps WHERE id = $1"))
        {
            again.Parameters.AddWithValue(build.StepId);
            Assert.Equal(1, await again.ExecuteNonQueryAsync());
        }

        Assert.True((await next.Engine().CompleteAsync(test.StepId, test.Attempt, "runner", StepResult.Success(), CancellationToken.None))!.Accepted);
        var end = await next.Engine().WaitForEndAsync(run, Wait);
        Assert.Equal(RunStatus.Succeeded, end.Status);
        Assert.All(end.Steps, s => Assert.Equal(1, s.Attempt));
        Assert.Equal(2, end.Events.Count(e => e.Type == "step.queued"));
    }

    private static async Task<long> CountAsync(TestApp app, string sql)
    {
        await using var command = app.Data().CreateCommand(sql);
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
