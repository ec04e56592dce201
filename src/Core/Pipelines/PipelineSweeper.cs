using System.Diagnostics.Metrics;
using DevMentor.Core.Scheduling;
using Microsoft.Extensions.Logging;

namespace DevMentor.Core.Pipelines;

/// <summary>
/// Every 15 s: steps whose runner vanished (lease expired) go back to the queue or fail when
/// their attempts are used up; steps past their timeout and runs that stopped moving time out;
/// waiting runs are promoted when slots are free. What it fixed is logged and counted.
/// </summary>
public sealed partial class PipelineSweeper(PipelineEngine engine, ILogger<PipelineSweeper> logger) : ITimerJob
{
    private static readonly Meter Meter = new(PipelineEngine.MeterName);
    private static readonly Counter<long> Fixed = Meter.CreateCounter<long>("devmentor.pipeline.sweeper.fixed");

    public async Task RunAsync(TimerInvocation invocation, CancellationToken cancellationToken)
    {
        var report = await engine.SweepAsync(cancellationToken);
        Count("requeued", report.Requeued);
        Count("failed_after_retries", report.FailedAfterRetries);
        Count("step_timed_out", report.StepsTimedOut);
        Count("run_timed_out", report.RunsTimedOut);
        Count("run_promoted", report.RunsPromoted);
        if (report.Total > 0)
        {
            LogFixed(logger, report.Requeued, report.FailedAfterRetries, report.StepsTimedOut, report.RunsTimedOut, report.RunsPromoted);
        }
    }

    private static void Count(string what, int count)
    {
        if (count > 0)
        {
            Fixed.Add(count, new KeyValuePair<string, object?>("fix", what));
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Pipeline sweeper: {Requeued} expired leases re-queued, {Failed} steps failed after their last attempt, {StepsTimedOut} steps and {RunsTimedOut} stalled runs timed out, {Promoted} waiting runs started")]
    private static partial void LogFixed(ILogger logger, int requeued, int failed, int stepsTimedOut, int runsTimedOut, int promoted);
}
