using DevMentor.Core.Caching;
using Microsoft.Extensions.DependencyInjection.Extensions;
using DevMentor.Core.Data;
using DevMentor.Core.Housekeeping;
using DevMentor.Core.Pipelines;
using DevMentor.Core.Projects;
using DevMentor.Core.RateLimiting;
using DevMentor.Core.Scheduling;
using DevMentor.Core.Security;
using DevMentor.Functions.Health;
using DevMentor.Functions.Hosting;
using DevMentor.Functions.Http;
using DevMentor.Functions.Json;
using DevMentor.Functions.Pipelines;
using DevMentor.Functions.Security;
using DevMentor.Functions.Timers;

namespace DevMentor.Functions.Composition;

/// <summary>The services both hosts share: settings, the database, backends, every feature, and what the function middleware needs.</summary>
public static class AppServices
{
    /// <param name="contentRoot">Where relative paths (the data dir) are resolved from.</param>
    /// <exception cref="InvalidConfigurationException">A setting is invalid; every problem is named, each with its key.</exception>
    public static ServiceSettings AddDevMentor(this IServiceCollection services, IConfiguration configuration, string contentRoot, bool underFunctionsHost)
    {
        var settings = ServiceSettings.Load(configuration, contentRoot, underFunctionsHost);
        var security = SecuritySettings.Load(configuration);
        if (DataDirectoryProblem(settings.DataDirectory) is { } dataDirectoryProblem)
        {
            throw new InvalidConfigurationException([dataDirectoryProblem]);
        }

        // Before anything else touches the data dir: a second service on it would adopt, then stop, the first one's cluster.
        try
        {
            services.AddSingleton(DataDirectoryLock.Acquire(settings.DataDirectory));
        }
        catch (DataDirectoryInUseException e)
        {
            throw new InvalidConfigurationException([$"DEVMENTOR_DATA_DIR: {e.Message}"]);
        }

        services.AddSingleton(settings);
        services.AddSingleton(security);
        services.AddSingleton(security.RateLimits);
        services.AddSingleton(security.Repositories);
        services.TryAddSingleton(TimeProvider.System); // a host (or a test) may bring its own clock
        services.AddSingleton(FunctionCatalog.App);
        services.AddSingleton<HttpFunctionMiddleware>();
        services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(30));
        services.AddDevMentorProblemDetails();
        services.ConfigureHttpJsonOptions(o =>
        {
            o.SerializerOptions.TypeInfoResolverChain.Insert(0, AppJsonContext.Default);
            o.SerializerOptions.TypeInfoResolverChain.Insert(1, ProjectsJsonContext.Default);
            o.SerializerOptions.TypeInfoResolverChain.Insert(2, PipelineJsonContext.Default);
            o.SerializerOptions.TypeInfoResolverChain.Insert(3, BuildsJsonContext.Default);
            o.SerializerOptions.TypeInfoResolverChain.Insert(4, DevMentor.Core.Tasks.TasksJsonContext.Default);
            o.SerializerOptions.TypeInfoResolverChain.Insert(5, DevMentor.Core.Collaborators.CollaboratorsJsonContext.Default);
        });

        // The database opens first and closes last: hosted services start in this order and stop in reverse.
        services.AddSingleton<Database>();
        services.AddSingleton<MigrationRunner>();
        services.AddHostedService<DatabaseStartup>();
        services.AddSingleton(new BootstrapApiKeyOptions(settings.DataDirectory, security.BootstrapApiKey));
        services.AddHostedService<BootstrapApiKey>();
        services.AddHealthChecks().AddCheck<DatabaseHealthCheck>("database", tags: [HealthFunctions.ReadyTag]);

        // In-process defaults; a Redis-backed pair replaces them when ConnectionStrings:Redis is set.
        services.AddMemoryCache(o => o.SizeLimit = 64L * 1024 * 1024);
        services.AddSingleton<ICache, InProcessCache>();
        services.AddSingleton<IRateLimitCounters, InProcessRateLimitCounters>();
        services.AddRedisIfConfigured(settings);

        // AzureWebJobsStorage (the embedded Azurite by default) and the blob store in it; before every hosted service that uses storage.
        services.AddStorage(settings);
        // Durable Task (the standalone host's backend starts after storage); features below add their orchestrations.
        services.AddDurable(configuration, settings);

        services.AddProjects();
        services.AddDevMentorSecurity(security, settings);
        services.AddDevMentorTelemetry(configuration);

        services.AddSingleton<TimerRunStore>();
        services.AddSingleton<TimerExecutor>();
        services.AddSingleton<TimerTriggers>();
        services.AddSingleton<HousekeepingTimer>();
        services.AddPipelines(configuration, settings);
        services.AddImagesAndDeployments(configuration, settings);
        services.AddWebhooks(configuration);
        services.AddCodeSync(configuration, settings);
        services.AddHostedGit(configuration, settings);
        services.AddCreation(configuration, settings);
        services.AddTasks();
        services.AddCollaboration();
        services.AddAnalytics(configuration);
        services.AddNotifications(configuration, settings);
        return settings;
    }

    /// <summary>
    /// The embedded cluster, the embedded Azurite's files and generated keys live in the data dir, and some are
    /// created while the app is composed; a path that cannot be a directory is a configuration error.
    /// </summary>
    private static string? DataDirectoryProblem(string directory)
    {
        try
        {
            Directory.CreateDirectory(directory);
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return $"DEVMENTOR_DATA_DIR: '{directory}' cannot be created ({e.Message}).";
        }
    }
}
