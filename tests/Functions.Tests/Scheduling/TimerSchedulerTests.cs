using System.Collections.Concurrent;
using DevMentor.Core.Data;
using DevMentor.Core.Scheduling;
using DevMentor.Functions.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;

namespace DevMentor.Functions.Tests.Scheduling;

public sealed class TimerSchedulerTests
{
    /// <summary>A timer function as the standalone host defines one: the scheduler has claimed the occurrence, this runs it.</summary>
    private static TimerDefinition RecordingTimer(string schedule, ConcurrentBag<TimerInvocation> fired, Database database) =>
        new("Recorder", schedule, async (invocation, cancellationToken) =>
        {
            var executor = new TimerExecutor(new TimerRunStore(database), NullLogger<TimerExecutor>.Instance);
            await executor.RunClaimedAsync("Recorder", invocation, new Recorder(fired), cancellationToken);
        });

    private sealed class Recorder(ConcurrentBag<TimerInvocation> fired) : ITimerJob
    {
        public Task RunAsync(TimerInvocation invocation, CancellationToken cancellationToken)
        {
            fired.Add(invocation);
            return Task.CompletedTask;
        }
    }

    private static async Task<Database> MigratedDatabaseAsync(string purpose)
    {
        var database = new Database();
        database.Open(await TestPostgres.CreateDatabaseAsync(purpose), purpose);
        await new MigrationRunner(database, NullLogger<MigrationRunner>.Instance).ApplyAsync(CancellationToken.None);
        return database;
    }

    private static TimerScheduler Scheduler(Database database, TimerDefinition timer)
    {
        var runs = new TimerRunStore(database);
        var catalog = new TimerCatalog([timer], new ConfigurationBuilder().Build());
        return new TimerScheduler(catalog, new TimerExecutor(runs, NullLogger<TimerExecutor>.Instance), runs, TimeProvider.System, NullLogger<TimerScheduler>.Instance);
    }

    [Fact]
    public async Task Two_scheduler_instances_on_one_database_fire_each_occurrence_once()
    {
        await using var database = await MigratedDatabaseAsync("timer_two_instances");
        var fired = new ConcurrentBag<TimerInvocation>();
        using var first = Scheduler(database, RecordingTimer("* * * * * *", fired, database));
        using var second = Scheduler(database, RecordingTimer("* * * * * *", fired, database));

        await first.StartAsync(CancellationToken.None);
        await second.StartAsync(CancellationToken.None);
        await Task.Delay(TimeSpan.FromSeconds(4.5));
        await first.StopAsync(CancellationToken.None);
        await second.StopAsync(CancellationToken.None);

        var occurrences = fired.Select(f => f.ScheduledAt).ToList();
        Assert.True(occurrences.Count >= 3, $"expected at least 3 occurrences in 4.5 s, got {occurrences.Count}");
        Assert.Equal(occurrences.Count, occurrences.Distinct().Count());
        var recorded = await new TimerRunStore(database).ListAsync("Recorder", CancellationToken.None);
        Assert.Equal(occurrences.Order(), recorded.Select(r => r.Occurrence).Order());
        Assert.All(recorded, r => Assert.Equal("succeeded", r.Outcome));
        Assert.All(fired, f => Assert.False(f.IsPastDue));
    }

    [Fact]
    public async Task An_occurrence_missed_while_down_runs_once_at_start_flagged_past_due()
    {
        await using var database = await MigratedDatabaseAsync("timer_past_due");
        var runs = new TimerRunStore(database);
        // Last ran 3 hours ago on an hourly schedule: two occurrences were missed, the latest is run once.
        // The minute is half an hour away from now, so no regular occurrence falls due while the test runs.
        var now = DateTimeOffset.UtcNow;
        var minute = (now.Minute + 30) % 60;
        var latest = new DateTimeOffset(now.Year, now.Month, now.Day, now.Hour, minute, 0, TimeSpan.Zero);
        latest = latest > now ? latest.AddHours(-1) : latest;
        var schedule = $"0 {minute} * * * *";
        var lastRun = latest.AddHours(-3);
        Assert.True(await runs.TryClaimAsync("Recorder", lastRun, "earlier-instance", false, CancellationToken.None));
        await runs.CompleteAsync("Recorder", lastRun, null, CancellationToken.None);
        var fired = new ConcurrentBag<TimerInvocation>();
        // Two instances coming back together both see the missed occurrence; one of them runs it.
        using var first = Scheduler(database, RecordingTimer(schedule, fired, database));
        using var second = Scheduler(database, RecordingTimer(schedule, fired, database));

        await Task.WhenAll(first.StartAsync(CancellationToken.None), second.StartAsync(CancellationToken.None));
        await WaitUntilAsync(() => !fired.IsEmpty, TimeSpan.FromSeconds(10));
        await WaitUntilAsync(async () => (await runs.ListAsync("Recorder", CancellationToken.None)).All(r => r.Outcome != "running"), TimeSpan.FromSeconds(10));
        await Task.Delay(500);
        await Task.WhenAll(first.StopAsync(CancellationToken.None), second.StopAsync(CancellationToken.None));

        var invocation = Assert.Single(fired);
        Assert.True(invocation.IsPastDue);
        Assert.Equal(lastRun.AddHours(3), invocation.ScheduledAt);
        var recorded = await runs.ListAsync("Recorder", CancellationToken.None);
        Assert.Equal(2, recorded.Count);
        var pastDue = recorded[1];
        Assert.Equal(lastRun.AddHours(3), pastDue.Occurrence);
        Assert.True(pastDue.IsPastDue);
        Assert.Equal("succeeded", pastDue.Outcome);
    }

    [Fact]
    public async Task A_timer_that_never_ran_is_not_past_due_at_first_start()
    {
        await using var database = await MigratedDatabaseAsync("timer_first_start");
        var fired = new ConcurrentBag<TimerInvocation>();
        using var scheduler = Scheduler(database, RecordingTimer("0 0 0 1 1 *", fired, database));

        await scheduler.StartAsync(CancellationToken.None);
        await Task.Delay(1000);
        await scheduler.StopAsync(CancellationToken.None);

        Assert.Empty(fired);
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not met in time");
            await Task.Delay(50);
        }
    }

    private static async Task WaitUntilAsync(Func<bool> condition, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not met in time");
            await Task.Delay(50);
        }
    }
}
