using DevMentor.Core.Pipelines.Execution;
using DevMentor.Core.Pipelines.Runners;

namespace DevMentor.Runner;

/// <summary>Registers with the service (unless given a token) and runs its workers until SIGTERM.</summary>
public sealed partial class RemoteRunner(RemoteRunnerSettings settings, ILoggerFactory loggers, IHostApplicationLifetime lifetime, IEnumerable<IBuiltInStep> builtIns) : BackgroundService
{
    private readonly ILogger _logger = loggers.CreateLogger<RemoteRunner>();

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield();
        // Longer than the 30 s long poll, so a waiting claim is never cut off by the client.
        using var http = new HttpClient { BaseAddress = settings.Server, Timeout = TimeSpan.FromSeconds(60) };
        var token = settings.Token;
        while (token is null)
        {
            try
            {
                var registered = await RunnerApiClient.RegisterAsync(http, settings.RegistrationToken!, settings.Name, settings.Options.Labels, stoppingToken);
                token = registered.Token;
                LogRegistered(_logger, registered.RunnerId, registered.Name, string.Join(",", registered.Labels));
            }
            catch (HttpRequestException e) when (e.StatusCode is System.Net.HttpStatusCode.Unauthorized or System.Net.HttpStatusCode.Forbidden)
            {
                LogRegistrationRefused(_logger, e.Message);
                Environment.ExitCode = 3;
                lifetime.StopApplication();
                return;
            }
            catch (HttpRequestException e)
            {
                LogServerUnreachable(_logger, e.Message);
                await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken);
            }
        }

        IJobSource source = new RunnerApiClient(http, token);
        var idleExit = settings.ExitWhenIdle is { } idle ? new IdleExit(source, idle, TimeProvider.System) : null;
        source = idleExit ?? source;
        var executor = new StepExecutor(settings.Options, ProcessLauncher.Shared, loggers.CreateLogger<StepExecutor>(), builtIns);
        var wait = TimeSpan.FromSeconds(RunnerFunctionsLimits.MaxWaitSeconds - 5);
        LogRunning(_logger, settings.Options.Workers, settings.Server, settings.Options.WorkDirectory);
        using var idleStop = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        var work = Task.WhenAll(Enumerable.Range(0, settings.Options.Workers)
            .Select(_ => new StepWorker(source, executor, wait, loggers.CreateLogger<StepWorker>()).RunAsync(idleStop.Token))
            .Append(executor.CleanWorkspacesAsync(idleStop.Token)));
        if (idleExit is not null)
        {
            await idleExit.WaitUntilIdleAsync(stoppingToken);
            if (!stoppingToken.IsCancellationRequested)
            {
                // Idle: nothing runs, so stopping the workers (their long polls) loses nothing.
                LogIdleExit(_logger, settings.ExitWhenIdle!.Value.TotalSeconds);
                await idleStop.CancelAsync();
                await work;
                lifetime.StopApplication();
                return;
            }
        }

        await work;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Registered as runner {RunnerId} ({Name}, labels {Labels})")]
    private static partial void LogRegistered(ILogger logger, Guid runnerId, string name, string labels);

    [LoggerMessage(Level = LogLevel.Error, Message = "Registration refused: {Reason}")]
    private static partial void LogRegistrationRefused(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Service unreachable ({Reason}); trying again")]
    private static partial void LogServerUnreachable(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "No step for {IdleSeconds} s (Runner:ExitWhenIdleSeconds): exiting")]
    private static partial void LogIdleExit(ILogger logger, double idleSeconds);

    [LoggerMessage(Level = LogLevel.Information, Message = "Runner started: {Workers} workers against {Server}, workspaces in {WorkDirectory}")]
    private static partial void LogRunning(ILogger logger, int workers, Uri server, string workDirectory);
}

internal static class RunnerFunctionsLimits
{
    /// <summary>The service caps a long poll at 30 s.</summary>
    public const int MaxWaitSeconds = 30;
}
