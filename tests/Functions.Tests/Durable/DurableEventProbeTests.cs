using DevMentor.Core.Durable;
using DevMentor.Functions.Tests.Infrastructure;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;

namespace DevMentor.Functions.Tests.Durable;

/// <summary>
/// External events through the sidecar reach waiting orchestrations: alone, raced against a durable timer, and raced
/// against another event (the shapes a run's step outcome, step timeout and cancel take).
/// </summary>
public sealed class DurableEventProbeTests
{
    [DurableTask("EventProbe")]
    public sealed class EventProbe : TaskOrchestrator<string, string>
    {
        public override async Task<string> RunAsync(TaskOrchestrationContext context, string input) =>
            await context.WaitForExternalEvent<string>("go");
    }

    [DurableTask("EventTimerProbe")]
    public sealed class EventTimerProbe : TaskOrchestrator<string, string>
    {
        public override async Task<string> RunAsync(TaskOrchestrationContext context, string input)
        {
            using var cts = new CancellationTokenSource();
            var e = context.WaitForExternalEvent<string>("go");
            var t = context.CreateTimer(context.CurrentUtcDateTime.AddSeconds(60), cts.Token);
            var first = await Task.WhenAny(e, t);
            cts.Cancel();
            return first == e ? e.Result : "timer";
        }
    }

    [DurableTask("TwoEventProbe")]
    public sealed class TwoEventProbe : TaskOrchestrator<string, string>
    {
        public override async Task<string> RunAsync(TaskOrchestrationContext context, string input)
        {
            var cancel = context.WaitForExternalEvent<string>("cancel");
            var e = context.WaitForExternalEvent<string>("go");
            var first = await Task.WhenAny(e, cancel);
            return first == e ? e.Result : "canceled";
        }
    }

    [Theory]
    [InlineData("EventTimerProbe")]
    [InlineData("TwoEventProbe")]
    public async Task An_event_wins_a_race_against_a_pending_timer_or_another_pending_event(string name)
    {
        await using var app = await TestApp.StartAsync(await TestPostgres.CreateDatabaseAsync("durable_event2"), configure: b =>
        {
            b.Services.AddDurableOrchestrator<EventTimerProbe>();
            b.Services.AddDurableOrchestrator<TwoEventProbe>();
        });
        var client = await app.Services.GetRequiredService<DurableClientSource>().GetAsync(CancellationToken.None);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var id = await client.ScheduleNewOrchestrationInstanceAsync(name, "x", timeout.Token);
        await client.WaitForInstanceStartAsync(id, timeout.Token);
        await Task.Delay(1000);
        await client.RaiseEventAsync(id, "go", "hello", timeout.Token);
        var done = await client.WaitForInstanceCompletionAsync(id, getInputsAndOutputs: true, timeout.Token);
        Assert.Equal("hello", done.ReadOutputAs<string>());
    }

    [Fact]
    public async Task A_raised_event_reaches_a_waiting_orchestration()
    {
        await using var app = await TestApp.StartAsync(await TestPostgres.CreateDatabaseAsync("durable_event"), configure: b => b.Services.AddDurableOrchestrator<EventProbe>());
        var client = await app.Services.GetRequiredService<DurableClientSource>().GetAsync(CancellationToken.None);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var id = await client.ScheduleNewOrchestrationInstanceAsync("EventProbe", "x", timeout.Token);
        await client.WaitForInstanceStartAsync(id, timeout.Token);
        await client.RaiseEventAsync(id, "go", "hello", timeout.Token);
        var done = await client.WaitForInstanceCompletionAsync(id, getInputsAndOutputs: true, timeout.Token);
        Assert.Equal("hello", done.ReadOutputAs<string>());
    }
}
