using DevMentor.Functions.Composition;
using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Azure.Functions.Worker.OpenTelemetry;

namespace DevMentor.Functions.Hosting.Worker;

/// <summary>
/// The worker process the Azure Functions host starts (functions.metadata and worker.config.json
/// tell it how): the isolated worker with the ASP.NET Core integration, the app's services, and
/// <see cref="HttpFunctionMiddleware"/> in the worker pipeline. The host serves HTTP, fires timers
/// and runs the Durable extension; nothing standalone (Kestrel on 3004, the scheduler) starts here.
/// </summary>
public static class WorkerHost
{
    /// <summary>True when this process is a worker the Functions host launched (it passes its gRPC endpoint).</summary>
    public static bool IsWorkerProcess(string[] args) =>
        args.Any(a => a.StartsWith("--functions-uri", StringComparison.Ordinal) || a == "--host") ||
        !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("Functions__Worker__HostEndpoint"));

    public static FunctionsApplicationBuilder CreateBuilder(string[] args)
    {
        var builder = FunctionsApplication.CreateBuilder(args);
        builder.ConfigureFunctionsWebApplication();
        builder.UseMiddleware<HttpFunctionMiddleware>();
        builder.UseMiddleware<DevMentor.Functions.Durable.DurableClientCapture>();
        builder.Services.AddDevMentor(builder.Configuration, builder.Environment.ContentRootPath, underFunctionsHost: true);
        // The worker's OpenTelemetry package: its resource (faas.*, cloud.*), invocation spans parented by the host's
        // trace context, beside the app's own telemetry (Telemetry.AddDevMentorTelemetry).
        builder.Services.AddOpenTelemetry().UseFunctionsWorkerDefaults();
        Logs.Filter(builder.Logging);
        return builder;
    }

    public static async Task<int> RunAsync(string[] args)
    {
        using var host = CreateBuilder(args).Build();
        await host.RunAsync();
        return 0;
    }
}
