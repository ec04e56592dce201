using System.Diagnostics.Metrics;
using DevMentor.Core.Scheduling;
using Microsoft.Extensions.Logging;

namespace DevMentor.Core.Pipelines;

/// <summary>
/// Every 15 s: steps whose runner vanished (lease expired) are recorded as infrastructure failures,
/// which the run's orchestration retries or gives up on; waiting runs are promoted when slots are
/// free. What it fixed is logged and counted. (Timeouts are the orchestration's durable timers.)
/// </summary>
public sealed partial class PipelineSweeper(PipelineEngine engine, ILogger<PipelineSweeper> logger) : ITimerJob
{
    private static readonly Meter Meter = new(PipelineEngine.MeterName);
    private static readonly Counter<long> Fixed = Meter.CreateCounter<long>("devmentor.pipeline.sweeper.fixed");

    public async Task RunAsync(TimerInvocation invocation, CancellationToken cancellationToken)
    {
        var report = await engine.SweepAsync(cancellationToken);
        Count("runner_lost", report.LostRunners);
        Count("run_promoted", report.RunsPromoted);
        if (report.Total > 0)
        {
            LogFixed(logger, report.LostRunners, report.RunsPromoted);
        }
    }

    private static void Count(string what, int count)
    {
        if (count > 0)
        {
            Fixed.Add(count, new KeyValuePair<string, object?>("fix", what));
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Pipeline sweeper: {Lost} expired leases recorded as lost runners, {Promoted} waiting runs started")]
    private static partial void LogFixed(ILogger logger, int lost, int promoted);
}
