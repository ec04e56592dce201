using DevMentor.Core.Analytics;
using DevMentor.Core.Data;
using DevMentor.Functions.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using static DevMentor.Functions.Tests.Analytics.AnalyticsSeed;

namespace DevMentor.Functions.Tests.Analytics;

/// <summary>Rollups of a seeded history against hand-computed numbers; re-runs, late events and a crash mid-rollup.</summary>
public sealed class RollupTests
{
    private static readonly Guid Project = Guid.Parse("00000000-0000-0000-0000-0000000000ff");

    private static async Task<TestApp> StartAsync(string purpose) =>
        await TestApp.StartAsync(await TestPostgres.CreateDatabaseAsync(purpose), TestAuth.Settings(("Analytics:SettleSeconds", "0")));

    private static async Task<(TestApp App, Database Db, RollupTimer Rollup, AnalyticsStore Store)> SeededAsync(string purpose)
    {
        var app = await StartAsync(purpose);
        var db = app.Services.GetRequiredService<Database>();
        await SeedAsync(db, Project);
        return (app, db, app.Services.GetRequiredService<RollupTimer>(), app.Services.GetRequiredService<AnalyticsStore>());
    }

    [Fact]
    public async Task First_run_backfills_builds_per_branch_and_trigger_with_hand_computed_percentiles()
    {
        var (app, _, rollup, store) = await SeededAsync("rollup-builds");
        await using var _app = app;
        Assert.True(await rollup.RollUpAsync(CancellationToken.None) > 0);

        var hours = await store.BuildsAsync(Project, "hour", At("00:00:00"), At("23:59:59"), CancellationToken.None);
        Assert.Equal(2, hours.Count);
        var main = hours[0];
        Assert.Equal((At("10:00:00"), "main", "push", 3, 2, 1, 0), (main.PeriodStart, main.Branch, main.Trigger, main.Runs, main.Succeeded, main.Failed, main.Canceled));
        Assert.Equal(2.0 / 3, main.SuccessRate, 6);
        // Durations 60/120/180 s, queues 10/20/30 s: p50 the middle one, p95 = x[1] + 0.9 (x[2] - x[1]).
        Assert.Equal(120_000, main.DurationP50Ms!.Value, 3);
        Assert.Equal(174_000, main.DurationP95Ms!.Value, 3);
        Assert.Equal(20_000, main.QueueP50Ms!.Value, 3);
        Assert.Equal(29_000, main.QueueP95Ms!.Value, 3);
        var feature = hours[1];
        Assert.Equal((At("11:00:00"), "feature", "manual", 1, 0, 0, 1, 60_000.0, 5_000.0),
            (feature.PeriodStart, feature.Branch, feature.Trigger, feature.Runs, feature.Succeeded, feature.Failed, feature.Canceled, feature.DurationP50Ms, feature.QueueP50Ms));

        var days = await store.BuildsAsync(Project, "day", At("00:00:00"), At("23:59:59"), CancellationToken.None);
        Assert.Equal(2, days.Count);
        Assert.All(days, d => Assert.Equal(At("00:00:00"), d.PeriodStart));
        Assert.Equal(main with { PeriodStart = At("00:00:00") }, days.Single(d => d.Branch == "main"));
    }

    [Fact]
    public async Task Tests_count_pass_rate_new_failures_flaky_tests_and_coverage()
    {
        var (app, _, rollup, store) = await SeededAsync("rollup-tests");
        await using var _app = app;
        await rollup.RollUpAsync(CancellationToken.None);

        var hour = Assert.Single(await store.TestsAsync(Project, "hour", At("00:00:00"), At("23:59:59"), CancellationToken.None));
        // R1 passes t1 t2; R2 (commit c2) fails both: two new failures; R3 (c2 again) passes t1 (flaky) and fails t2 (not new).
        Assert.Equal((At("10:00:00"), 3, 28L, 2L, 3L, 2, 1), (hour.PeriodStart, hour.Runs, hour.Passed, hour.Failed, hour.Skipped, hour.NewFailures, hour.FlakyTests));
        Assert.Equal(28.0 / 30, hour.PassRate!.Value, 6);
        Assert.Equal(0.8, hour.LineCoverage!.Value, 6);
    }

