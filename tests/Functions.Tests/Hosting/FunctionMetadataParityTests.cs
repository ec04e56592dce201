using System.Text.Json;
using DevMentor.Core.Scheduling;
using DevMentor.Functions.Hosting;
using DevMentor.Functions.Http;
using DevMentor.Functions.Tests.Infrastructure;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace DevMentor.Functions.Tests.Hosting;

/// <summary>
/// One definition per endpoint: what the worker SDK wrote into functions.metadata (what the Functions
/// host serves), what the standalone host serves, and what the OpenAPI document publishes must be the
/// same functions with the same routes, verbs and schedules. Any difference fails.
/// </summary>
public sealed class FunctionMetadataParityTests
{
    private sealed record Http(string Name, string Route, string Methods);

    private sealed record Timer(string Name, string Schedule);

    /// <summary>src/Functions/bin/&lt;Configuration&gt;/net10.0/functions.metadata, written by the SDK at build.</summary>
    public static string MetadataPath => Path.Combine(Path.GetDirectoryName(ServiceProcess.ExecutablePath)!, "functions.metadata");

    private static JsonElement[] Metadata() => JsonDocument.Parse(File.ReadAllBytes(MetadataPath)).RootElement.EnumerateArray().ToArray();

    private static JsonElement Trigger(JsonElement function) =>
        function.GetProperty("bindings").EnumerateArray().Single(b => b.GetProperty("type").GetString()!.EndsWith("Trigger", StringComparison.Ordinal));

    private static List<Http> MetadataHttp() => Metadata()
        .Where(f => Trigger(f).GetProperty("type").GetString() == "httpTrigger")
        .Select(f => new Http(f.GetProperty("name").GetString()!, Trigger(f).GetProperty("route").GetString()!,
            string.Join(',', Trigger(f).GetProperty("methods").EnumerateArray().Select(m => m.GetString()!.ToLowerInvariant()).Order(StringComparer.Ordinal))))
        .OrderBy(h => h.Name, StringComparer.Ordinal).ToList();

    [Fact]
    public async Task Standalone_routes_and_verbs_are_exactly_the_http_functions_in_functions_metadata()
    {
        var metadata = MetadataHttp();
        await using var app = await TestApp.StartAsync(await TestPostgres.CreateDatabaseAsync("parity_http"));

        var served = ((IEndpointRouteBuilder)app.App).DataSources.SelectMany(s => s.Endpoints).OfType<RouteEndpoint>()
            .Select(e => new Http(
                e.Metadata.GetMetadata<IEndpointNameMetadata>()!.EndpointName,
                e.RoutePattern.RawText!.TrimStart('/'),
                string.Join(',', e.Metadata.GetMetadata<IHttpMethodMetadata>()!.HttpMethods.Select(m => m.ToLowerInvariant()).Order(StringComparer.Ordinal))))
            .OrderBy(h => h.Name, StringComparer.Ordinal).ToList();

        Assert.True(metadata.Count >= 45, $"functions.metadata lists {metadata.Count} HTTP functions");
        Assert.Equal(metadata, served);
    }

    [Fact]
    public async Task The_scheduler_fires_exactly_the_timers_in_functions_metadata_on_their_schedules()
    {
        var metadata = Metadata()
            .Where(f => Trigger(f).GetProperty("type").GetString() == "timerTrigger")
            .Select(f => new Timer(f.GetProperty("name").GetString()!, Trigger(f).GetProperty("schedule").GetString()!))
            .OrderBy(t => t.Name, StringComparer.Ordinal).ToList();
        await using var app = await TestApp.StartAsync(await TestPostgres.CreateDatabaseAsync("parity_timers"));

        var scheduled = app.Services.GetRequiredService<TimerCatalog>().Timers
            .Select(t => new Timer(t.Name, t.Expression)).OrderBy(t => t.Name, StringComparer.Ordinal).ToList();

        Assert.Equal(["AnalyticsRollup", "CodeSyncSweep", "Housekeeping", "NotificationDispatch", "PipelineSweeper", "RemoteProvisioningResume", "Retention", "WebhookRedelivery"], metadata.Select(t => t.Name));
        Assert.Equal(metadata, scheduled);
    }

    [Fact]
    public async Task The_openapi_document_has_one_operation_per_http_function_named_after_it()
    {
        const string key = "parity-openapi-admin-key-0123456789";
        var metadata = MetadataHttp();
        await using var app = await TestApp.StartAsync(await TestPostgres.CreateDatabaseAsync("parity_openapi"),
            new Dictionary<string, string?> { ["Auth:BootstrapApiKey"] = key });
        using var request = new HttpRequestMessage(HttpMethod.Get, "/openapi/v1.json");
        request.Headers.Add("X-Api-Key", key);
        using var response = await app.Client.SendAsync(request);
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());

        var operations = document.RootElement.GetProperty("paths").EnumerateObject()
            .SelectMany(path => path.Value.EnumerateObject().Select(op => (Path: path.Name, Method: op.Name, Id: op.Value.GetProperty("operationId").GetString()!)))
            .ToList();
        var expected = metadata.SelectMany(h => h.Methods.Split(',').Select(m => (Path: OpenApiDocument.Path(h.Route), Method: m, Id: h.Name)))
            .OrderBy(o => o.Id, StringComparer.Ordinal).ThenBy(o => o.Method, StringComparer.Ordinal).ToList();

        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(expected, operations.OrderBy(o => o.Id, StringComparer.Ordinal).ThenBy(o => o.Method, StringComparer.Ordinal).ToList());
        Assert.Equal("/projects/{id}/builds/{runId}/artifacts/{name}", OpenApiDocument.Path("projects/{id}/builds/{runId:guid}/artifacts/{*name}"));
    }

    [Fact]
    public void Every_function_in_functions_metadata_is_in_the_catalog_the_hosts_read_and_the_other_way_round()
    {
        var metadataNames = Metadata().Select(f => f.GetProperty("name").GetString()!).Order(StringComparer.Ordinal).ToList();

        Assert.Equal(metadataNames, FunctionCatalog.App.Names.Order(StringComparer.Ordinal).ToList());
        foreach (var function in Metadata())
        {
            // The entry point the host calls is the method the catalog describes.
            var entryPoint = function.GetProperty("entryPoint").GetString()!;
            var described = FunctionCatalog.App.Http.Select(h => h.Method).Concat(FunctionCatalog.App.Timers.Select(t => t.Method))
                .Concat(FunctionCatalog.App.Durable.Select(d => d.Method))
                .Single(m => $"{m.DeclaringType!.FullName}.{m.Name}" == entryPoint);
            Assert.Equal("DevMentor.Functions.dll", function.GetProperty("scriptFile").GetString());
            Assert.Equal("dotnet-isolated", function.GetProperty("language").GetString());
            Assert.NotNull(described);
        }
    }
}
