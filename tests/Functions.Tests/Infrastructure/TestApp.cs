using DevMentor.Functions.Composition;
using DevMentor.Functions.Hosting.Standalone;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace DevMentor.Functions.Tests.Infrastructure;

/// <summary>
/// The real service composition on an in-memory server, against a real database. Several
/// instances may share one database, which is how multi-instance behaviour is tested. Blobs go to
/// a container of the app's own on the shared test Azurite.
/// </summary>
public sealed class TestApp : IAsyncDisposable
{
    private TestApp(WebApplication app)
    {
        App = app;
        Client = app.GetTestClient();
    }

    public WebApplication App { get; }
    public HttpClient Client { get; }
    public IServiceProvider Services => App.Services;

    /// <param name="contentRoot">Where local.settings.json is read from (the working directory by default).</param>
    /// <param name="overrides">Runs after the app's composition: replace its services with stand-ins.</param>
    public static async Task<TestApp> StartAsync(string connectionString, IDictionary<string, string?>? settings = null, Action<WebApplicationBuilder>? configure = null,
        string? contentRoot = null, Action<IServiceCollection>? overrides = null)
    {
        var builder = StandaloneHost.CreateBuilder([], contentRoot);
        builder.WebHost.UseTestServer();
        var values = new Dictionary<string, string?>
        {
            ["ConnectionStrings:Postgres"] = connectionString,
            ["DEVMENTOR_DATA_DIR"] = Path.Combine(TestPostgres.ScratchRoot, "app-" + Guid.NewGuid().ToString("N")[..8]),
            ["Scheduler:Enabled"] = "false",
            // In-process hosts share the test runner's console: errors only, or the CI log drowns.
            ["Logging:LogLevel:Default"] = "Error",
        };
        // Every app keeps its blobs in a container of its own on the shared test Azurite, unless the
        // test names its storage itself (AzureWebJobsStorage empty = the embedded Azurite).
        if (settings is null || !settings.Keys.Any(TestAzurite.NamesStorage))
        {
            values["AzureWebJobsStorage"] = (await TestAzurite.SharedAsync()).ConnectionString;
            values["Blob:Container"] = TestAzurite.NewContainer("app");
        }

        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            values[key] = value;
        }

        builder.Configuration.AddInMemoryCollection(values);
        configure?.Invoke(builder);
        var app = StandaloneHost.Build(builder, overrides);
        await app.StartAsync();
        return new TestApp(app);
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
    }
}
