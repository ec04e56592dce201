using System.Diagnostics;
using DevMentor.Core.Storage.Azure;

namespace DevMentor.Functions.Tests.Infrastructure;

/// <summary>
/// Azurite's blob service from tests/tools (installed by scripts/install-prereqs.sh), once per test
/// run, on a free loopback port, its files under the run's scratch directory.
/// </summary>
public static class TestAzurite
{
    private static readonly Lazy<Task<AzuriteServer>> Shared = new(() => StartAsync("common"));

    public static Task<AzuriteServer> SharedAsync() => Shared.Value;

    public static string ToolsDirectory => Path.Combine(ServiceProcess.FindRepositoryRoot(AppContext.BaseDirectory), "tests", "tools");

    public static async Task<AzuriteServer> StartAsync(string name)
    {
        var main = Path.Combine(ToolsDirectory, "node_modules", "azurite", "dist", "src", "blob", "main.js");
        if (!File.Exists(main))
        {
            throw new FileNotFoundException($"Azurite is not installed ({main} is missing): run scripts/install-prereqs.sh.");
        }

        var location = Path.Combine(TestPostgres.ScratchRoot, $"azurite-{name}-{Guid.NewGuid().ToString("N")[..6]}");
        Directory.CreateDirectory(location);
        var server = await ChildServer.StartAsync("azurite", port =>
        {
            var info = new ProcessStartInfo("node") { WorkingDirectory = location };
            foreach (var argument in new[]
                     {
                         main, "--blobHost", "127.0.0.1", "--blobPort", port.ToString(System.Globalization.CultureInfo.InvariantCulture),
                         "--location", location, "--silent", "--skipApiVersionCheck", "--loose", "--disableTelemetry",
                     })
            {
                info.ArgumentList.Add(argument);
            }

            return info;
        }, TimeSpan.FromSeconds(60));
        return new AzuriteServer(server);
    }
}

public sealed class AzuriteServer(ChildServer server) : IAsyncDisposable
{
    public ChildServer Server { get; } = server;
    public Uri BlobEndpoint => new($"http://127.0.0.1:{Server.Port}/{AzureStorageConnectionString.DevelopmentAccountName}");

    /// <summary>The standard connection string form for Azurite on a non-default port (what the SDKs accept too).</summary>
    public string ConnectionString =>
        $"DefaultEndpointsProtocol=http;AccountName={AzureStorageConnectionString.DevelopmentAccountName};AccountKey={AzureStorageConnectionString.DevelopmentAccountKey};BlobEndpoint={BlobEndpoint};";

    public ValueTask DisposeAsync() => Server.DisposeAsync();
}
