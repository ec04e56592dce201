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
    PipelineEngine engine, RunnerOptions options, ILoggerFactory loggers, Builds.Results.BuildResults results, IEnumerable<IBuiltInStep> builtIns) : BackgroundService
{
    private readonly ILogger _logger = loggers.CreateLogger<EmbeddedRunner>();

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield();
        var executor = new StepExecutor(options, ProcessLauncher.Shared, loggers.CreateLogger<StepExecutor>(), builtIns);
        LogStarting(_logger, options.Workers, string.Join(",", options.Labels), options.WorkDirectory);
        var workers = Enumerable.Range(0, options.Workers).Select(i =>
        {
            var source = new EngineJobSource(engine, $"embedded:{TimerExecutor.InstanceId}/{i}", options.Labels, results);
            return new StepWorker(source, executor, options.ClaimWait, loggers.CreateLogger<StepWorker>()).RunAsync(stoppingToken);
        });
        await Task.WhenAll(workers.Append(executor.CleanWorkspacesAsync(stoppingToken)));
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Embedded runner: {Workers} workers, labels {Labels}, workspaces in {WorkDirectory}")]
    private static partial void LogStarting(ILogger logger, int workers, string labels, string workDirectory);
}
