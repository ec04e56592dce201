using System.Diagnostics;
using DevMentor.Core.Data;
using DevMentor.Core.Data.Embedded;
using DevMentor.Core.Scheduling;
using DevMentor.Core.Storage.Embedded;
using DevMentor.Functions.Composition;
using DevMentor.Functions.Http;
using DevMentor.Functions.Security;
using Microsoft.Extensions.Configuration.EnvironmentVariables;

namespace DevMentor.Functions.Hosting.Standalone;

/// <summary>
/// The standalone host: what the Azure Functions host does for the app, done in-process, for the
/// machines the Functions host cannot be installed on (ours, containers behind a load balancer,
/// the tests). It stands in for three things of the host and no more:
/// <list type="bullet">
/// <item>HTTP: Kestrel on 127.0.0.1:3004 serving every [HttpTrigger] function at its route and
/// verbs (<see cref="StandaloneFunctions"/>), through the same worker middleware the host runs;</item>
/// <item>timers: an in-process scheduler firing every [TimerTrigger] on its schedule, once per
/// occurrence across instances (the database decides);</item>
/// <item>the platform's CORS preflights and its answers for requests no function serves.</item>
/// </list>
/// Everything it knows about the functions comes from their attributes (<see cref="FunctionCatalog"/>),
/// the same ones the worker SDK writes into functions.metadata.
/// </summary>
public static partial class StandaloneHost
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

    /// <param name="overrides">Applied after the composition (tests put stand-ins in place of the app's own services).</param>
    public static WebApplication Build(WebApplicationBuilder builder, Action<IServiceCollection>? overrides = null)
    {
        var settings = builder.Services.AddDevMentor(builder.Configuration, builder.Environment.ContentRootPath, underFunctionsHost: false);
        overrides?.Invoke(builder.Services);
        Logs.Configure(builder.Logging);
        ConfigureServer(builder, settings);

        var catalog = FunctionCatalog.App;
        builder.Services.AddSingleton(sp => new TimerCatalog(StandaloneFunctions.Timers(catalog, sp), builder.Configuration));
        if (settings.SchedulerEnabled)
        {
            builder.Services.AddHostedService<TimerScheduler>();
        }

        var app = builder.Build();
        try
        {
            // Schedules (and their Timers:<Name>:Schedule overrides) are checked now, not at the first tick.
            app.Services.GetRequiredService<TimerCatalog>();
        }
        catch (InvalidOperationException e)
        {
            throw new InvalidConfigurationException([e.Message]);
        }

        app.UseDevMentorProblemDetails();
        app.UseRouting();
        var cors = app.Services.GetRequiredService<CorsGate>();
        var rateLimits = app.Services.GetRequiredService<RateLimitGate>();
        app.Use(async (context, next) =>
        {
            if (await cors.TryAnswerPreflightAsync(context))
            {
                return;
            }

            // A path no function serves (404) or a verb it does not take (405) still counts against the
            // caller's limit, as scanning should; functions are counted by their middleware.
            if (context.GetEndpoint()?.Metadata.GetMetadata<HttpFunction>() is null)
            {
                await CallerGate.AuthenticateAsync(context);
                if (await rateLimits.CheckAsync(context) is { } refused)
                {
                    await refused.ExecuteAsync(context);
                    return;
                }
            }

            await next(context);
        });
        app.MapFunctions(catalog);
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

        if (StorageStartup.MissingPrerequisite(settings) is { } storageProblem)
        {
            await Console.Error.WriteLineAsync("devmentor: " + storageProblem);
            return 1;
        }

        app.Lifetime.ApplicationStarted.Register(() => LogListening(logger, string.Join(", ", app.Urls), started.ElapsedMilliseconds));
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
            catch (Exception e) when (e is EmbeddedPostgresException or EmbeddedAzuriteException or MigrationFailedException or InvalidConfigurationException
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

    private static void ConfigureServer(WebApplicationBuilder builder, ServiceSettings settings)
    {
        if (string.IsNullOrWhiteSpace(builder.Configuration["urls"]))
        {
            builder.WebHost.UseUrls($"http://127.0.0.1:{ServiceSettings.DefaultPort}");
        }

        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            // Each function's body limit is set per request (RequestBodyLimit); this covers anything before it.
            kestrel.Limits.MaxRequestBodySize = settings.MaxRequestBodyBytes;
            kestrel.AddServerHeader = false;
        });
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "DevMentor Project Service listening on {Urls} (standalone); started in {ElapsedMs} ms")]
    private static partial void LogListening(ILogger logger, string urls, long elapsedMs);
}
