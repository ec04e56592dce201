using System.Diagnostics;
using System.Globalization;
using DevMentor.Core.Storage.Account;

namespace DevMentor.Functions.Tests.Infrastructure;

/// <summary>
/// Azurite (blob, queue and table) from tools/azurite, the install the service's embedded storage
/// uses (scripts/install-prereqs.sh), once per test run, on free loopback ports, its files under the
/// run's scratch directory. Every test app gets its own container on the shared one.
/// </summary>
public static class TestAzurite
{
    private static readonly Lazy<Task<AzuriteServer>> Shared = new(() => StartAsync("common"));

    public static Task<AzuriteServer> SharedAsync() => Shared.Value;

    public static string RepositoryRoot => ServiceProcess.FindRepositoryRoot(AppContext.BaseDirectory);

    /// <summary>tests/tools: the official JavaScript SDK the interop tests and the benchmark run.</summary>
    public static string ToolsDirectory => Path.Combine(RepositoryRoot, "tests", "tools");

    public static string EntryPoint => Path.Combine(RepositoryRoot, "tools", "azurite", "node_modules", "azurite", "dist", "src", "azurite.js");

    /// <summary>Whether a setting (either spelling) chooses the storage account, so the fixtures leave it alone.</summary>
    public static bool NamesStorage(string key) =>
        key.Equals("AzureWebJobsStorage", StringComparison.OrdinalIgnoreCase) ||
        key.StartsWith("AzureWebJobsStorage:", StringComparison.OrdinalIgnoreCase) ||
        key.StartsWith("AzureWebJobsStorage__", StringComparison.OrdinalIgnoreCase);

    /// <summary>A container name no other test uses.</summary>
    public static string NewContainer(string prefix = "t") => prefix + Guid.NewGuid().ToString("N")[..20];

    /// <param name="extra">More Azurite arguments (e.g. --oauth basic --cert … --key …).</param>
    public static async Task<AzuriteServer> StartAsync(string name, params string[] extra)
    {
        if (!File.Exists(EntryPoint))
        {
            throw new FileNotFoundException($"Azurite is not installed ({EntryPoint} is missing): run scripts/install-prereqs.sh.");
        }

        var location = Path.Combine(TestPostgres.ScratchRoot, $"azurite-{name}-{Guid.NewGuid().ToString("N")[..6]}");
        Directory.CreateDirectory(location);
        int queuePort = 0, tablePort = 0, portsFor = 0;
        var server = await ChildServer.StartAsync("azurite", blobPort =>
        {
            // Picked once per blob port: a restart (after Stop) must come back where the clients of the first start
            // look for its queues and tables; a retry on another blob port (a lost race for a port) picks afresh.
            if (blobPort != portsFor)
            {
                (queuePort, tablePort, portsFor) = (ChildServer.FreePort(), ChildServer.FreePort(), blobPort);
            }

            var info = new ProcessStartInfo("node") { WorkingDirectory = location };
            foreach (var argument in new[]
                     {
                         EntryPoint,
                         "--blobHost", "127.0.0.1", "--blobPort", Port(blobPort),
                         "--queueHost", "127.0.0.1", "--queuePort", Port(queuePort),
                         "--tableHost", "127.0.0.1", "--tablePort", Port(tablePort),
                         "--location", location, "--silent", "--skipApiVersionCheck", "--loose", "--disableTelemetry",
                     }.Concat(extra))
            {
                info.ArgumentList.Add(argument);
            }

            return info;
        }, TimeSpan.FromSeconds(60));
        var azurite = new AzuriteServer(server, queuePort, tablePort, extra.Contains("--cert") ? "https" : "http");
        foreach (var port in new[] { queuePort, tablePort })
        {
            var watch = Stopwatch.StartNew();
            while (!await ChildServer.AcceptsConnectionsAsync(port))
            {
                if (watch.Elapsed > TimeSpan.FromSeconds(30))
                {
                    throw new InvalidOperationException($"Azurite did not listen on {port}:\n{server.Output}");
                }

                await Task.Delay(50);
            }
        }

        return azurite;
    }

    private static string Port(int port) => port.ToString(CultureInfo.InvariantCulture);
}

public sealed class AzuriteServer(ChildServer server, int queuePort, int tablePort, string scheme) : IAsyncDisposable
{
    public ChildServer Server { get; } = server;
    public int BlobPort => Server.Port;
    public int QueuePort { get; } = queuePort;
    public int TablePort { get; } = tablePort;
    public Uri BlobEndpoint => new($"{scheme}://127.0.0.1:{BlobPort}/{StorageAccount.DevelopmentAccountName}");

    /// <summary>The standard connection string for Azurite on its ports (what every SDK accepts).</summary>
    public string ConnectionString => Account.ConnectionString!;

    public StorageAccount Account => StorageAccount.ForAzurite(BlobPort, QueuePort, TablePort, $"test Azurite on 127.0.0.1:{BlobPort}");

    public ValueTask DisposeAsync() => Server.DisposeAsync();
}
