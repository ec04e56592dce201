using System.Diagnostics;
using System.Globalization;
using DevMentor.Core.Data;
using DevMentor.Core.Data.Embedded;
using DevMentor.Core.Pipelines;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

// Pipeline engine benchmark: no-op steps through the engine with N workers on one PostgreSQL,
// beside a baseline of bare SELECT ... FOR UPDATE SKIP LOCKED claims + updates on the same
// connection pool, measured in the same invocation.
//   bench/pipeline/run.sh [--workers 8] [--runs 500] [--steps 4] [--latency-runs 300]
var workers = Arg("--workers", 8);
var runs = Arg("--runs", 500);
var stepsPerRun = Arg("--steps", 4);
var latencyRuns = Arg("--latency-runs", 300);
// fsync on by default (what production runs); --durable 0 measures the CPU-bound ceiling like the test clusters.
var durable = Arg("--durable", 1) != 0;
var roundCount = Arg("--rounds", 3);
var totalSteps = runs * stepsPerRun;

var dataDirectory = Path.Combine(Path.GetTempPath(), "devmentor-bench-pipeline-" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
var server = await EmbeddedPostgres.StartAsync(new EmbeddedPostgresOptions { DataDirectory = dataDirectory, Durable = durable }, NullLogger.Instance, CancellationToken.None);
try
{
    await using var database = new Database();
    var connection = new NpgsqlConnectionStringBuilder(server.ConnectionString) { MaxPoolSize = workers + 4, MaxAutoPrepare = 64, AutoPrepareMinUsages = 2 }.ConnectionString;
    database.Open(connection, "bench");
    await new MigrationRunner(database, NullLogger<MigrationRunner>.Instance).ApplyAsync(CancellationToken.None);
    Console.WriteLine($"PostgreSQL {server.BinDirectory} ({(durable ? "durable, fsync on" : "fsync off")}), {workers} workers, {Environment.ProcessorCount} cores");

    var options = new PipelineOptions { MaxRunningRunsPerProject = 1_000_000, MaxRunningRuns = 0, PollInterval = TimeSpan.FromMilliseconds(200) };
    var engine = new PipelineEngine(new PostgresPipelineStore(database, options), new PostgresStepLogStore(database), new StepAvailability(), options, NullLogger<PipelineEngine>.Instance);
    var definition = new PipelineDefinition(Enumerable.Range(0, stepsPerRun).Select(i => new StepDefinition($"step{i}", [])).ToList());

    // Baseline and engine alternate, round by round, so a busy machine slows both alike; the
    // median round is reported.
    var rounds = new List<(double Baseline, double Engine)>();
    for (var round = 1; round <= roundCount; round++)
    {
        var baseline = await BaselineAsync(database.DataSource, totalSteps, workers);
        var baselinePerSecond = totalSteps / baseline.TotalSeconds;
        var drained = await DrainAsync(engine, definition, runs, workers, totalSteps);
        var stepsPerSecond = totalSteps / drained.TotalSeconds;
        rounds.Add((baselinePerSecond, stepsPerSecond));
        Console.WriteLine($"round {round}: baseline {totalSteps} bare SKIP LOCKED claim+update pairs = {baselinePerSecond:0} jobs/s; engine {totalSteps} no-op steps ({runs} runs x {stepsPerRun}) = {stepsPerSecond:0} steps/s; ratio {stepsPerSecond / baselinePerSecond:0.00}");
    }

    var median = rounds.OrderBy(r => r.Engine / r.Baseline).ElementAt(rounds.Count / 2);

    // Latency: idle workers waiting; runs triggered one by one at a steady pace.
    var latencies = await LatencyAsync(engine, definition, workers, latencyRuns);
    latencies.Sort();
    double Percentile(double p) => latencies[(int)Math.Min(latencies.Count - 1, Math.Ceiling(p * latencies.Count) - 1)];

    Console.WriteLine($"trigger-to-first-step-start latency over {latencyRuns} runs: p50 {Percentile(0.50):0.0} ms, p99 {Percentile(0.99):0.0} ms");
    Console.WriteLine();
    Console.WriteLine($"RESULT (median of {rounds.Count} rounds) steps/s {median.Engine:0} (target >= 500) | baseline {median.Baseline:0} jobs/s | ratio {median.Engine / median.Baseline:0.00}x (target >= 0.5) | first-step p50 {Percentile(0.50):0.0} ms (target <= 100) p99 {Percentile(0.99):0.0} ms | load average {File.ReadAllText("/proc/loadavg").Split(' ')[0]} on {Environment.ProcessorCount} cores");
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

static async Task<TimeSpan> BaselineAsync(NpgsqlDataSource data, int jobs, int workers)
{
    await using (var setup = data.CreateCommand("""
        DROP TABLE IF EXISTS bench_jobs;
        CREATE TABLE bench_jobs (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, status text NOT NULL, due_at timestamptz NOT NULL, owner text, lease_expires_at timestamptz);
        CREATE INDEX bench_jobs_claimable ON bench_jobs (due_at) WHERE status = 'queued';
        """))
    {
        await setup.ExecuteNonQueryAsync();
    }

    await using (var fill = data.CreateCommand("INSERT INTO bench_jobs (status, due_at) SELECT 'queued', now() FROM generate_series(1, $1)"))
    {
        fill.Parameters.AddWithValue(jobs);
        await fill.ExecuteNonQueryAsync();
    }

    var done = 0;
    var watch = Stopwatch.StartNew();
    await Task.WhenAll(Enumerable.Range(0, workers).Select(w => Task.Run(async () =>
    {
        while (true)
        {
            await using var claim = data.CreateCommand("""
                WITH next AS (SELECT id FROM bench_jobs WHERE status = 'queued' AND due_at <= now() ORDER BY due_at, id LIMIT 1 FOR UPDATE SKIP LOCKED)
                UPDATE bench_jobs j SET status = 'running', owner = $1, lease_expires_at = now() + interval '60 seconds'
                FROM next WHERE j.id = next.id RETURNING j.id
                """);
            claim.Parameters.AddWithValue($"w{w}");
            if (await claim.ExecuteScalarAsync() is not long id)
            {
                return;
            }

            await using var complete = data.CreateCommand("UPDATE bench_jobs SET status = 'done', lease_expires_at = NULL WHERE id = $1");
            complete.Parameters.AddWithValue(id);
            await complete.ExecuteNonQueryAsync();
            Interlocked.Increment(ref done);
        }
    })));
    watch.Stop();
    if (done != jobs)
    {
        throw new InvalidOperationException($"baseline completed {done} of {jobs} jobs");
    }

    return watch.Elapsed;
}

static async Task<TimeSpan> DrainAsync(PipelineEngine engine, PipelineDefinition definition, int runs, int workers, int totalSteps)
{
    // Every run queued first, then the workers drain them.
    var projects = Enumerable.Range(0, 20).Select(_ => Guid.NewGuid()).ToArray();
    for (var i = 0; i < runs; i++)
    {
        await engine.StartAsync(new StartRunRequest(projects[i % projects.Length], "bench", "main", null, definition), CancellationToken.None);
    }

    var completed = 0;
    var watch = Stopwatch.StartNew();
    await Task.WhenAll(Enumerable.Range(0, workers).Select(w => Task.Run(async () =>
    {
        while (Volatile.Read(ref completed) < totalSteps)
        {
            // What StepWorker does: claim, then complete each step claiming the next in the same commit.
            var claim = new ClaimRequest($"bench/{w}", ["linux"]);
            var step = await engine.ClaimAsync(claim.Owner, claim.Labels, TimeSpan.FromMilliseconds(100), CancellationToken.None);
            while (step is not null)
            {
                var done = await engine.CompleteAsync(step.StepId, step.Attempt, claim.Owner, StepResult.Success(), claim, CancellationToken.None);
                Interlocked.Increment(ref completed);
                step = done?.Next;
            }
        }
    })));
    return watch.Elapsed;
}

static async Task<List<double>> LatencyAsync(PipelineEngine engine, PipelineDefinition definition, int workers, int count)
{
    var triggered = new System.Collections.Concurrent.ConcurrentDictionary<Guid, long>();
    var latencies = new List<double>();
    var firstStep = definition.Steps[0].Name;
    using var stop = new CancellationTokenSource();
    var pool = Enumerable.Range(0, workers).Select(w => Task.Run(async () =>
    {
        while (!stop.IsCancellationRequested)
        {
            ClaimedStep? step;
            try
            {
                step = await engine.ClaimAsync($"latency/{w}", ["linux"], TimeSpan.FromSeconds(1), stop.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            if (step is null)
            {
                continue;
            }

            var claimedAt = Stopwatch.GetTimestamp();
            if (step.StepName == firstStep)
            {
                SpinWait.SpinUntil(() => triggered.ContainsKey(step.RunId));
                lock (latencies)
                {
                    latencies.Add(Stopwatch.GetElapsedTime(triggered[step.RunId], claimedAt).TotalMilliseconds);
                }
            }

            await engine.CompleteAsync(step.StepId, step.Attempt, $"latency/{w}", StepResult.Success(), CancellationToken.None);
        }
    })).ToList();

    for (var i = 0; i < count; i++)
    {
        var before = Stopwatch.GetTimestamp();
        // The trigger time is taken before the start call; the run id is only known after it.
        var started = await engine.StartAsync(new StartRunRequest(Guid.NewGuid(), "bench", "main", null, definition), CancellationToken.None);
        triggered[started.RunId] = before;
        await Task.Delay(10);
    }

    while (true)
    {
        lock (latencies)
        {
            if (latencies.Count >= count)
            {
                break;
            }
        }

        await Task.Delay(20);
    }

    await stop.CancelAsync();
    await Task.WhenAll(pool);
    return latencies;
}

int Arg(string name, int fallback)
{
    var index = Array.IndexOf(args, name);
    return index >= 0 && index + 1 < args.Length ? int.Parse(args[index + 1], CultureInfo.InvariantCulture) : fallback;
}
