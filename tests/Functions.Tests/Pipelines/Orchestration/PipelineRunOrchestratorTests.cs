using System.Collections.Concurrent;
using DevMentor.Core.Pipelines;
using DevMentor.Core.Pipelines.Orchestration;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using DevMentor.Core.Durable;
using DevMentor.Functions.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace DevMentor.Functions.Tests.Pipelines.Orchestration;

/// <summary>
/// The run orchestration's logic on the service's own Durable backend (the standalone host's hub on the test Azurite):
/// the activities are recorders, the test plays the runners by raising each step's outcome event. Runners and the
/// pipeline tables are not involved. The backend is the one the service runs on, so timers and events behave as in production.
/// </summary>
public sealed class PipelineRunOrchestratorTests : IAsyncLifetime
{
    private readonly Recorder _recorder = new();
    private TestApp _app = null!;

    private ConcurrentQueue<object> _calls => _recorder.Calls;

    private DurableTaskClient Client { get; set; } = null!;

    public sealed class Recorder
    {
        public ConcurrentQueue<object> Calls { get; } = new();

        /// <summary>The staging environment's own deploy_timeout, when a test gives it one.</summary>
        public int? DeployTimeoutSeconds { get; set; }
    }

    [DurableTask(RunTasks.QueueStep)]
    public sealed class QueueRecorder(Recorder recorder) : TaskActivity<QueueStepRequest, StepOutcome?>
    {
        public override Task<StepOutcome?> RunAsync(TaskActivityContext context, QueueStepRequest input)
        {
            recorder.Calls.Enqueue(input);
            return Task.FromResult<StepOutcome?>(null);
        }
    }

    /// <summary>The first check says "not yet, look again in a second" (the attempt was claimed late); the second times it out.</summary>
    [DurableTask(RunTasks.CheckStepTimeout)]
    public sealed class TimeoutRecorder(Recorder recorder) : TaskActivity<StepTimeoutRequest, StepTimeoutCheck>
    {
        public override Task<StepTimeoutCheck> RunAsync(TaskActivityContext context, StepTimeoutRequest input)
        {
            recorder.Calls.Enqueue(input);
            return Task.FromResult(recorder.Calls.OfType<StepTimeoutRequest>().Count() == 1
                ? new StepTimeoutCheck(null, DateTime.UtcNow.AddSeconds(1))
                : new StepTimeoutCheck(new StepOutcome(StepResultKind.TimedOut, null, "the step ran past its timeout of 1 s", null, input.Attempt), null));
        }
    }

    /// <summary>A call of an activity of the deploy stage's planning.</summary>
    public sealed record PlanCall(string Task, Guid RunId);

    /// <summary>No environment of these runs needs an approval (ApprovalTests cover approvals end to end).</summary>
    [DurableTask(RunTasks.PlanApprovals)]
    public sealed class NoApprovals(Recorder recorder) : TaskActivity<Guid, List<ApprovalGate>>
    {
        public override Task<List<ApprovalGate>> RunAsync(TaskActivityContext context, Guid input)
        {
            recorder.Calls.Enqueue(new PlanCall(RunTasks.PlanApprovals, input));
            return Task.FromResult(new List<ApprovalGate>());
        }
    }

    /// <summary>The deploy stage of these runs: staging, without an approval (DeployStageTests cover deployments end to end).</summary>
    [DurableTask(RunTasks.PlanDeployments)]
    public sealed class PlanDeploymentsRecorder(Recorder recorder) : TaskActivity<Guid, List<PlannedDeployment>>
    {
        public override Task<List<PlannedDeployment>> RunAsync(TaskActivityContext context, Guid input)
        {
            recorder.Calls.Enqueue(new PlanCall(RunTasks.PlanDeployments, input));
            return Task.FromResult(new List<PlannedDeployment> { new("staging", null, recorder.DeployTimeoutSeconds) });
        }
    }

