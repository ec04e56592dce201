using System.Collections.Concurrent;
using DevMentor.Core.Durable;
using DevMentor.Core.Pipelines;
using DevMentor.Core.Pipelines.Orchestration;
using DevMentor.Functions.Tests.Infrastructure;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;

namespace DevMentor.Functions.Tests.Pipelines.Orchestration;

/// <summary>
/// The orchestrator's version 3 step (ADR 0046) against recording activities on the service's Durable backend: the
/// queueing activity may answer the outcome; when it answers none the outcome comes as its event and the timeout
/// counts from the answer; a cancel does not wait for a waiting activity. One app for the class.
/// </summary>
public sealed class QueueAndWaitOrchestrationTests(QueueAndWaitOrchestrationTests.Host host) : IClassFixture<QueueAndWaitOrchestrationTests.Host>
{
    private static readonly TimeSpan ActivityWait = TimeSpan.FromSeconds(1.5);

    /// <summary>What the recorders saw, with when.</summary>
    public sealed class Recorder
    {
        public ConcurrentQueue<(DateTime At, object Call)> Calls { get; } = new();

        /// <summary>Holds the "stuck" step's activity until the test lets it answer.</summary>
        public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    public sealed record Answered(Guid RunId, string Step);

    /// <summary>
    /// Plays the queueing activity by step name: "fast" ends within the activity's wait (answered), "slow" outlasts
    /// it (no answer after <see cref="ActivityWait"/>), "stuck" waits until the test releases it, anything else is
    /// answered at once without an outcome.
    /// </summary>
    [DurableTask(RunTasks.QueueStep)]
    public sealed class WaitingQueueRecorder(Recorder recorder) : TaskActivity<QueueStepRequest, StepOutcome?>
    {
        public override async Task<StepOutcome?> RunAsync(TaskActivityContext context, QueueStepRequest input)
        {
            recorder.Calls.Enqueue((DateTime.UtcNow, input));
            if (input.StepName == "slow")
            {
                await Task.Delay(ActivityWait);
            }

            if (input.StepName == "stuck")
            {
                await recorder.Release.Task.WaitAsync(TimeSpan.FromSeconds(60));
            }

            recorder.Calls.Enqueue((DateTime.UtcNow, new Answered(input.RunId, input.StepName)));
            return input.StepName == "fast" ? new StepOutcome(StepResultKind.Succeeded, 0, null, null, input.Attempt) : null;
        }
    }

    [DurableTask(RunTasks.CheckStepTimeout)]
    public sealed class WaitingTimeoutRecorder(Recorder recorder) : TaskActivity<StepTimeoutRequest, StepTimeoutCheck>
    {
        public override Task<StepTimeoutCheck> RunAsync(TaskActivityContext context, StepTimeoutRequest input)
        {
            recorder.Calls.Enqueue((DateTime.UtcNow, input));
            return Task.FromResult(new StepTimeoutCheck(new StepOutcome(StepResultKind.TimedOut, null, "the step ran past its timeout of 1 s", null, input.Attempt), null));
        }
    }

    [DurableTask(RunTasks.FinishRun)]
    public sealed class WaitingFinishRecorder(Recorder recorder) : TaskActivity<FinishRunRequest, bool>
    {
        public override Task<bool> RunAsync(TaskActivityContext context, FinishRunRequest input)
        {
            recorder.Calls.Enqueue((DateTime.UtcNow, input));
            return Task.FromResult(true);
        }
    }

    public sealed class Host : IAsyncLifetime
    {
        public Recorder Recorder { get; } = new();

        public TestApp App { get; private set; } = null!;

        public DurableTaskClient Client { get; private set; } = null!;

        public async Task InitializeAsync()
        {
            App = await TestApp.StartAsync(await TestPostgres.CreateDatabaseAsync("queueandwait"), overrides: services =>
            {
                services.AddSingleton(Recorder);
                services.RemovePipelineActivities();

                services.AddDurableActivity<WaitingQueueRecorder>();
                services.AddDurableActivity<WaitingTimeoutRecorder>();
                services.AddDurableActivity<WaitingFinishRecorder>();
            });
            Client = await App.Services.GetRequiredService<DurableClientSource>().GetAsync(CancellationToken.None);
        }

        public async Task DisposeAsync() => await App.DisposeAsync();
    }

    private static RunInput Input(params StepDefinition[] steps) =>
        new(Guid.NewGuid(), Guid.NewGuid(), new PipelineDefinition(steps), new RunRetrySettings(3, 0.2, 2, 0.2), 60, RunVersions.OutcomeWithActivity);

