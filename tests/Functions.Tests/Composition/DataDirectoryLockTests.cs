using System.Net;
using DevMentor.Functions.Tests.Infrastructure;

namespace DevMentor.Functions.Tests.Composition;

/// <summary>One data dir, one service: the real executable started twice on the same data dir.</summary>
public sealed class DataDirectoryLockTests
{
    [Fact]
    public async Task A_second_start_on_a_data_dir_in_use_names_the_holder_exits_non_zero_and_leaves_the_first_serving()
    {
        Directory.CreateDirectory(TestPostgres.ScratchRoot);
        var dataDir = Path.Combine(TestPostgres.ScratchRoot, "datalock-" + Guid.NewGuid().ToString("N")[..8]);
        var environment = new Dictionary<string, string?>
        {
            // The embedded cluster: what the second start used to adopt and then stop.
            ["DEVMENTOR_DATA_DIR"] = dataDir,
            ["Scheduler__Enabled"] = "false",
        };
        await using var first = ServiceProcess.Start(Directory.CreateTempSubdirectory("datalock-a-").FullName, environment);
        await first.WaitUntilHealthyAsync(TimeSpan.FromSeconds(90));
        await AssertReadyAsync(first);
        var clusterFiles = Directory.GetFiles(Path.Combine(dataDir, "pg"), "postmaster.pid");

        await using var second = ServiceProcess.Start(Directory.CreateTempSubdirectory("datalock-b-").FullName, environment);
        // The first keeps answering ready the whole time the second one lives.
        while (!second.HasExited)
        {
            await AssertReadyAsync(first);
            await Task.Delay(100);
        }

        Assert.NotEqual(0, await second.WaitForExitAsync(TimeSpan.FromSeconds(5)));
        Assert.Contains($"in use by process {first.ProcessId}", second.Output, StringComparison.Ordinal);
        Assert.Contains("DevMentor.Functions.dll", second.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("PostgreSQL", second.Output, StringComparison.Ordinal); // it never got as far as the cluster

        for (var i = 0; i < 10; i++)
        {
            await AssertReadyAsync(first);
            await Task.Delay(100);
        }

        Assert.Equal(clusterFiles, Directory.GetFiles(Path.Combine(dataDir, "pg"), "postmaster.pid"));
        Assert.False(first.HasExited);
    }

    private static async Task AssertReadyAsync(ServiceProcess service)
    {
        using var response = await service.Client.GetAsync("/health/ready");
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}\n{service.Output}");
    }
}
