using System.Globalization;
using DevMentor.Bench.Pipeline;
using DevMentor.Core.Data;
using DevMentor.Core.Durable;
using DevMentor.Core.Pipelines;
using DevMentor.Functions.Hosting.Standalone;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

// Pipeline benchmark through the run orchestration (issue 13): the standalone service hosted in-process with its
// embedded PostgreSQL and Azurite (the Durable backend), the benchmark's own worker loops playing the runners.
//   bench/pipeline/run.sh [--workers 4] [--runs 50] [--steps 4] [--rounds 3] [--latency-runs 30]
var workers = Arg("--workers", 4);
var runs = Arg("--runs", 50);
var stepsPerRun = Arg("--steps", 4);
var roundCount = Arg("--rounds", 3);
var latencyRuns = Arg("--latency-runs", 30);

var dataDirectory = Path.Combine(Path.GetTempPath(), "devmentor-bench-pipeline-" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
Directory.CreateDirectory(dataDirectory);
File.SetUnixFileMode(dataDirectory, (UnixFileMode)0x1ED); // 0755: the embedded PostgreSQL runs as its own user
var builder = StandaloneHost.CreateBuilder(["--urls", "http://127.0.0.1:0"]);
builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
{
    ["DEVMENTOR_DATA_DIR"] = dataDirectory,
    ["Scheduler:Enabled"] = "false",
    // The benchmark's loops are the runners; no limit should hold a run back.
    ["Pipelines:Runner:Enabled"] = "false",
    ["Pipelines:MaxRunningRunsPerProject"] = "10000",
    ["Pipelines:MaxRunningRuns"] = "0",
    ["Logging:LogLevel:Default"] = "Warning",
});
await using var app = StandaloneHost.Build(builder);
var started = System.Diagnostics.Stopwatch.StartNew();
await app.StartAsync();
try
{
    var engine = app.Services.GetRequiredService<PipelineEngine>();
    var data = app.Services.GetRequiredService<Database>().DataSource;
    var client = await app.Services.GetRequiredService<DurableClientSource>().GetAsync(CancellationToken.None);
    Console.WriteLine($"service started in {started.Elapsed.TotalSeconds:0.0} s (embedded PostgreSQL and Azurite, Durable on DurableTask.AzureStorage); {workers} worker loops, {Environment.ProcessorCount} cores");

    var bench = new OrchestratedBench(engine, data, client);
    var definition = new PipelineDefinition(Enumerable.Range(0, stepsPerRun).Select(i => new StepDefinition($"step{i}", [])).ToList());

    // One warm-up of each (JIT, the hub's queues and tables), then interleaved rounds; the median ratio is reported.
    await bench.BareChainsAsync(runs, stepsPerRun);
    await bench.RunsAsync(definition, runs, workers);
    var rounds = new List<(double Bare, double Runs)>();
    for (var round = 1; round <= roundCount; round++)
    {
        var bare = await bench.BareChainsAsync(runs, stepsPerRun);
        var orchestrated = await bench.RunsAsync(definition, runs, workers);
        var total = runs * stepsPerRun;
        rounds.Add((total / bare.TotalSeconds, total / orchestrated.Elapsed.TotalSeconds));
        Console.WriteLine($"round {round}: bare Durable chains {runs} x {stepsPerRun} no-op activities = {rounds[^1].Bare:0.0} activities/s ({bare.TotalSeconds:0.0} s); runs {runs} x {stepsPerRun} no-op steps = {rounds[^1].Runs:0.0} steps/s ({orchestrated.Elapsed.TotalSeconds:0.0} s; first steps claimed: half by {orchestrated.FirstClaimedMedian:0.0} s, all by {orchestrated.FirstClaimedLast:0.0} s; last steps: half by {orchestrated.LastStepClaimedMedian:0.0} s; every step once: checked); ratio {rounds[^1].Runs / rounds[^1].Bare:0.00}");
    }

    var account = await app.Services.GetRequiredService<DevMentor.Core.Storage.Account.StorageAccountProvider>().WhenReadyAsync(CancellationToken.None);
    var hub = app.Services.GetRequiredService<DevMentor.Functions.Composition.DurableSettings>().TaskHub;
    Console.WriteLine($"history of a bare chain: {await HistoryCounts.DescribeAsync(account.ConnectionString!, hub, bench.LastChain!)}");
    Console.WriteLine($"history of a run:        {await HistoryCounts.DescribeAsync(account.ConnectionString!, hub, bench.LastRun!)}");

    var median = rounds.OrderBy(r => r.Runs / r.Bare).ElementAt(rounds.Count / 2);
    var latency = await bench.LatencyAsync(definition, latencyRuns);
    Console.WriteLine($"latency over {latencyRuns} sequential runs, one idle worker long-polling: trigger -> first step claimed p50 {latency.FirstP50:0} ms p99 {latency.FirstP99:0} ms; step i completed -> step i+1 claimed ({latency.Handoffs} handoffs) p50 {latency.HandoffP50:0} ms p99 {latency.HandoffP99:0} ms");
    Console.WriteLine();
    Console.WriteLine(FormattableString.Invariant(
        $"RESULT (median of {rounds.Count} rounds) runs {median.Runs:0.0} steps/s | bare Durable chain {median.Bare:0.0} activities/s | ratio {median.Runs / median.Bare:0.00}x (target >= 0.5) | first step p50 {latency.FirstP50:0} ms (target <= 250) p99 {latency.FirstP99:0} ms | handoff p50 {latency.HandoffP50:0} ms (target <= 250) p99 {latency.HandoffP99:0} ms | load average {File.ReadAllText("/proc/loadavg").Split(' ')[0]} on {Environment.ProcessorCount} cores"));
}
finally
{
    await app.StopAsync();
    try
    {
        Directory.Delete(dataDirectory, recursive: true);
    }
    catch (Exception e) when (e is IOException or UnauthorizedAccessException)
    {
        // The embedded cluster's files belong to its own user; the temp dir is cleaned by the system.
    }
}

return 0;

int Arg(string name, int fallback)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
}
