using Azure.Core;
using Azure.Identity;
using DevMentor.Core.Caching;
using DevMentor.Core.RateLimiting;
using DevMentor.Core.Storage;
using DevMentor.Core.Storage.Azure;
using DevMentor.Core.Storage.FileSystem;
using DevMentor.Functions.Health;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace DevMentor.Functions.Composition;

/// <summary>
/// Picks the blob store and the cache/rate-limit backend from the settings, registers their
/// readiness checks, and logs at start which backend serves each and where (never a secret).
/// </summary>
internal static partial class BackendRegistration
{
    /// <summary>
    /// Azure Blob Storage when ConnectionStrings:Blob (SharedKey or SAS; UseDevelopmentStorage=true
    /// is Azurite) or Blob:ServiceUri / AzureWebJobsStorage:blobServiceUri (Azure.Identity tokens) is
    /// set; the filesystem under the data dir otherwise. Readiness fails (503) when the store cannot be used.
    /// </summary>
    public static IServiceCollection AddBlobStore(this IServiceCollection services, ServiceSettings settings)
    {
        if (settings.BlobConnectionString is { } connectionString)
        {
            services.AddSingleton<IBlobStore>(sp => new AzureBlobStore(
                AzureBlobStoreOptions.FromConnectionString(connectionString, settings.BlobContainer),
                logger: sp.GetRequiredService<ILogger<AzureBlobStore>>()));
        }
        else if (settings.BlobServiceUri is { } serviceUri)
        {
            // Registered, not built inline, so a test can hand in its own credential (DefaultAzureCredential
            // would go looking for a managed identity endpoint that only exists in Azure).
            services.TryAddSingleton<TokenCredential>(new DefaultAzureCredential(new DefaultAzureCredentialOptions
            {
                ManagedIdentityClientId = settings.BlobManagedIdentityClientId,
            }));
            services.AddSingleton<IBlobStore>(sp => new AzureBlobStore(
                AzureBlobStoreOptions.FromServiceUri(serviceUri, settings.BlobContainer, sp.GetRequiredService<TokenCredential>()),
                logger: sp.GetRequiredService<ILogger<AzureBlobStore>>()));
        }
        else
        {
            services.AddSingleton<IBlobStore>(new FileSystemBlobStore(settings.BlobDirectory));
        }

        services.AddHealthChecks().AddCheck<BlobStoreHealthCheck>("blobs", tags: [HealthFunctions.ReadyTag]);
        services.AddHostedService<BackendStartupLog>();
        return services;
    }

    /// <summary>
    /// With ConnectionStrings:Redis set, the cache and the rate-limit counters move to Redis (the
    /// in-process counters stay registered as the fallback during outages) and readiness reports
    /// Redis, Degraded while it is away. Without it, nothing changes.
    /// </summary>
    public static IServiceCollection AddRedisIfConfigured(this IServiceCollection services, ServiceSettings settings)
    {
        if (settings.RedisConnectionString is not { } connectionString)
        {
            return services;
        }

        services.AddSingleton(new RedisOptions
        {
            ConnectionString = connectionString,
            ConnectTimeout = settings.RedisConnectTimeout,
            OperationTimeout = settings.RedisOperationTimeout,
            KeyPrefix = settings.RedisKeyPrefix,
        });
        services.AddSingleton<RedisConnection>();
        services.TryAddSingleton<InProcessRateLimitCounters>();
        services.Replace(ServiceDescriptor.Singleton<ICache, RedisCache>());
        services.Replace(ServiceDescriptor.Singleton<IRateLimitCounters, RedisRateLimitCounters>());
        services.AddHealthChecks().AddCheck<RedisHealthCheck>("redis", failureStatus: HealthStatus.Degraded, tags: [HealthFunctions.ReadyTag]);
        return services;
    }

    /// <summary>
    /// Logs the backends at start and makes the first attempt to reach Redis, waiting at most its
    /// connect timeout: an instance that can reach Redis starts with shared counters, and one that
    /// cannot starts anyway (Degraded) and keeps trying in the background.
    /// </summary>
    private sealed partial class BackendStartupLog(IServiceProvider services, ILogger<BackendStartupLog> logger) : IHostedService
    {
        public async Task StartAsync(CancellationToken cancellationToken)
        {
            var store = services.GetRequiredService<IBlobStore>().Description;
            LogBlobStore(logger, services.GetService<ServiceSettings>()?.BlobServiceUriKey is { } key ? $"{store}, from {key}" : store);
            if (services.GetService<RedisConnection>() is { } redis)
            {
                LogCache(logger, redis.Description);
                using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                limit.CancelAfter(redis.Options.ConnectTimeout + TimeSpan.FromSeconds(1));
                try
                {
                    await redis.WaitForFirstAttemptAsync(limit.Token);
                }
                catch (Exception e) when (e is OperationCanceledException && !cancellationToken.IsCancellationRequested || e is StackExchange.Redis.RedisException)
                {
                    // Not reachable yet: readiness says Degraded and the connection keeps retrying.
                }
            }
            else
            {
                LogCache(logger, "in-process (set ConnectionStrings:Redis to share them between instances)");
            }
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        [LoggerMessage(Level = LogLevel.Information, Message = "Blob store: {Store}")]
        private static partial void LogBlobStore(ILogger logger, string store);

        [LoggerMessage(Level = LogLevel.Information, Message = "Cache and rate-limit counters: {Backend}")]
        private static partial void LogCache(ILogger logger, string backend);
    }
}
