using Azure.Core;
using DevMentor.Core.Caching;
using DevMentor.Core.RateLimiting;
using DevMentor.Core.Storage;
using DevMentor.Core.Storage.Account;
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
    /// AzureWebJobsStorage and the blob store in it: the account from the settings (or the embedded
    /// Azurite, started by <see cref="StorageStartup"/>, registered here first so it starts before
    /// and stops after everything that uses storage), the SDK adapter on container Blob:Container,
    /// and its readiness check (503 while the store cannot be used). Call it before registering any
    /// hosted service that uses storage.
    /// </summary>
    public static IServiceCollection AddStorage(this IServiceCollection services, ServiceSettings settings)
    {
        if (settings.Storage.Source == StorageAccountSource.Identity)
        {
            // Registered, not built inline, so a test can hand in its own credential.
            services.TryAddSingleton<TokenCredential>(_ => settings.Storage.CreateCredential());
        }

        services.AddSingleton(sp => settings.UsesEmbeddedAzurite
            ? new StorageAccountProvider()
            : new StorageAccountProvider(settings.Storage.ToAccount(sp.GetService<TokenCredential>())));
        services.AddHostedService<StorageStartup>();
        services.AddSingleton<IBlobStore>(sp => new AzureBlobStore(
            sp.GetRequiredService<StorageAccountProvider>(),
            new AzureBlobStoreOptions { Container = settings.BlobContainer },
            sp.GetRequiredService<ILogger<AzureBlobStore>>()));

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
            LogBlobStore(logger, services.GetRequiredService<IBlobStore>().Description);
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
