using System.Net;
using System.Net.Sockets;
using DevMentor.Functions.Tests.Infrastructure;

namespace DevMentor.Functions.Tests.Composition;

/// <summary>Start-up failures end with a line naming the cause and a non-zero exit code, and leave no cluster running.</summary>
public sealed class StartFailureTests
{
    [Fact]
    public async Task A_data_dir_that_cannot_be_created_stops_the_start_naming_the_setting()
    {
        var workDir = Directory.CreateTempSubdirectory("baddata-").FullName;
        var file = Path.Combine(workDir, "a-file");
        await File.WriteAllTextAsync(file, "not a directory");

        await using var service = ServiceProcess.Start(workDir, new Dictionary<string, string?> { ["DEVMENTOR_DATA_DIR"] = Path.Combine(file, "data") });

        Assert.Equal(2, await service.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        var line = Assert.Single(service.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        Assert.StartsWith($"devmentor: invalid configuration: DEVMENTOR_DATA_DIR: '{Path.Combine(file, "data")}' cannot be created", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_port_in_use_stops_the_start_with_one_line_and_the_embedded_cluster_is_stopped_again()
    {
        using var occupant = new TcpListener(IPAddress.Loopback, 0);
        occupant.Start();
        var port = ((IPEndPoint)occupant.LocalEndpoint).Port;
        var workDir = Directory.CreateTempSubdirectory("portinuse-").FullName;
        Directory.CreateDirectory(TestPostgres.ScratchRoot);
        var dataDir = Path.Combine(TestPostgres.ScratchRoot, "portinuse-" + Guid.NewGuid().ToString("N")[..8]);

        // The last --urls wins: the port the listener above holds.
        await using var service = ServiceProcess.Start(workDir, new Dictionary<string, string?> { ["DEVMENTOR_DATA_DIR"] = dataDir },
            "--urls", $"http://127.0.0.1:{port}");

        Assert.Equal(1, await service.WaitForExitAsync(TimeSpan.FromSeconds(90)));
        Assert.Contains($"devmentor: Failed to bind to address http://127.0.0.1:{port}: address already in use.", service.Output, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(dataDir, "pg", "PG_VERSION")), "the cluster was created before the server tried to listen");
        Assert.False(File.Exists(Path.Combine(dataDir, "pg", "postmaster.pid")), "the embedded cluster must not be left running");
    }
}
