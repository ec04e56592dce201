using System.Collections.Concurrent;
using System.Diagnostics;
using DevMentor.Core.Durable;
using DevMentor.Core.Pipelines;
using DevMentor.Core.Pipelines.Orchestration;
using Microsoft.DurableTask.Client;
using Npgsql;

namespace DevMentor.Bench.Pipeline;

/// <summary>
/// What the benchmark measures, on one service: bare Durable chains (the baseline), runs of no-op steps through the run
/// orchestration with worker loops that do what the embedded runner does (long-poll claim, then complete each step
/// claiming the next in the same call), and the latency of a run's first step and of each handoff.
/// </summary>
internal sealed class OrchestratedBench(PipelineEngine engine, NpgsqlDataSource data, DurableTaskClient client)
{
    private static readonly IReadOnlyList<string> Linux = ["linux"];
    private static readonly TimeSpan PollEvery = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(5);

    /// <summary>An instance of the last round of each kind, for <see cref="HistoryCounts"/>.</summary>
    public string? LastChain { get; private set; }

    public string? LastRun { get; private set; }

    /// <summary>Baseline: <paramref name="chains"/> NoOpChain instances of <paramref name="length"/> activities at once, until all completed.</summary>
    public async Task<TimeSpan> BareChainsAsync(int chains, int length)
    {
        var clock = Stopwatch.StartNew();
        var ids = await Task.WhenAll(Enumerable.Range(0, chains).Select(_ => client.ScheduleNewOrchestrationInstanceAsync(nameof(NoOpChain), length)));
        await WaitCompletedAsync(ids, output => output == length.ToString(System.Globalization.CultureInfo.InvariantCulture));
        LastChain = ids[^1];
        return clock.Elapsed;
    }

    /// <summary>
    /// <paramref name="count"/> runs started at once, drained by <paramref name="workers"/> loops; timed until every
    /// run's orchestration completed (the same poll as the baseline's), then checked: every step claimed once,
    /// attempt 1, one step.started event, every run succeeded.
    /// </summary>
    public async Task<RoundFigures> RunsAsync(PipelineDefinition definition, int count, int workers)
    {
        var claims = new ConcurrentDictionary<(Guid Run, int Position), int>();
        var marks = new Marks();
        using var stop = new CancellationTokenSource();
        var loops = Enumerable.Range(0, workers).Select(w => Task.Run(() => WorkerAsync($"bench-{w}", claims, marks, stop.Token))).ToList();

        var clock = Stopwatch.StartNew();
        var at = Stopwatch.GetTimestamp();
        var started = await Task.WhenAll(Enumerable.Range(0, count).Select(_ => engine.StartAsync(new StartRunRequest(Guid.NewGuid(), "manual", "main", "abc123", definition), CancellationToken.None)));
        await WaitCompletedAsync(started.Select(r => RunInput.InstanceIdFor(r.RunId)).ToList(), _ => true);
        var elapsed = clock.Elapsed;
        LastRun = RunInput.InstanceIdFor(started[^1].RunId);
        await stop.CancelAsync();
        await Task.WhenAll(loops);

        var twice = claims.Where(c => c.Value != 1).Select(c => $"{c.Key.Run}/{c.Key.Position} x{c.Value}").ToList();
        if (claims.Count != count * definition.Steps.Count || twice.Count > 0)
        {
            throw new InvalidOperationException($"{claims.Count} distinct steps claimed of {count * definition.Steps.Count}; claimed more than once: {string.Join(", ", twice)}");
        }

        await CheckExactlyOnceAsync(started.Select(r => r.RunId).ToArray(), definition.Steps.Count);

        // Where the round's time went: when the runs' first steps became claimable (the starts go through the outbox
        // dispatcher) and when their last steps did.
        List<double> Claimed(int position) => marks.Claimed.Where(m => m.Key.Position == position).Select(m => Stopwatch.GetElapsedTime(at, m.Value).TotalSeconds).ToList();
        var first = Claimed(0);
        var last = Claimed(definition.Steps.Count - 1);
        return new RoundFigures(elapsed, Percentile(first, 0.5), first.Max(), Percentile(last, 0.5));
    }

    /// <summary>
    /// Runs triggered one after another (each after the previous one completed, at a random 0–200 ms offset) with one
    /// idle worker long-polling: trigger → its first step claimed, and step i's completion call → step i+1 claimed.
    /// </summary>
    public async Task<LatencyFigures> LatencyAsync(PipelineDefinition definition, int count)
    {
        var marks = new Marks();
        using var stop = new CancellationTokenSource();
        var loop = Task.Run(() => WorkerAsync("bench-latency", new ConcurrentDictionary<(Guid, int), int>(), marks, stop.Token));
        var triggers = new Dictionary<Guid, long>();
        for (var i = 0; i < count; i++)
        {
            await Task.Delay(Random.Shared.Next(0, 200));
            var at = Stopwatch.GetTimestamp();
            var run = await engine.StartAsync(new StartRunRequest(Guid.NewGuid(), "manual", "main", "abc123", definition), CancellationToken.None);
            triggers[run.RunId] = at;
            await WaitCompletedAsync([RunInput.InstanceIdFor(run.RunId)], _ => true, TimeSpan.FromMilliseconds(20));
        }

        await stop.CancelAsync();
        await loop;
        await CheckExactlyOnceAsync(triggers.Keys.ToArray(), definition.Steps.Count);

        var first = triggers.Select(t => Stopwatch.GetElapsedTime(t.Value, marks.Claimed[(t.Key, 0)]).TotalMilliseconds).ToList();
        var handoffs = triggers.Keys.SelectMany(run => Enumerable.Range(0, definition.Steps.Count - 1)
            .Select(p => Stopwatch.GetElapsedTime(marks.Completing[(run, p)], marks.Claimed[(run, p + 1)]).TotalMilliseconds)).ToList();
        return new LatencyFigures(Percentile(first, 0.5), Percentile(first, 0.99), Percentile(handoffs, 0.5), Percentile(handoffs, 0.99), handoffs.Count);
    }

