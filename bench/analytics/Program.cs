using System.Diagnostics;
using System.Globalization;
using DevMentor.Core.Analytics;
using DevMentor.Core.Data;
using DevMentor.Core.Data.Embedded;
using Microsoft.Extensions.Logging.Abstractions;

// Rollup benchmark: seeds raw rows with generate_series, times the baseline (one GROUP BY per raw
// table, hourly, with the same aggregates and percentiles) and then the real rollup (mark dirty
// periods from the watermarks, recompute every hour and day in its own transaction), then an
// incremental run after 10,000 new events.
var events = Arg("--events", 1_000_000);
var runs = Arg("--runs", 100_000);
var days = Arg("--days", 30);

var dataDirectory = Path.Combine(Path.GetTempPath(), "devmentor-bench-analytics-" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
var server = await EmbeddedPostgres.StartAsync(new EmbeddedPostgresOptions { DataDirectory = dataDirectory, Durable = true }, NullLogger.Instance, CancellationToken.None);
try
{
    await using var database = new Database();
    database.Open(server.ConnectionString, "bench");
    await new MigrationRunner(database, NullLogger<MigrationRunner>.Instance).ApplyAsync(CancellationToken.None);

    var seed = Stopwatch.StartNew();
    await ExecAsync(database, $"""
        INSERT INTO usage_events (at, recorded_at, function_name, status, duration_ms, user_id, api_key_id)
        SELECT t, t, 'Function' || (i % 20), (ARRAY[200, 200, 200, 201, 204, 304, 400, 404, 429, 500])[1 + i % 10], (i % 997) / 10.0,
               CASE WHEN i % 7 = 0 THEN NULL ELSE 'user' || (i % 200) END,
               CASE WHEN i % 5 = 0 THEN ('00000000-0000-0000-0000-' || lpad((i % 10)::text, 12, '0'))::uuid END
        FROM generate_series(1, {events}) i, LATERAL (SELECT now() - make_interval(secs => (i::double precision / {events}) * {days} * 86400) AS t) x
        """);
    await ExecAsync(database, $"""
        INSERT INTO pipeline_runs (id, project_id, number, status, trigger, branch, commit_sha, definition, created_at, started_at, finished_at)
        SELECT gen_random_uuid(), ('00000000-0000-0000-0000-' || lpad((i % 50)::text, 12, '0'))::uuid, i,
               (ARRAY['succeeded', 'succeeded', 'succeeded', 'failed', 'canceled'])[1 + i % 5], (ARRAY['push', 'manual', 'pull_request'])[1 + i % 3],
               'branch' || (i % 4), md5(i::text), jsonb_build_object(), t - interval '5 minutes', t - make_interval(secs => 240 - i % 60), t
        FROM generate_series(1, {runs}) i, LATERAL (SELECT now() - make_interval(secs => (i::double precision / {runs}) * {days} * 86400) AS t) x
        """);
    await ExecAsync(database, "ANALYZE");
    Console.WriteLine($"seeded {events:N0} usage events and {runs:N0} runs over {days} days in {seed.Elapsed.TotalSeconds:0.0} s; {Environment.ProcessorCount} cores, load {File.ReadAllText("/proc/loadavg").Split(' ')[0]}");

    var baseline = Stopwatch.StartNew();
    await ExecAsync(database, """
        CREATE TEMP TABLE b1 AS SELECT date_trunc('hour', at, 'UTC') h, function_name, coalesce(user_id, '') u, coalesce(api_key_id::text, '') k, (status / 100)::text || 'xx' c,
               count(*) n, percentile_cont(0.5) WITHIN GROUP (ORDER BY duration_ms) p50, percentile_cont(0.95) WITHIN GROUP (ORDER BY duration_ms) p95
        FROM usage_events GROUP BY 1, 2, 3, 4, 5
        """);
    var baselineUsage = baseline.Elapsed;
    await ExecAsync(database, """
        CREATE TEMP TABLE b2 AS SELECT date_trunc('hour', finished_at, 'UTC') h, project_id, coalesce(branch, '') b, trigger, count(*) n,
               count(*) FILTER (WHERE status = 'succeeded') s, percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM finished_at - started_at)) p50,
               percentile_cont(0.95) WITHIN GROUP (ORDER BY extract(epoch FROM finished_at - started_at)) p95
        FROM pipeline_runs GROUP BY 1, 2, 3, 4
        """);
    var baselineTotal = baseline.Elapsed;
    Console.WriteLine($"baseline: one hourly GROUP BY over usage_events {baselineUsage.TotalSeconds:0.00} s, over pipeline_runs {(baselineTotal - baselineUsage).TotalSeconds:0.00} s, total {baselineTotal.TotalSeconds:0.00} s");

    var rollup = new RollupTimer(new RollupStore(database), new AnalyticsOptions { Settle = TimeSpan.Zero }, NullLogger<RollupTimer>.Instance);
    var first = Stopwatch.StartNew();
    var periods = await rollup.RollUpAsync(CancellationToken.None);
    first.Stop();
    Console.WriteLine($"rollup (first run, backfill): {periods:N0} periods (hour and day; usage, builds, tests, dora) in {first.Elapsed.TotalSeconds:0.00} s");

    await ExecAsync(database, """
        INSERT INTO usage_events (at, function_name, status, duration_ms, user_id)
        SELECT now() - make_interval(secs => i % 3600), 'Function' || (i % 20), 200, i % 50, 'user' || (i % 200) FROM generate_series(1, 10000) i
        """);
    var incremental = Stopwatch.StartNew();
    var again = await rollup.RollUpAsync(CancellationToken.None);
    incremental.Stop();
    Console.WriteLine($"rollup (incremental, 10,000 new events): {again} periods in {incremental.Elapsed.TotalMilliseconds:0} ms");
    Console.WriteLine();
    Console.WriteLine($"RESULT rollup {first.Elapsed.TotalSeconds:0.00} s (target <= 30 s) | baseline GROUP BY {baselineTotal.TotalSeconds:0.00} s | ratio {first.Elapsed / baselineTotal:0.00}x | incremental {incremental.Elapsed.TotalMilliseconds:0} ms | load {File.ReadAllText("/proc/loadavg").Split(' ')[0]} on {Environment.ProcessorCount} cores");
}
finally
{
    await server.StopAsync(CancellationToken.None);
    try
    {
        Directory.Delete(dataDirectory, recursive: true);
    }
    catch (IOException)
    {
    }
}

return 0;

static async Task ExecAsync(Database database, string sql)
{
    await using var command = database.DataSource.CreateCommand(sql);
    command.CommandTimeout = 0;
    await command.ExecuteNonQueryAsync();
}

int Arg(string name, int fallback)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
}