    [DurableTask(RunTasks.StartDeployment)]
    public sealed class StartDeploymentRecorder(Recorder recorder) : TaskActivity<DeploymentRequest, DeploymentOutcome?>
    {
        public override Task<DeploymentOutcome?> RunAsync(TaskActivityContext context, DeploymentRequest input)
        {
            recorder.Calls.Enqueue(input);
            return Task.FromResult<DeploymentOutcome?>(null);
        }
    }

    /// <summary>The deployment is stopped (DeployStageCancelTests cover the real stop end to end).</summary>
    [DurableTask(RunTasks.StopDeployment)]
    public sealed class StopDeploymentRecorder(Recorder recorder) : TaskActivity<StopDeploymentRequest, bool>
    {
        public override Task<bool> RunAsync(TaskActivityContext context, StopDeploymentRequest input)
        {
            recorder.Calls.Enqueue(input);
            return Task.FromResult(true);
        }
    }

    [DurableTask(RunTasks.FinishRun)]
    public sealed class FinishRecorder(Recorder recorder) : TaskActivity<FinishRunRequest, bool>
    {
        public override Task<bool> RunAsync(TaskActivityContext context, FinishRunRequest input)
        {
            recorder.Calls.Enqueue(input);
            return Task.FromResult(true);
        }
    }

    public async Task InitializeAsync()
    {
        _app = await TestApp.StartAsync(await TestPostgres.CreateDatabaseAsync("runorchestration"), overrides: services =>
        {
            services.AddSingleton(_recorder);
            services.RemovePipelineActivities();

            services.AddDurableActivity<QueueRecorder>();
            services.AddDurableActivity<TimeoutRecorder>();
            services.AddDurableActivity<FinishRecorder>();
            services.AddDurableActivity<NoApprovals>();
            services.AddDurableActivity<PlanDeploymentsRecorder>();
            services.AddDurableActivity<StartDeploymentRecorder>();
            services.AddDurableActivity<StopDeploymentRecorder>();
        });
        Client = await _app.Services.GetRequiredService<DurableClientSource>().GetAsync(CancellationToken.None);
    }

    public async Task DisposeAsync() => await _app.DisposeAsync();

    /// <param name="version">By default what new runs start at (<see cref="RunVersions.Current"/>); older versions are what instances started before replay.</param>
    private static RunInput Input(PipelineDefinition definition, int maxAttempts = 3, int timeoutSeconds = 60, int version = RunVersions.Current, int deployTimeoutSeconds = 60) =>
        new(Guid.NewGuid(), Guid.NewGuid(), definition, new RunRetrySettings(maxAttempts, 0.2, 2, 0.2), timeoutSeconds, version, deployTimeoutSeconds);

    private static PipelineDefinition Steps(params string[] names) => new(names.Select(n => new StepDefinition(n, [])).ToList());

    private async Task<string> StartAsync(RunInput input) =>
        await Client.ScheduleNewOrchestrationInstanceAsync(RunTasks.Orchestrator, input, new StartOrchestrationOptions(RunInput.InstanceIdFor(input.RunId)));

    private async Task QueuedAsync(int position, int attempt)
    {
        for (var i = 0; i < 300; i++)
        {
            if (_calls.OfType<QueueStepRequest>().Any(q => q.Position == position && q.Attempt == attempt))
            {
                return;
            }

            await Task.Delay(50);
        }

        var states = new List<OrchestrationMetadata>();
        await foreach (var state in Client.GetAllInstancesAsync(new OrchestrationQuery { FetchInputsAndOutputs = true }))
        {
            states.Add(state);
        }

        throw new TimeoutException($"step {position} attempt {attempt} was never queued; calls: {string.Join(", ", _calls)}; " +
            string.Join("; ", states.Select(s => $"{s.InstanceId} {s.RuntimeStatus} {s.FailureDetails?.ErrorMessage} {s.SerializedCustomStatus}")));
    }

