using DevMentor.Core.Durable;
using DevMentor.Core.Storage.Account;
using DevMentor.Functions.Composition;
using DurableTask.AzureStorage;
using Microsoft.DurableTask.Client;

namespace DevMentor.Functions.Durable;

/// <summary>
/// The standalone host's Durable Task backend: DurableTask.AzureStorage on AzureWebJobsStorage (the embedded Azurite
/// by default), created once the account is known, served to the SDK's worker and client by <see cref="DurableSidecar"/>.
/// Registered after the storage start-up and before the worker, so it starts after storage and stops before it.
/// Storage that refuses or is down at start does not stop the service (the blob store's rule too): the first attempt
/// is made during the start, further ones in the background with backoff, and callers of
/// <see cref="DurableClientSource"/> wait for the hub. Failures are logged by type and status only: storage exception
/// messages carry request URIs, which may carry a SAS.
/// </summary>
public sealed partial class DurableBackend(
    DurableSettings settings,
    DurableSidecar sidecar,
    StorageAccountProvider storage,
    DurableClientSource clients,
    IServiceProvider services,
    ILoggerFactory loggerFactory,
    ILogger<DurableBackend> logger) : IHostedService, IDisposable
{
    private readonly CancellationTokenSource _stopping = new();
    private Task _retries = Task.CompletedTask;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var account = await storage.WhenReadyAsync(cancellationToken);
        if (account.ConnectionString is { } connectionString && !NamesQueuesAndTables(connectionString))
        {
            LogUnusable(logger, settings.TaskHub);
            return;
        }

        if (!await TryStartAsync(account, attempt: 1, cancellationToken))
        {
            _retries = RetryAsync(account, _stopping.Token);
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync();
        await _retries.WaitAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        await sidecar.StopAsync(cancellationToken);
    }

    public void Dispose() => _stopping.Dispose();

    private async Task RetryAsync(StorageAccount account, CancellationToken cancellationToken)
    {
        var delay = TimeSpan.FromSeconds(1);
        for (var attempt = 2; !cancellationToken.IsCancellationRequested; attempt++)
        {
            try
            {
                await Task.Delay(delay, cancellationToken);
                if (await TryStartAsync(account, attempt, cancellationToken))
                {
                    return;
                }
            }
            catch (OperationCanceledException)
            {
                return;
            }

            delay = TimeSpan.FromSeconds(Math.Min(30, delay.TotalSeconds * 2));
        }
    }

    private async Task<bool> TryStartAsync(StorageAccount account, int attempt, CancellationToken cancellationToken)
    {
        try
        {
            // The sidecar's dispatchers start and stop the service (when the worker connects and when the sidecar stops).
            var service = new AzureStorageOrchestrationService(Settings(account));
            await service.CreateIfNotExistsAsync().WaitAsync(cancellationToken);
            await sidecar.StartAsync(service, service, loggerFactory, cancellationToken);
            clients.Offer(services.GetRequiredService<DurableTaskClient>());
            LogStarted(logger, settings.TaskHub, settings.PartitionCount);
            return true;
        }
        catch (Exception e) when (e is not OperationCanceledException and not OutOfMemoryException)
        {
            LogStartFailed(logger, settings.TaskHub, attempt, e.GetType().Name, (e as Azure.RequestFailedException)?.Status ?? 0);
            return false;
        }
    }

    /// <summary>A connection string for blobs alone (BlobEndpoint=…;SharedAccessSignature=…) cannot hold a task hub.</summary>
    private static bool NamesQueuesAndTables(string connectionString)
    {
        var text = connectionString.ToLowerInvariant();
        return text.Contains("usedevelopmentstorage=true", StringComparison.Ordinal) || text.Contains("accountname=", StringComparison.Ordinal) ||
            (text.Contains("queueendpoint=", StringComparison.Ordinal) && text.Contains("tableendpoint=", StringComparison.Ordinal));
    }

    private AzureStorageOrchestrationServiceSettings Settings(StorageAccount account) => new()
    {
        TaskHubName = settings.TaskHub,
        StorageAccountClientProvider = account.ConnectionString is { } connectionString
            ? new StorageAccountClientProvider(connectionString)
            : new StorageAccountClientProvider(account.BlobServiceUri, account.QueueServiceUri!, account.TableServiceUri!, account.Credential!),
        PartitionCount = settings.PartitionCount,
        WorkerId = settings.WorkerId,
        MaxQueuePollingInterval = settings.MaxPollingInterval,
        ControlQueueVisibilityTimeout = settings.VisibilityTimeout,
        WorkItemQueueVisibilityTimeout = settings.VisibilityTimeout,
        MaxConcurrentTaskActivityWorkItems = settings.MaxConcurrentActivities,
        LeaseInterval = settings.LeaseInterval,
        LeaseRenewInterval = settings.LeaseInterval / 3,
        LeaseAcquireInterval = settings.LeaseInterval / 3,
        // The app lease serialises different app versions on one hub (a Functions slot swap); here it only delays a restart.
        UseAppLease = false,
        LoggerFactory = loggerFactory,
    };

    [LoggerMessage(Level = LogLevel.Information, Message = "Durable Task backend: hub {TaskHub} on AzureWebJobsStorage ({Partitions} partition(s)), in-process gRPC sidecar")]
    private static partial void LogStarted(ILogger logger, string taskHub, int partitions);

    [LoggerMessage(Level = LogLevel.Error, Message = "Durable Task backend: hub {TaskHub} could not be created or opened (attempt {Attempt}: {Error}, status {Status}); retrying, orchestrations wait")]
    private static partial void LogStartFailed(ILogger logger, string taskHub, int attempt, string error, int status);

    [LoggerMessage(Level = LogLevel.Error, Message = "Durable Task backend: AzureWebJobsStorage names no queue and table endpoints, so hub {TaskHub} cannot exist there; builds cannot run")]
    private static partial void LogUnusable(ILogger logger, string taskHub);
}