    private async Task WorkerAsync(string owner, ConcurrentDictionary<(Guid Run, int Position), int> claims, Marks? marks, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            ClaimedStep? step;
            try
            {
                step = await engine.ClaimAsync(owner, Linux, TimeSpan.FromSeconds(25), stop);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            while (step is not null)
            {
                var key = (step.RunId, step.Position);
                marks?.Claimed.TryAdd(key, Stopwatch.GetTimestamp());
                claims.AddOrUpdate(key, 1, (_, n) => n + 1);
                marks?.Completing.TryAdd(key, Stopwatch.GetTimestamp());
                // Not cancelled by stop: a claimed step is always completed, or its run would wait for a lost runner.
                var done = await engine.CompleteAsync(step.StepId, step.Attempt, owner, StepResult.Success(), new ClaimRequest(owner, Linux), CancellationToken.None);
                step = done?.Next;
            }
        }
    }

    private async Task WaitCompletedAsync(IReadOnlyList<string> instanceIds, Func<string?, bool> outputOk, TimeSpan? pollEvery = null)
    {
        var pending = instanceIds.ToList();
        var deadline = DateTime.UtcNow + Limit;
        while (pending.Count > 0)
        {
            var states = await Task.WhenAll(pending.Select(id => client.GetInstanceAsync(id, getInputsAndOutputs: true)));
            foreach (var state in states)
            {
                if (state is { RuntimeStatus: OrchestrationRuntimeStatus.Failed or OrchestrationRuntimeStatus.Terminated })
                {
                    throw new InvalidOperationException($"{state.InstanceId} ended {state.RuntimeStatus}: {state.FailureDetails?.ErrorMessage}");
                }

                if (state is { RuntimeStatus: OrchestrationRuntimeStatus.Completed })
                {
                    if (!outputOk(state.SerializedOutput))
                    {
                        throw new InvalidOperationException($"{state.InstanceId} completed with output {state.SerializedOutput}");
                    }

                    pending.Remove(state.InstanceId);
                }
            }

            if (pending.Count > 0)
            {
                if (DateTime.UtcNow > deadline)
                {
                    throw new TimeoutException($"{pending.Count} instances did not complete within {Limit}, e.g. {pending[0]}");
                }

                await Task.Delay(pollEvery ?? PollEvery);
            }
        }
    }

    private async Task CheckExactlyOnceAsync(Guid[] runIds, int stepsPerRun)
    {
        await using var command = data.CreateCommand("""
            SELECT (SELECT count(*) FROM pipeline_runs WHERE id = ANY($1) AND status = 'succeeded'),
                   (SELECT count(*) FROM pipeline_steps WHERE run_id = ANY($1) AND status = 'succeeded' AND attempt = 1),
                   (SELECT count(*) FROM pipeline_steps WHERE run_id = ANY($1)),
                   (SELECT count(*) FROM pipeline_run_events WHERE run_id = ANY($1) AND type = 'step.started'),
                   (SELECT count(DISTINCT (run_id, step)) FROM pipeline_run_events WHERE run_id = ANY($1) AND type = 'step.started')
            """);
        command.Parameters.AddWithValue(runIds);
        await using var reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();
        var (succeeded, onceSteps, steps, startedEvents, distinctStarted) = (reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3), reader.GetInt64(4));
        long expected = runIds.Length * stepsPerRun;
        if (succeeded != runIds.Length || onceSteps != expected || steps != expected || startedEvents != expected || distinctStarted != expected)
        {
            throw new InvalidOperationException($"exactly-once check failed: runs succeeded {succeeded}/{runIds.Length}, steps succeeded at attempt 1 {onceSteps}/{expected} (of {steps}), step.started events {startedEvents} over {distinctStarted} distinct steps (expected {expected})");
        }
    }

    private static double Percentile(List<double> values, double p)
    {
        values.Sort();
        return values[(int)Math.Min(values.Count - 1, Math.Ceiling(p * values.Count) - 1)];
    }

    private sealed class Marks
    {
        public ConcurrentDictionary<(Guid Run, int Position), long> Claimed { get; } = new();
        public ConcurrentDictionary<(Guid Run, int Position), long> Completing { get; } = new();
    }
}

/// <param name="FirstClaimedMedian">Seconds from the round's start until half the runs had their first step claimed.</param>
internal sealed record RoundFigures(TimeSpan Elapsed, double FirstClaimedMedian, double FirstClaimedLast, double LastStepClaimedMedian);

internal sealed record LatencyFigures(double FirstP50, double FirstP99, double HandoffP50, double HandoffP99, int Handoffs);