    private async Task CompleteAsync(string id, int position, int attempt, StepResultKind kind, PipelineDefinition? plan = null, bool deploys = false)
    {
        await QueuedAsync(position, attempt);
        await Task.Delay(700);
        await Client.RaiseEventAsync(id, StepOutcome.NameFor(position, attempt), new StepOutcome(kind, kind == StepResultKind.Failed ? 1 : 0, null, plan, attempt, deploys));
    }

    private async Task<RunOutcome> FinishedAsync(string id)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var done = await Client.WaitForInstanceCompletionAsync(id, getInputsAndOutputs: true, timeout.Token);
        Assert.Equal(OrchestrationRuntimeStatus.Completed, done.RuntimeStatus);
        return done.ReadOutputAs<RunOutcome>()!;
    }

    [Fact]
    public async Task Steps_run_in_order_and_clone_plans_the_rest_of_the_run()
    {
        var input = Input(Steps("clone"));
        var id = await StartAsync(input);
        Assert.Equal($"run-{input.RunId:N}", id);

        await CompleteAsync(id, 0, 1, StepResultKind.Succeeded, Steps("install", "test", "build"));
        await CompleteAsync(id, 1, 1, StepResultKind.Succeeded);
        await CompleteAsync(id, 2, 1, StepResultKind.Succeeded);
        await CompleteAsync(id, 3, 1, StepResultKind.Succeeded);
        var outcome = await FinishedAsync(id);

        Assert.Equal(RunStatus.Succeeded, outcome.Status);
        Assert.Equal(["clone", "install", "test", "build"], _calls.OfType<QueueStepRequest>().Select(q => q.StepName));
        Assert.Equal(new FinishRunRequest(input.RunId, RunStatus.Succeeded, null), Assert.Single(_calls.OfType<FinishRunRequest>()));
    }

    [Fact]
    public async Task A_failing_test_ends_the_run_failed_and_queues_nothing_after_it()
    {
        var input = Input(Steps("install", "test", "build"));
        var id = await StartAsync(input);

        await CompleteAsync(id, 0, 1, StepResultKind.Succeeded);
        await CompleteAsync(id, 1, 1, StepResultKind.Failed);
        var outcome = await FinishedAsync(id);

        Assert.Equal(RunStatus.Failed, outcome.Status);
        Assert.Equal(["install", "test"], _calls.OfType<QueueStepRequest>().Select(q => q.StepName));
        Assert.Equal(RunStatus.Failed, Assert.Single(_calls.OfType<FinishRunRequest>()).Status);
    }

    [Fact]
    public async Task An_infrastructure_failure_is_retried_after_a_durable_backoff_and_gives_up_after_its_attempts()
    {
        var input = Input(Steps("build"), maxAttempts: 2);
        var id = await StartAsync(input);

        await CompleteAsync(id, 0, 1, StepResultKind.InfrastructureError);
        var firstFailed = DateTime.UtcNow;
        await CompleteAsync(id, 0, 2, StepResultKind.InfrastructureError);
        var retried = DateTime.UtcNow;
        var outcome = await FinishedAsync(id);

        Assert.Equal(RunStatus.Failed, outcome.Status);
        Assert.Contains("gave up after 2 attempts", outcome.Error, StringComparison.Ordinal);
        Assert.Equal([1, 2], _calls.OfType<QueueStepRequest>().Select(q => q.Attempt));
        // 0.2 s first delay with ±20 % jitter: the second attempt was not queued at once.
        Assert.True(retried - firstFailed >= TimeSpan.FromMilliseconds(150), $"retried after {(retried - firstFailed).TotalMilliseconds} ms");
    }

    [Fact]
    public async Task A_retried_step_that_then_succeeds_lets_the_run_go_on()
    {
        // An instance started before the deploy stage (version 0): its step path, queueing awaited first, still replays.
        var id = await StartAsync(Input(Steps("install", "test"), version: RunVersions.BeforeDeployStage));

        await CompleteAsync(id, 0, 1, StepResultKind.InfrastructureError);
        await CompleteAsync(id, 0, 2, StepResultKind.Succeeded);
        await CompleteAsync(id, 1, 1, StepResultKind.Succeeded);

        Assert.Equal(RunStatus.Succeeded, (await FinishedAsync(id)).Status);
        // An outcome delivered twice (the outbox's at-least-once) changes nothing: the event of attempt 1 was used.
        await Client.RaiseEventAsync(id, StepOutcome.NameFor(0, 1), new StepOutcome(StepResultKind.Failed, 1, null, null, 1));
        Assert.Equal(3, _calls.OfType<QueueStepRequest>().Count());
    }

    [Fact]
    public async Task A_step_past_its_timeout_is_ended_by_a_durable_timer_and_the_run_times_out()
    {
        var input = Input(new PipelineDefinition([new StepDefinition("test", [], TimeoutSeconds: 1), new StepDefinition("build", [])]));
        var id = await StartAsync(input);
        await QueuedAsync(0, 1);

        var outcome = await FinishedAsync(id);

        Assert.Equal(RunStatus.TimedOut, outcome.Status);
        Assert.Equal([new StepTimeoutRequest(input.RunId, 0, 1), new StepTimeoutRequest(input.RunId, 0, 1)], _calls.OfType<StepTimeoutRequest>());
        Assert.Single(_calls.OfType<QueueStepRequest>());
    }

    [Fact]
    public async Task Cancel_is_an_external_event_that_ends_the_waiting_step_and_the_run()
    {
        var input = Input(Steps("install", "test", "build"));
        var id = await StartAsync(input);
        await CompleteAsync(id, 0, 1, StepResultKind.Succeeded);
        await QueuedAsync(1, 1);

        await Client.RaiseEventAsync(id, RunTasks.CancelEvent, "user");
        var outcome = await FinishedAsync(id);

        Assert.Equal(RunStatus.Canceled, outcome.Status);
        Assert.Equal(["install", "test"], _calls.OfType<QueueStepRequest>().Select(q => q.StepName));
        Assert.Equal(RunStatus.Canceled, Assert.Single(_calls.OfType<FinishRunRequest>()).Status);
    }

    [Fact]
    public async Task While_a_step_runs_the_status_names_its_stage_and_attempt()
    {
        var id = await StartAsync(Input(Steps("install", "test")));
        await CompleteAsync(id, 0, 1, StepResultKind.Succeeded);
        await QueuedAsync(1, 1);

        var state = await Client.GetInstanceAsync(id, getInputsAndOutputs: true);

        Assert.Equal(OrchestrationRuntimeStatus.Running, state!.RuntimeStatus);
        Assert.Equal(new RunProgress("test", 1, 1, "runner"), state.ReadCustomStatusAs<RunProgress>());
        await Client.TerminateInstanceAsync(id);
    }

    [Fact]
    public async Task A_run_whose_steps_declare_no_deploy_environment_calls_no_activity_of_the_deploy_stage()
    {
        var input = Input(Steps("install", "test"), version: RunVersions.Current);
        var id = await StartAsync(input);

        await CompleteAsync(id, 0, 1, StepResultKind.Succeeded);
        await CompleteAsync(id, 1, 1, StepResultKind.Succeeded);

        Assert.Equal(RunStatus.Succeeded, (await FinishedAsync(id)).Status);
        Assert.Empty(_calls.OfType<PlanCall>());
        Assert.Empty(_calls.OfType<DeploymentRequest>());
    }

    [Fact]
    public async Task The_deploy_stage_shows_its_environment_while_it_deploys_and_a_failed_deployment_fails_the_run_with_its_reason()
    {
        var input = Input(Steps("clone", "build"), version: RunVersions.Current);
        var id = await StartAsync(input);
        await CompleteAsync(id, 0, 1, StepResultKind.Succeeded, deploys: true);
        await CompleteAsync(id, 1, 1, StepResultKind.Succeeded);
        for (var i = 0; i < 300 && !_calls.OfType<DeploymentRequest>().Any(); i++)
        {
            await Task.Delay(50);
        }

        Assert.Equal(new DeploymentRequest(input.RunId, "staging"), Assert.Single(_calls.OfType<DeploymentRequest>()));
        Assert.Equal([new PlanCall(RunTasks.PlanDeployments, input.RunId)], _calls.OfType<PlanCall>());
        var state = await Client.GetInstanceAsync(id, getInputsAndOutputs: true);
        Assert.Equal(new RunProgress("deploy:staging", 2, 1, "deployment"), state!.ReadCustomStatusAs<RunProgress>());

        await Client.RaiseEventAsync(id, DeploymentOutcome.NameFor("staging"), new DeploymentOutcome(false, Guid.NewGuid(), "the release failed its health check: /health answered 500"));
        var outcome = await FinishedAsync(id);

        Assert.Equal(RunStatus.Failed, outcome.Status);
        Assert.Equal("deploy:staging: the release failed its health check: /health answered 500", Assert.Single(_calls.OfType<FinishRunRequest>()).Reason);
        Assert.Empty(_calls.OfType<StopDeploymentRequest>());
    }

    /// <summary>Plays the steps of a run that deploys to staging until the deploy stage waits for the deployment.</summary>
    private async Task<string> DeployingAsync(RunInput input)
    {
        var id = await StartAsync(input);
        await CompleteAsync(id, 0, 1, StepResultKind.Succeeded, deploys: true);
        await CompleteAsync(id, 1, 1, StepResultKind.Succeeded);
        for (var i = 0; i < 300 && !_calls.OfType<DeploymentRequest>().Any(); i++)
        {
            await Task.Delay(50);
        }

        Assert.Single(_calls.OfType<DeploymentRequest>());
        return id;
    }

    [Fact]
    public async Task A_deploy_stage_with_no_outcome_within_its_timeout_stops_the_deployment_and_fails_the_run()
    {
        // The environment's deploy_timeout (1 s) wins over the pinned Pipelines:DeployTimeoutSeconds (60 s here).
        _recorder.DeployTimeoutSeconds = 1;
        var input = Input(Steps("clone", "build"), version: RunVersions.Current, deployTimeoutSeconds: 60);
        var id = await DeployingAsync(input);

        var outcome = await FinishedAsync(id);

        Assert.Equal(RunStatus.Failed, outcome.Status);
        Assert.Equal("deploy:staging: no outcome within 00:00:01", Assert.Single(_calls.OfType<FinishRunRequest>()).Reason);
        Assert.Equal(new StopDeploymentRequest(input.RunId, "staging", "the deploy stage had no outcome within 00:00:01", null), Assert.Single(_calls.OfType<StopDeploymentRequest>()));
    }

    [Fact]
    public async Task A_cancel_during_the_deploy_stage_stops_the_deployment_naming_who_canceled_and_a_version_1_run_keeps_its_old_path()
    {
        var input = Input(Steps("clone", "build"), version: RunVersions.Current);
        var id = await DeployingAsync(input);

        await Client.RaiseEventAsync(id, RunTasks.CancelEvent, "maintainer-x");

        Assert.Equal(RunStatus.Canceled, (await FinishedAsync(id)).Status);
        Assert.Equal(new StopDeploymentRequest(input.RunId, "staging", "the run was canceled", "maintainer-x"), Assert.Single(_calls.OfType<StopDeploymentRequest>()));
        Assert.Equal(new FinishRunRequest(input.RunId, RunStatus.Canceled, "canceled"), Assert.Single(_calls.OfType<FinishRunRequest>()));

        // An instance started on version 1 (its input pinned DeployStage: true) replays its own path: a cancel ends
        // the wait and leaves the deployment to run to its end (no stop).
        var legacy = Input(Steps("clone", "build"), version: RunVersions.DeployStage);
        _calls.Clear();
        var legacyId = await DeployingAsync(legacy);
        await Client.RaiseEventAsync(legacyId, RunTasks.CancelEvent, RunTasks.CancelEvent);
        Assert.Equal(RunStatus.Canceled, (await FinishedAsync(legacyId)).Status);
        Assert.Empty(_calls.OfType<StopDeploymentRequest>());
    }
}
