using System.Diagnostics;
using System.Diagnostics.Metrics;
using DevMentor.Core.Diagnostics;
using Microsoft.Extensions.Logging;

namespace DevMentor.Core.Pipelines;

/// <summary>
/// Traces and metrics of runs and steps, in one place, fed only by what a run stores, so whatever
/// drives runs (today <see cref="PipelineEngine"/>, tomorrow Durable Task orchestrations) needs two calls:
/// <list type="number">
/// <item><see cref="RunStartedAsync"/> after a run was created: the current span (webhook processing,
/// the API request) goes into pipeline_runs.traceparent;</item>
/// <item><see cref="ReportEndedRunsAsync"/> whenever a run may have ended (a step completed, a
/// cancel, a sweep): each ended run is claimed once (traced_at) and becomes a "pipeline.run" span,
/// child of the stored traceparent, with one "pipeline.step" span per step that started, child of
/// the run span, all with the start and end times the database recorded; the run and step counters
/// and duration histograms are recorded at the same moment.</item>
/// </list>
/// Spans are written when the run has ended because a run outlives any one process holding an open
/// span: its steps run on runners, end on whichever instance hears of them, and survive restarts. The
/// cost: work done inside a step (the embedded runner's HTTP and SQL) is not nested under the step span.
/// </summary>
public sealed partial class PipelineTelemetry
{
    public const string Name = "DevMentor.Pipelines";
    public static readonly ActivitySource Source = new(Name);

    private static readonly TimeSpan DepthCacheFor = TimeSpan.FromSeconds(5);
    private static readonly double[] DurationBuckets = [0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 10800];

    private readonly PipelineTelemetryStore _store;
    private readonly ILogger<PipelineTelemetry> _logger;
    private readonly Counter<long> _runs;
    private readonly Histogram<double> _runDuration;
    private readonly Counter<long> _steps;
    private readonly Histogram<double> _stepDuration;
    private readonly Lock _depthLock = new();
    private (long Steps, long Runs)? _depth;
    private long _depthReadAt;

    public PipelineTelemetry(PipelineTelemetryStore store, IMeterFactory meters, ILogger<PipelineTelemetry> logger)
    {
        _store = store;
        _logger = logger;
        var meter = meters.Create(Name);
        var advice = new InstrumentAdvice<double> { HistogramBucketBoundaries = DurationBuckets };
        _runs = meter.CreateCounter<long>("devmentor.pipeline.runs.ended", "{run}", "Runs that ended, by outcome (succeeded, failed, canceled, timed_out).");
        _runDuration = meter.CreateHistogram("devmentor.pipeline.run.duration", "s", "From a run's start (or creation, if it never started) to its end, by outcome.", advice: advice);
        _steps = meter.CreateCounter<long>("devmentor.pipeline.steps.ended", "{step}", "Steps of ended runs that started, by step name and outcome.");
        _stepDuration = meter.CreateHistogram("devmentor.pipeline.step.duration", "s", "From a step's first start to its end, by step name and outcome.", advice: advice);
        meter.CreateObservableGauge("devmentor.pipeline.queue.depth", QueueDepth, "{item}", "Steps waiting for a runner (kind=steps) and runs waiting for a slot (kind=runs).");
    }

    public async Task RunStartedAsync(StartedRun run, CancellationToken cancellationToken)
    {
        if (run.Replayed || TraceContext.Current() is not { } traceparent)
        {
            return;
        }

        try
        {
            await _store.SetTraceParentAsync(run.RunId, traceparent, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Telemetry never fails a run: the run's spans then start a trace of their own.
            LogFailed(_logger, e, "store the trace context of run " + run.RunId);
        }
    }

    /// <summary>Reports every ended run not reported yet; safe to call from any instance at any time.</summary>
    public async Task ReportEndedRunsAsync(CancellationToken cancellationToken)
    {
        try
        {
            IReadOnlyList<PipelineTelemetryStore.EndedRun> ended;
            do
            {
                ended = await _store.ClaimEndedAsync(50, cancellationToken);
                foreach (var run in ended)
                {
                    Report(run);
                }
            }
            while (ended.Count == 50);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LogFailed(_logger, e, "report ended runs");
        }
    }

    private void Report(PipelineTelemetryStore.EndedRun run)
    {
        var outcome = new KeyValuePair<string, object?>("outcome", run.Status);
        var start = run.StartedAt ?? run.CreatedAt;
        _runs.Add(1, outcome);
        _runDuration.Record(Seconds(start, run.FinishedAt), outcome);

        using var span = TraceContext.Start(Source, "pipeline.run", ActivityKind.Internal, run.TraceParent, start);
        span.Activity?.SetTag("devmentor.project.id", run.ProjectId.ToString())
            .SetTag("devmentor.run.id", run.RunId.ToString())
            .SetTag("devmentor.run.number", run.Number)
            .SetTag("devmentor.run.trigger", run.Trigger)
            .SetTag("devmentor.run.status", run.Status);
        var runContext = span.Activity?.Id;
        foreach (var step in run.Steps)
        {
            if (step.StartedAt is not { } stepStart)
            {
                continue; // skipped or canceled before it ran: nothing happened to time
            }

            var stepEnd = step.FinishedAt ?? run.FinishedAt;
            KeyValuePair<string, object?>[] tags = [new("step", step.Name), new("outcome", step.Status)];
            _steps.Add(1, tags);
            _stepDuration.Record(Seconds(stepStart, stepEnd), tags);
            using var stepSpan = TraceContext.Start(Source, "pipeline.step", ActivityKind.Internal, runContext, stepStart);
            stepSpan.Activity?.SetTag("devmentor.run.id", run.RunId.ToString())
                .SetTag("devmentor.step.name", step.Name)
                .SetTag("devmentor.step.position", step.Position)
                .SetTag("devmentor.step.status", step.Status)
                .SetTag("devmentor.step.attempt", step.Attempt)
                .SetTag("devmentor.step.exit_code", step.ExitCode);
            End(stepSpan.Activity, stepStart, stepEnd, step.Status);
        }

        End(span.Activity, start, run.FinishedAt, run.Status);
    }

    private static void End(System.Diagnostics.Activity? activity, DateTimeOffset start, DateTimeOffset end, string status)
    {
        if (activity is null)
        {
            return;
        }

        if (status is "failed" or "timed_out")
        {
            activity.SetStatus(ActivityStatusCode.Error, status);
        }

        // A zero duration would make Stop() measure from now instead.
        activity.SetEndTime((end > start ? end : start.AddTicks(1)).UtcDateTime);
    }

    private static double Seconds(DateTimeOffset start, DateTimeOffset end) => Math.Max(0, (end - start).TotalSeconds);

    private IEnumerable<Measurement<long>> QueueDepth()
    {
        (long Steps, long Runs)? depth;
        lock (_depthLock)
        {
            if (_depth is null || Stopwatch.GetElapsedTime(_depthReadAt) > DepthCacheFor)
            {
                try
                {
                    _depth = _store.QueueDepth();
                }
                catch (Exception e) when (e is Npgsql.NpgsqlException or InvalidOperationException or TimeoutException)
                {
                    _depth = null; // the database is away (or not open yet): no figure rather than a stale one
                }

                _depthReadAt = Stopwatch.GetTimestamp();
            }

            depth = _depth;
        }

        return depth is { } d
            ? [new(d.Steps, new KeyValuePair<string, object?>("kind", "steps")), new(d.Runs, new KeyValuePair<string, object?>("kind", "runs"))]
            : [];
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Pipeline telemetry could not {What}")]
    private static partial void LogFailed(ILogger logger, Exception exception, string what);
}