    [Fact]
    public async Task Dora_keys_per_environment_match_the_hand_computed_history()
    {
        var (app, _, rollup, store) = await SeededAsync("rollup-dora");
        await using var _app = app;
        await rollup.RollUpAsync(CancellationToken.None);

        var hours = await store.DoraAsync(Project, "hour", At("00:00:00"), At("23:59:59"), CancellationToken.None);
        Assert.Equal([At("12:00:00"), At("13:00:00"), At("14:00:00")], hours.Select(h => h.PeriodStart));
        Assert.All(hours, h => Assert.Equal("production", h.Environment));
        // 12:00 D1 healthy: first commit of the change 09:30 → 9000 s.
        Assert.Equal((1, 0, 0, 9000.0, 0), (hours[0].Deployments, hours[0].FailedDeployments, hours[0].Rollbacks, hours[0].LeadTimeP50Seconds, hours[0].Restores));
        Assert.Equal(0.0, hours[0].ChangeFailureRate);
        // 13:00 D2 failed, 13:30 D3 healthy: lead from 10:05 (the push after D1's build) = 12300 s; restored 30 min after the failure.
        Assert.Equal((1, 1, 0, 12300.0, 1, 1800.0), (hours[1].Deployments, hours[1].FailedDeployments, hours[1].Rollbacks, hours[1].LeadTimeP50Seconds, hours[1].Restores, hours[1].RestoreP50Seconds));
        Assert.Equal(0.5, hours[1].ChangeFailureRate);
        // 14:00 D4 rolls D3 back: a rollback, restored 30 min after D3 went live; no deployment attempt, so no rate.
        Assert.Equal((0, 0, 1, (double?)null, 1, 1800.0, (double?)null), (hours[2].Deployments, hours[2].FailedDeployments, hours[2].Rollbacks, hours[2].LeadTimeP50Seconds, hours[2].Restores, hours[2].RestoreP50Seconds, hours[2].ChangeFailureRate));

        var day = Assert.Single(await store.DoraAsync(Project, "day", At("00:00:00"), At("23:59:59"), CancellationToken.None));
        Assert.Equal((2, 1, 1, 10650.0, 2, 1800.0), (day.Deployments, day.FailedDeployments, day.Rollbacks, day.LeadTimeP50Seconds, day.Restores, day.RestoreP50Seconds));
        Assert.Equal(2.0 / 3, day.ChangeFailureRate!.Value, 6);
    }

    [Fact]
    public async Task Usage_is_rolled_up_per_function_user_and_status_class()
    {
        var (app, _, rollup, store) = await SeededAsync("rollup-usage");
        await using var _app = app;
        await rollup.RollUpAsync(CancellationToken.None);

        var rows = await store.UsageAsync("hour", At("10:00:00"), At("11:00:00"), 100, CancellationToken.None);
        Assert.Equal(2, rows.Count);
        var ok = rows.Single(r => r.StatusClass == "2xx");
        Assert.Equal(("GetProject", "alice", (string?)null, 4L, 25.0), (ok.FunctionName, ok.UserId, ok.ApiKeyId, ok.Requests, ok.LatencyP50Ms));
        Assert.Equal(38.5, ok.LatencyP95Ms, 6);
        var notFound = rows.Single(r => r.StatusClass == "4xx");
        Assert.Equal(((string?)null, 1L, 5.0), (notFound.UserId, notFound.Requests, notFound.LatencyP95Ms));
    }

    [Fact]
    public async Task Running_again_over_every_period_gives_the_same_rows()
    {
        var (app, db, rollup, _) = await SeededAsync("rollup-idempotent");
        await using var _app = app;
        await rollup.RollUpAsync(CancellationToken.None);
        var first = await DumpAsync(db);
        Assert.Contains("analytics_dora", first, StringComparison.Ordinal);

        Assert.Equal(0, await rollup.RollUpAsync(CancellationToken.None)); // nothing changed: nothing recomputed
        await ExecAsync(db, "UPDATE analytics_watermarks SET changed_through = '-infinity'");
        Assert.True(await rollup.RollUpAsync(CancellationToken.None) > 0);
        Assert.Equal(first, await DumpAsync(db));
    }

