using DevMentor.Core.Scheduling;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace DevMentor.Core.Pipelines.Execution;

/// <summary>
/// The runner inside the service (standalone mode): a number of workers claiming steps straight
/// from the engine. On shutdown, running steps are killed and reported as infrastructure
/// failures so they are retried at once elsewhere instead of waiting for their lease to expire.
/// </summary>
public sealed partial class EmbeddedRunner(
    PipelineEngine engine, RunnerOptions options, ILoggerFactory loggers, Results.BuildResults results, IEnumerable<IBuiltInStep> builtIns) : BackgroundService
{
    private readonly ILogger _logger = loggers.CreateLogger<EmbeddedRunner>();

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield();
        var executor = new StepExecutor(options, ProcessLauncher.Shared, loggers.CreateLogger<StepExecutor>(), builtIns);
        LogStarting(_logger, options.Workers, string.Join(",", options.Labels), options.WorkDirectory);
        var stable = options.StableIdentity is { } identity ? $"embedded:{identity}:" : "embedded:";
        var owner = $"{stable}{TimerExecutor.InstanceId}/";
        if (options.StableIdentity is not null && options.Workers > 0)
        {
            await RecoverAsync(stable, owner, stoppingToken);
        }

        var workers = Enumerable.Range(0, options.Workers).Select(i =>
        {
            var source = new EngineJobSource(engine, $"{owner}{i}", options.Labels, results);
            return new StepWorker(source, executor, options.ClaimWait, loggers.CreateLogger<StepWorker>()).RunAsync(stoppingToken);
        });
        await Task.WhenAll(workers.Append(executor.CleanWorkspacesAsync(stoppingToken)));
    }

    /// <summary>Steps this service's killed predecessor held: their processes died with it, so they are lost now, not at lease expiry.</summary>
    private async Task RecoverAsync(string stable, string owner, CancellationToken cancellationToken)
    {
        try
        {
            var recovered = await engine.RecoverLostClaimsAsync(stable, owner, cancellationToken);
            if (recovered > 0)
            {
                LogRecovered(_logger, recovered);
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // The sweeper finds them when their leases lapse.
            LogRecoveryFailed(_logger, e.GetType().Name, e.Message);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Embedded runner: {Count} step(s) the previous run of this service held were recorded as lost (it stopped without finishing them)")]
    private static partial void LogRecovered(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Embedded runner: could not recover the previous run's steps ({ErrorType}: {Error}); their leases will lapse")]
    private static partial void LogRecoveryFailed(ILogger logger, string errorType, string error);

    [LoggerMessage(Level = LogLevel.Information, Message = "Embedded runner: {Workers} workers, labels {Labels}, workspaces in {WorkDirectory}")]
    private static partial void LogStarting(ILogger logger, int workers, string labels, string workDirectory);
}
