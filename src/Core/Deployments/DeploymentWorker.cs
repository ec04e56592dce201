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
        try
        {
            var run = await runs.GetAsync(deployment.RunId, cancellationToken);
            var environment = run?.Environments.FirstOrDefault(e => e.Name == deployment.Environment);
            if (run is null || environment is null)
            {
                result = DeploymentResult.Failed($"run {deployment.RunNumber} declares no environment '{deployment.Environment}'");
            }
            else
            {
                current = await store.CurrentAsync(deployment.ProjectId, deployment.Environment, cancellationToken);
                result = environment.Type == DeployType.Local
                    ? await local.DeployAsync(deployment, environment, run, current, cancellationToken)
                    : await webhook.DeployAsync(deployment, environment, run, cancellationToken);
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Anything else would leave the row 'deploying' until the next restart; a shutdown instead leaves it to be re-queued.
            result = DeploymentResult.Failed($"the deployment failed: {e.Message}");
        }

        var previous = await store.CompleteAsync(deployment, result, CancellationToken.None);
        if (previous is { Target: "local" })
        {
            releases.Stop(previous.Id, previous.Pid, previous.ReleaseDirectory);
        }

        LogDeployed(logger, deployment.Id, deployment.Environment, deployment.RunNumber, result.Succeeded ? "current" : "failed", result.Error ?? "");
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
