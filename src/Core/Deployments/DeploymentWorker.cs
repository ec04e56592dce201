using DevMentor.Core.Builds;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace DevMentor.Core.Deployments;

/// <summary>
/// Works accepted deployments one at a time (pending → deploying → current or failed) and queues
/// automatic ones. On start it re-queues deployments a crash interrupted and re-launches each
/// environment's current local release (stopping a copy a killed instance left running first);
/// one that no longer passes its health check is marked stopped. On shutdown it stops the local
/// releases it runs, so they never outlive the service unsupervised.
/// </summary>
public sealed partial class DeploymentWorker(
    PostgresDeploymentStore store,
    DeployableRuns runs,
    LocalTarget local,
    WebhookTarget webhook,
    LocalReleases releases,
    AutoDeployer autoDeployer,
    DeploymentSignal signal,
    DeploymentCancellations cancellations,
    DeploymentOptions options,
    ILogger<DeploymentWorker> logger) : BackgroundService
{
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        releases.Dispose();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield();
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await store.RequeueInterruptedAsync(stoppingToken);
                await RelaunchCurrentReleasesAsync(stoppingToken);
                break;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // The database may not be up yet.
                LogLoopFailed(logger, e);
                await Task.Delay(TimeSpan.FromSeconds(2), stoppingToken);
            }
        }

        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await autoDeployer.CheckAsync(stoppingToken);
                if (await store.ClaimNextAsync(stoppingToken) is { } deployment)
                {
                    await WorkAsync(deployment, stoppingToken);
                    continue;
                }

                await signal.WaitAsync(options.PollInterval, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e)
            {
                LogLoopFailed(logger, e);
                await Task.Delay(TimeSpan.FromSeconds(2), stoppingToken);
            }
        }
    }

    public async Task WorkAsync(Deployment deployment, CancellationToken cancellationToken)
    {
        DeploymentResult result;
        Deployment? current = null;
        DeployEnvironment? environment = null;
        // Stopped by its deploy stage (a cancel or the deploy timeout, ADR 0044): at once when the stop is handled in
        // this instance, else when the watcher sees the row 'canceled'.
        using var work = cancellations.Track(deployment.Id, cancellationToken);
        using var done = CancellationTokenSource.CreateLinkedTokenSource(work.Token);
        var watcher = WatchAsync(deployment.Id, work, done.Token);
        try
        {
            var run = await runs.GetAsync(deployment.RunId, work.Token);
            environment = run?.Environments.FirstOrDefault(e => e.Name == deployment.Environment);
            if (run is null || environment is null)
            {
                result = DeploymentResult.Failed($"run {deployment.RunNumber} declares no environment '{deployment.Environment}'");
            }
            else
            {
                current = await store.CurrentAsync(deployment.ProjectId, deployment.Environment, work.Token);
                result = environment.Type == DeployType.Local
                    ? await local.DeployAsync(deployment, environment, run, current, work.Token)
                    : await webhook.DeployAsync(deployment, environment, run, work.Token);
            }
        }
        catch (OperationCanceledException) when (work.Canceled && !cancellationToken.IsCancellationRequested)
        {
            // The target stopped what it had started; the row is 'canceled' already, with its event.
            LogDeployed(logger, deployment.Id, deployment.Environment, deployment.RunNumber, "canceled", "stopped by its deploy stage");
            return;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Anything else would leave the row 'deploying' until the next restart; a shutdown instead leaves it to be re-queued.
            result = DeploymentResult.Failed($"the deployment failed: {e.Message}");
        }
        finally
        {
            await done.CancelAsync();
            await watcher;
        }

        var (recorded, previous) = await store.CompleteAsync(deployment, result, CancellationToken.None);
        if (!recorded)
        {
            // Stopped between its end and this record: what it started must not stay, and a release that stepped aside comes back.
            await UndoAsync(deployment, environment, current, result);
            LogDeployed(logger, deployment.Id, deployment.Environment, deployment.RunNumber, "canceled", "stopped by its deploy stage as it ended");
            return;
        }

        if (previous is { Target: "local" })
        {
            releases.Stop(previous.Id, previous.Pid, previous.ReleaseDirectory);
        }

        LogDeployed(logger, deployment.Id, deployment.Environment, deployment.RunNumber, result.Succeeded ? "current" : "failed", result.Error ?? "");
    }

    /// <summary>Polls the row while the deployment is worked: a stop handled by another instance shows as 'canceled'.</summary>
    private async Task WatchAsync(Guid deploymentId, DeploymentCancellations.Lease work, CancellationToken done)
    {
        try
        {
            while (!done.IsCancellationRequested)
            {
                await Task.Delay(options.PollInterval, done);
                if (await store.IsCanceledAsync(deploymentId, done))
                {
                    work.Cancel();
                    return;
                }
            }
        }
        catch (OperationCanceledException)
        {
            // The deployment ended (or the service stops).
        }
        catch (Exception e)
        {
            // The database is away: the next stop is still seen by the instance that handles it, or at the end (CompleteAsync).
            LogLoopFailed(logger, e);
        }
    }

    private async Task UndoAsync(Deployment deployment, DeployEnvironment? environment, Deployment? current, DeploymentResult result)
    {
        if (environment?.Type != DeployType.Local || !result.Succeeded)
        {
            return;
        }

        releases.Stop(deployment.Id);
        if (environment.Port is { } port && current is { ReleaseDirectory: { } directory, Port: { } previousPort } && previousPort == port)
        {
            await local.LaunchAsync(current.Id, directory, port, environment, CancellationToken.None);
        }
    }

    private async Task RelaunchCurrentReleasesAsync(CancellationToken cancellationToken)
    {
        foreach (var release in await store.CurrentLocalReleasesAsync(cancellationToken))
        {
            releases.Stop(release.Id, release.Pid, release.ReleaseDirectory);
            var environment = (await runs.GetAsync(release.RunId, cancellationToken))?.Environments.FirstOrDefault(e => e.Name == release.Environment);
            if (environment is null || release.ReleaseDirectory is null || release.Port is null || !Directory.Exists(release.ReleaseDirectory))
            {
                await store.UpdateCurrentAsync(release.Id, null, "after a restart the release could not be found on disk", cancellationToken);
                continue;
            }

            var result = await local.LaunchAsync(release.Id, release.ReleaseDirectory, release.Port.Value, environment, cancellationToken);
            await store.UpdateCurrentAsync(release.Id, result.Succeeded ? result.Pid : null, result.Succeeded ? null : "after a restart: " + result.Error, cancellationToken);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Deployment {DeploymentId} of run {RunNumber} to {Environment}: {Status} {Error}")]
    private static partial void LogDeployed(ILogger logger, Guid deploymentId, string environment, int runNumber, string status, string error);

    [LoggerMessage(Level = LogLevel.Error, Message = "The deployment worker failed; retrying in 2 s")]
    private static partial void LogLoopFailed(ILogger logger, Exception exception);
}
