using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection.Extensions;
using DevMentor.Core.Caching;
using DevMentor.Core.Data;
using DevMentor.Core.Data.Embedded;
using DevMentor.Core.Housekeeping;
using DevMentor.Core.Pipelines;
using DevMentor.Core.Projects;
using DevMentor.Core.RateLimiting;
using DevMentor.Core.Scheduling;
using DevMentor.Core.Security;
using DevMentor.Functions.Bench;
using DevMentor.Functions.Catalog;
using DevMentor.Functions.Collaborators;
using DevMentor.Functions.Health;
using DevMentor.Functions.Http;
using DevMentor.Functions.Json;
using DevMentor.Functions.Metrics;
using DevMentor.Functions.Deployments;
using DevMentor.Functions.Pipelines;
using DevMentor.Functions.Projects;
using DevMentor.Functions.Runners;
using DevMentor.Functions.Security;
using DevMentor.Functions.Timers;
using DevMentor.Functions.Webhooks;
using Microsoft.Extensions.Configuration.EnvironmentVariables;

namespace DevMentor.Functions.Composition;

/// <summary>The composition root: configuration, services, middleware and the function table.</summary>
public static partial class DevMentorApp
{
    /// <param name="contentRoot">Where local.settings.json and relative paths are read from; the working directory by default.</param>
    public static WebApplicationBuilder CreateBuilder(string[] args, string? contentRoot = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = args,
            ContentRootPath = contentRoot ?? Directory.GetCurrentDirectory(),
        });

        // local.settings.json (the Functions convention) ranks above appsettings.json and below
        // environment variables and the command line, as under Core Tools.
        var sources = builder.Configuration.Sources;
        var environmentIndex = sources.Select((s, i) => (s, i))
            .LastOrDefault(x => x.s is EnvironmentVariablesConfigurationSource { Prefix: null or "" }).i;
        var local = new ConfigurationBuilder().AddLocalSettings(builder.Environment.ContentRootPath).Sources[0];
        sources.Insert(environmentIndex > 0 ? environmentIndex : sources.Count, local);
        return builder;
    }

    public static WebApplication Build(WebApplicationBuilder builder)
    {
        var settings = ServiceSettings.Load(builder.Configuration, builder.Environment.ContentRootPath);
        var security = SecuritySettings.Load(builder.Configuration);
        if (DataDirectoryProblem(settings.DataDirectory) is { } dataDirectoryProblem)
        {
            throw new InvalidConfigurationException([dataDirectoryProblem]);
        }

        // Before anything else touches the data dir: a second service on it would adopt, then stop, the first one's cluster.
        DataDirectoryLock dataDirectoryLock;
        try
        {
            dataDirectoryLock = DataDirectoryLock.Acquire(settings.DataDirectory);
        }
        catch (DataDirectoryInUseException e)
        {
            throw new InvalidConfigurationException([$"DEVMENTOR_DATA_DIR: {e.Message}"]);
        }

        builder.Services.AddSingleton(dataDirectoryLock);

        ConfigureLogging(builder.Logging);
        ConfigureServer(builder, settings);

        var services = builder.Services;
        services.AddSingleton(settings);
        services.AddSingleton(security);
        services.AddSingleton(security.RateLimits);
        services.AddSingleton(security.Repositories);
        services.TryAddSingleton(TimeProvider.System); // a host (or a test) may bring its own clock
        services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(30));
        services.AddDevMentorProblemDetails();
        services.ConfigureHttpJsonOptions(o =>
        {
            o.SerializerOptions.TypeInfoResolverChain.Insert(0, AppJsonContext.Default);
            o.SerializerOptions.TypeInfoResolverChain.Insert(1, ProjectsJsonContext.Default);
            o.SerializerOptions.TypeInfoResolverChain.Insert(2, PipelineJsonContext.Default);
            o.SerializerOptions.TypeInfoResolverChain.Insert(3, BuildsJsonContext.Default);
        });
        services.AddOpenApi();

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

        // Blob store: filesystem under the data dir, or Azure Blob Storage when configured.
        services.AddBlobStore(settings);

        services.AddProjects();
        services.AddDevMentorSecurity(security, settings);
        services.AddSingleton<PrometheusExporter>();

        services.AddSingleton<TimerRunStore>();
        services.AddSingleton<TimerExecutor>();
        services.AddSingleton<TimerCatalog>();
        services.AddSingleton<ITimerFunction, HousekeepingTimer>();
        services.AddPipelines(builder.Configuration, settings);
        services.AddImagesAndDeployments(builder.Configuration, settings);
        if (settings.SchedulerEnabled)
        {
            services.AddHostedService<TimerScheduler>();
        }

        services.AddWebhooks(builder.Configuration);

        var app = builder.Build();
        TimerCatalog timers;
        try
        {
            timers = app.Services.GetRequiredService<TimerCatalog>();
        }
        catch (InvalidOperationException e)
        {
            throw new InvalidConfigurationException([e.Message]);
        }

        // Created now so it sees every measurement from the first request on.
        app.Services.GetRequiredService<PrometheusExporter>();

        app.UseDevMentorProblemDetails();
        // CORS answers preflights before anything asks for credentials; rate limits need the caller, and run before authorization.
        app.UseCors();
        app.UseAuthentication();
        app.UseMiddleware<RateLimitMiddleware>();
        // After the rate limits, so a 413 is counted and carries the RateLimit headers like every other answer; no body is read before it.
        app.UseMiddleware<RequestBodyLimit>(settings.MaxRequestBodyBytes);
        // Within the body limit it set: charsets, NULs and lone surrogates no endpoint can store, named as 400s.
        app.UseMiddleware<JsonInputGuard>();
        app.UseAuthorization();

        app.MapHealthFunctions();
        app.MapTimerFunctions(timers);
        app.MapOpenApiDocument();
        app.MapMetricsFunctions();
        app.MapWebhookFunctions();
        app.MapProjectFunctions();
        app.MapProjectIntegrationFunctions();
        app.MapCollaboratorFunctions();
        app.MapApiKeyFunctions();
        app.MapRunnerFunctions();
        app.MapBuildFunctions();
        app.MapDeploymentFunctions();
        app.MapBuildOutputFunctions();
        if (security.BenchEnabled)
        {
            app.MapBenchFunctions();
        }

        // Fails the start when an endpoint has no function name or two share one.
        FunctionCatalog.From(app, timers);
        return app;
    }

    /// <summary>Runs until SIGTERM/Ctrl+C; start-up failures end with one clear line and a non-zero exit code.</summary>
    public static async Task<int> RunAsync(WebApplication app)
    {
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("DevMentor.Startup");
        var settings = app.Services.GetRequiredService<ServiceSettings>();
        var started = Stopwatch.StartNew();

        // Checked before the host starts so the operator sees one line, not a hosting stack trace.
        if (settings.PostgresConnectionString is null && PostgresBinaries.Locate(settings.PostgresBinDirectory) is null)
        {
            await Console.Error.WriteLineAsync("devmentor: " + (settings.PostgresBinDirectory is { } bin
                ? PostgresBinaries.MissingInExplicitDirectory(bin)
                : PostgresBinaries.InstallHint));
            return 1;
        }

        app.Lifetime.ApplicationStarted.Register(() => LogListening(logger, string.Join(", ", app.Urls), settings.UnderFunctionsHost ? "Azure Functions custom handler" : "standalone", started.ElapsedMilliseconds));
        try
        {
            // Not app.RunAsync: it disposes the host when the start fails, before anything started can be stopped.
            try
            {
                await app.StartAsync();
            }
            catch (OperationCanceledException) when (app.Lifetime.ApplicationStopping.IsCancellationRequested)
            {
                // Ctrl+C/SIGTERM while starting: stop what already runs (the embedded cluster) and leave.
                await StopAfterFailedStartAsync(app);
                return 0;
            }
            // File-system, bind (a port in use) and time-out failures are the operator's to fix: one line here, the
            // stack trace is in the host's "Hosting failed to start" log entry.
            catch (Exception e) when (e is EmbeddedPostgresException or MigrationFailedException or InvalidConfigurationException
                or IOException or UnauthorizedAccessException or TimeoutException)
            {
                await Console.Error.WriteLineAsync($"devmentor: {e.Message}");
                await StopAfterFailedStartAsync(app);
                return 1;
            }

            await app.WaitForShutdownAsync();
            return 0;
        }
        finally
        {
            await app.DisposeAsync();
        }
    }

    /// <summary>
    /// The embedded cluster, filesystem blobs and generated keys live in the data dir, and some are
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

    /// <summary>
    /// A start that failed half-way (port taken, migration failed) stops nothing by itself, so the
    /// embedded cluster it may have started would be left running; stopping the host stops the
    /// hosted services that started, the database last.
    /// </summary>
    private static async Task StopAfterFailedStartAsync(WebApplication app)
    {
        try
        {
            await app.StopAsync(CancellationToken.None);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // The start failure is what gets reported; a second failure while cleaning up adds nothing.
        }
    }

    private static void ConfigureLogging(ILoggingBuilder logging)
    {
        logging.ClearProviders();
        logging.AddJsonConsole(o =>
        {
            o.IncludeScopes = true; // carries TraceId/SpanId
            o.UseUtcTimestamp = true;
            o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
        });
        logging.Configure(o => o.ActivityTrackingOptions = ActivityTrackingOptions.TraceId | ActivityTrackingOptions.SpanId);
        logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        logging.AddFilter("Microsoft.AspNetCore.Hosting.Diagnostics", LogLevel.Warning);
    }

    private static void ConfigureServer(WebApplicationBuilder builder, ServiceSettings settings)
    {
        if (settings.CustomHandlerPort is { } port)
        {
            builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        }
        else if (string.IsNullOrWhiteSpace(builder.Configuration["urls"]))
        {
            builder.WebHost.UseUrls($"http://127.0.0.1:{ServiceSettings.DefaultPort}");
        }

        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            // RequestBodyLimit sets each request's limit (endpoints may raise it); this covers anything before it.
            kestrel.Limits.MaxRequestBodySize = settings.MaxRequestBodyBytes;
            kestrel.AddServerHeader = false;
        });
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "DevMentor Project Service listening on {Urls} ({Mode}); started in {ElapsedMs} ms")]
    private static partial void LogListening(ILogger logger, string urls, string mode, long elapsedMs);
}