    private IEnumerable<(DateTime At, T Call)> Calls<T>(Guid runId) where T : notnull =>
        host.Recorder.Calls.Where(c => c.Call is T && (Guid)c.Call.GetType().GetProperty("RunId")!.GetValue(c.Call)! == runId).Select(c => (c.At, (T)c.Call));

    private async Task<string> StartAsync(RunInput input) =>
        await host.Client.ScheduleNewOrchestrationInstanceAsync(RunTasks.Orchestrator, input, new StartOrchestrationOptions(RunInput.InstanceIdFor(input.RunId)));

    private async Task UntilAsync(Func<bool> condition, string what)
    {
        for (var i = 0; i < 300 && !condition(); i++)
        {
            await Task.Delay(50);
        }

        Assert.True(condition(), what);
    }

    private async Task<OrchestrationMetadata> CompletedAsync(string id, TimeSpan within)
    {
        using var timeout = new CancellationTokenSource(within);
        var done = await host.Client.WaitForInstanceCompletionAsync(id, getInputsAndOutputs: true, timeout.Token);
        Assert.Equal(OrchestrationRuntimeStatus.Completed, done.RuntimeStatus);
        return done;
    }

    [Fact]
    public async Task An_answered_outcome_moves_on_an_unanswered_one_comes_as_its_event_and_the_timeout_counts_from_the_answer()
    {
        var input = Input(new StepDefinition("fast", []), new StepDefinition("evented", []), new StepDefinition("slow", [], TimeoutSeconds: 1));
        var id = await StartAsync(input);

        // fast: answered by its activity, nothing raised. evented: answered without an outcome; its event brings it.
        await UntilAsync(() => Calls<Answered>(input.RunId).Any(a => a.Call.Step == "evented"), "the second step was never queued");
        Assert.All(Calls<QueueStepRequest>(input.RunId), q => Assert.True(q.Call.AwaitOutcome));
        await host.Client.RaiseEventAsync(id, StepOutcome.NameFor(1, 1), new StepOutcome(StepResultKind.Succeeded, 0, null, null, 1));

        // slow: its activity answers without an outcome after its wait; its 1 s timeout runs from that answer.
        var outcome = (await CompletedAsync(id, TimeSpan.FromSeconds(30))).ReadOutputAs<RunOutcome>()!;

        Assert.Equal(RunStatus.TimedOut, outcome.Status);
        Assert.Equal(["fast", "evented", "slow"], Calls<QueueStepRequest>(input.RunId).Select(q => q.Call.StepName));
        var answered = Calls<Answered>(input.RunId).Single(a => a.Call.Step == "slow").At;
        var check = Assert.Single(Calls<StepTimeoutRequest>(input.RunId));
        Assert.Equal(2, check.Call.Position);
        // Set to fire a timeout after the answer (the backend may fire it up to a second early: the store decides then).
        // Two timers: evented's (60 s, canceled by its event) and slow's; none for fast.
        var timers = await DurableHistory.TimersAsync(host.App, id);
        Assert.Equal(2, timers.Count);
        var timer = timers[1];
        Assert.True(timer - answered >= TimeSpan.FromSeconds(0.95), $"the timer was set to fire {(timer - answered).TotalSeconds:0.00} s after the activity answered");
        Assert.Equal(RunStatus.TimedOut, Assert.Single(Calls<FinishRunRequest>(input.RunId)).Call.Status);
    }

    [Fact]
    public async Task A_cancel_while_the_queueing_activity_waits_ends_the_run_without_waiting_for_it()
    {
        var input = Input(new StepDefinition("stuck", []));
        var id = await StartAsync(input);
        await UntilAsync(() => Calls<QueueStepRequest>(input.RunId).Any(), "the step was never queued");

        await host.Client.RaiseEventAsync(id, RunTasks.CancelEvent, "user");

        // The run's end is written while its queueing activity still waits ...
        await UntilAsync(() => Calls<FinishRunRequest>(input.RunId).Any(), "the run was not finished while its activity waited");
        Assert.Equal(RunStatus.Canceled, Assert.Single(Calls<FinishRunRequest>(input.RunId)).Call.Status);
        Assert.Empty(Calls<Answered>(input.RunId));

        // ... and the instance completes once the activity answers (Durable completes no instance with a task of it
        // outstanding; the real activity answers within Pipelines:StepOutcomeWaitMilliseconds).
        host.Recorder.Release.TrySetResult();
        var outcome = (await CompletedAsync(id, TimeSpan.FromSeconds(30))).ReadOutputAs<RunOutcome>()!;
        Assert.Equal(RunStatus.Canceled, outcome.Status);
        Assert.Single(Calls<FinishRunRequest>(input.RunId));
    }
}