    [Fact]
    public async Task A_late_event_is_folded_into_the_period_it_belongs_to()
    {
        var (app, db, rollup, store) = await SeededAsync("rollup-late");
        await using var _app = app;
        await rollup.RollUpAsync(CancellationToken.None);

        // Arrives now (recorded_at) for a request at 10:50 yesterday-ish: its hour and day are recomputed.
        await ExecAsync(db, "INSERT INTO usage_events (at, function_name, status, duration_ms, user_id) VALUES ('2026-01-05T10:50:00Z', 'GetProject', 201, 50, 'alice')");
        Assert.Equal(2, await rollup.RollUpAsync(CancellationToken.None));
        var rows = await store.UsageAsync("hour", At("10:00:00"), At("11:00:00"), 100, CancellationToken.None);
        Assert.Equal(5L, rows.Single(r => r.StatusClass == "2xx").Requests);
        var day = await store.UsageAsync("day", At("00:00:00"), At("23:00:00"), 100, CancellationToken.None);
        Assert.Equal(6L, day.Sum(r => r.Requests));

        // A run finishing in the current hour after that hour was rolled up is folded in too.
        await ExecAsync(db, """
            INSERT INTO pipeline_runs (id, project_id, number, status, trigger, branch, definition, created_at, started_at, finished_at)
            VALUES (gen_random_uuid(), @p1, 10, 'succeeded', 'push', 'live', '{}', now(), now(), now())
            """, Project);
        await rollup.RollUpAsync(CancellationToken.None);
        await ExecAsync(db, """
            INSERT INTO pipeline_runs (id, project_id, number, status, trigger, branch, definition, created_at, started_at, finished_at)
            VALUES (gen_random_uuid(), @p1, 11, 'failed', 'push', 'live', '{}', now(), now(), now())
            """, Project);
        await rollup.RollUpAsync(CancellationToken.None);
        var now = DateTimeOffset.UtcNow;
        var live = (await store.BuildsAsync(Project, "hour", now.AddHours(-2), now.AddHours(1), CancellationToken.None)).Where(b => b.Branch == "live").ToList();
        Assert.Equal(2, live.Sum(b => b.Runs));
        Assert.Equal(1, live.Sum(b => b.Failed));
    }

    [Fact]
    public async Task A_crash_mid_rollup_neither_loses_nor_doubles_anything()
    {
        var (app, db, rollup, store) = await SeededAsync("rollup-crash");
        await using var _app = app;
        // The 11:00 hour of builds fails to write: its transaction rolls back while the others commit.
        await ExecAsync(db, """
            CREATE FUNCTION fail_11() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF NEW.granularity = 'hour' AND NEW.period_start = '2026-01-05T11:00:00Z' THEN RAISE EXCEPTION 'injected crash'; END IF;
                RETURN NEW;
            END $$;
            CREATE TRIGGER fail_11 BEFORE INSERT ON analytics_builds FOR EACH ROW EXECUTE FUNCTION fail_11();
            """);
        var crash = await Assert.ThrowsAsync<InvalidOperationException>(() => rollup.RollUpAsync(CancellationToken.None));
        Assert.Contains("injected crash", crash.InnerException!.Message, StringComparison.Ordinal);

        Assert.Equal(1L, await ScalarAsync<long>(db, "SELECT count(*) FROM analytics_dirty_periods"));
        Assert.Equal("builds", await ScalarAsync<string>(db, "SELECT rollup FROM analytics_dirty_periods"));
        var hours = await store.BuildsAsync(Project, "hour", At("00:00:00"), At("23:59:59"), CancellationToken.None);
        Assert.Equal([At("10:00:00")], hours.Select(h => h.PeriodStart));

        await ExecAsync(db, "DROP TRIGGER fail_11 ON analytics_builds");
        Assert.Equal(1, await rollup.RollUpAsync(CancellationToken.None));
        var afterRecovery = await DumpAsync(db);
        hours = await store.BuildsAsync(Project, "hour", At("00:00:00"), At("23:59:59"), CancellationToken.None);
        Assert.Equal([At("10:00:00"), At("11:00:00")], hours.Select(h => h.PeriodStart));
        Assert.Equal(4, (await store.BuildsAsync(Project, "day", At("00:00:00"), At("23:59:59"), CancellationToken.None)).Sum(d => d.Runs));

        // The same rows as a clean run from scratch.
        await ExecAsync(db, "DELETE FROM analytics_builds; DELETE FROM analytics_tests; DELETE FROM analytics_dora; DELETE FROM analytics_usage; UPDATE analytics_watermarks SET changed_through = '-infinity'");
        await rollup.RollUpAsync(CancellationToken.None);
        Assert.Equal(afterRecovery, await DumpAsync(db));
    }
}
