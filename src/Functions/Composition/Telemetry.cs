using Azure.Monitor.OpenTelemetry.Exporter;
using DevMentor.Core.Caching;
using DevMentor.Core.Integrations.Webhooks;
using DevMentor.Core.Pipelines;
using DevMentor.Functions.Metrics;
using Microsoft.Extensions.Diagnostics.Metrics;
using Npgsql;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace DevMentor.Functions.Composition;

/// <summary>
/// OpenTelemetry for both hosts (ADR 0015). Traces: incoming requests (ASP.NET Core, which serves
/// HTTP functions on the standalone host and in the worker), outgoing HTTP, Npgsql, Redis
/// (StackExchange.Redis instrumentation, see <see cref="RedisTracing"/>), webhook processing, runs
/// and steps. Metrics: requests, webhook intake, runs and steps, queue depth, cache hits, scraped at
/// GET /metrics through the Prometheus exporter. OTLP export when OTEL_EXPORTER_OTLP_ENDPOINT is
/// set (the exporter reads the other OTEL_* settings itself), Azure Monitor when
/// APPLICATIONINSIGHTS_CONNECTION_STRING is.
/// </summary>
public static class Telemetry
{
    public const string ServiceName = "devmentor-project-service";
    public const string OtlpEndpointKey = "OTEL_EXPORTER_OTLP_ENDPOINT";
    public const string AzureMonitorKey = "APPLICATIONINSIGHTS_CONNECTION_STRING";
    public const string AzureMonitorAuthenticationKey = "APPLICATIONINSIGHTS_AUTHENTICATION_STRING";

    /// <summary>
    /// Meters this app's own container created (IMeterFactory), by name prefix. Enabled through
    /// IMetricsBuilder with <see cref="MeterScope.Local"/> rather than AddMeter, which would also
    /// count every other app's meters of the same name in this process (the tests run several).
    /// </summary>
    private static readonly string[] LocalMeters =
    [
        "DevMentor", // CacheMetrics, WebhookTelemetry, PipelineTelemetry
        "Microsoft.AspNetCore.Hosting", // http.server.request.duration, active requests
        "Microsoft.AspNetCore.Server.Kestrel",
        "System.Net.Http", // clients from IHttpClientFactory
    ];

    /// <summary>
    /// Process-wide meters (created with new Meter): the runtime's, Npgsql's, and the pipeline engine's and
    /// sweeper's static counters (devmentor.pipeline.runs.started, steps.completed, steps.stale_completions,
    /// sweeper.fixed), which the hand-written exporter never showed.
    /// </summary>
    private static readonly string[] GlobalMeters = ["System.Runtime", "Npgsql", "DevMentor"];

    public static IServiceCollection AddDevMentorTelemetry(this IServiceCollection services, IConfiguration configuration)
    {
        var otlp = !string.IsNullOrWhiteSpace(configuration[OtlpEndpointKey]);
        var azureMonitor = configuration[AzureMonitorKey] is { Length: > 0 } connectionString ? connectionString : null;
        var azureMonitorCredential = azureMonitor is null ? null : EntraIngestionCredential(configuration[AzureMonitorAuthenticationKey]);

        services.AddMetrics(metrics =>
        {
            foreach (var name in LocalMeters)
            {
                metrics.EnableMetrics(name, null, "OpenTelemetry", MeterScope.Local);
            }

            foreach (var name in GlobalMeters)
            {
                metrics.EnableMetrics(name, null, "OpenTelemetry", MeterScope.Global);
            }
        });

        var telemetry = services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(ServiceName, serviceVersion: typeof(Telemetry).Assembly.GetName().Version?.ToString()))
            .WithTracing(tracing =>
            {
                tracing.AddSource(WebhookTelemetry.Name, PipelineTelemetry.Name)
                    .AddAspNetCoreInstrumentation(o => o.Filter = http => !IsScrapeOrProbe(http.Request.Path))
                    // A notification target's URL is a credential (url.full would carry it into every exported span).
                    .AddHttpClientInstrumentation(o => o.FilterHttpRequestMessage = r => !r.Options.TryGetValue(DevMentor.Core.Notifications.NotificationSender.Untraced, out _))
                    .AddNpgsql()
                    .AddRedisInstrumentation();
                if (!otlp && azureMonitor is null)
                {
                    // Nothing exports spans: keep only their ids (requests and stored work still get a trace id for
                    // logs, problems and traceparent columns), and skip recording them and creating child spans.
                    tracing.SetSampler(new AlwaysOffSampler());
                }

                if (otlp)
                {
                    tracing.AddOtlpExporter();
                }

                if (azureMonitor is not null)
                {
                    tracing.AddAzureMonitorTraceExporter(o => o.ConnectionString = azureMonitor, azureMonitorCredential);
                }
            })
            .WithMetrics(metrics =>
            {
                metrics.AddPrometheusExporter(o =>
                {
                    // Every scrape sees the figures of that moment (a test reads them right after acting),
                    // and series keep the label sets the hand-written exporter had (no otel_scope_* labels).
                    o.ScrapeResponseCacheDurationMilliseconds = 0;
                    o.ScopeInfoEnabled = false;
                });
                if (otlp)
                {
                    metrics.AddOtlpExporter();
                }

                if (azureMonitor is not null)
                {
                    metrics.AddAzureMonitorMetricExporter(o => o.ConnectionString = azureMonitor, azureMonitorCredential);
                }
            });

        services.AddSingleton<IRedisConnectionObserver, RedisTracing>();
        services.AddSingleton<MetricsScrape>();
        return services;
    }

    /// <summary>
    /// Application Insights with local authentication off takes only Entra-authenticated telemetry; the platform
    /// says so with APPLICATIONINSIGHTS_AUTHENTICATION_STRING "Authorization=AAD[;ClientId=…]" (infra sets it).
    /// </summary>
    internal static Azure.Core.TokenCredential? EntraIngestionCredential(string? authentication)
    {
        var parts = (authentication ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(p => p.Split('=', 2)).Where(p => p.Length == 2)
            .ToDictionary(p => p[0], p => p[1], StringComparer.OrdinalIgnoreCase);
        if (!parts.TryGetValue("Authorization", out var kind) || !kind.Equals("AAD", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        return new Azure.Identity.DefaultAzureCredential(new Azure.Identity.DefaultAzureCredentialOptions
        {
            ManagedIdentityClientId = parts.GetValueOrDefault("ClientId"),
        });
    }

    /// <summary>Prometheus scrapes and health probes arrive every few seconds; traced, they would bury the requests that matter.</summary>
    private static bool IsScrapeOrProbe(PathString path) =>
        path.StartsWithSegments("/metrics", StringComparison.OrdinalIgnoreCase) || path.StartsWithSegments("/health", StringComparison.OrdinalIgnoreCase);
}
