using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using DevMentor.Core.Storage;
using DevMentor.Core.Storage.Account;
using DevMentor.Core.Storage.Embedded;
using DevMentor.Functions.Tests.Infrastructure;

namespace DevMentor.Functions.Tests.Storage;

/// <summary>
/// The real executable with AzureWebJobsStorage unset: it starts its own Azurite (tools/azurite)
/// under the data dir, keeps the blobs across restarts, adopts the Azurite a SIGKILLed run left,
/// and cleans up a state file whose pid is no longer that Azurite (leaving that process alone).
/// One test walks the whole life so Azurite is installed and started as few times as possible.
/// </summary>
public sealed class EmbeddedAzuriteLifecycleTests
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task Azurite_survives_sigterm_and_sigkill_of_the_service_with_blobs_kept()
    {
        var workDir = Directory.CreateTempSubdirectory("azlife-").FullName;
        var dataDir = Path.Combine(TestPostgres.ScratchRoot, "azlife-" + Guid.NewGuid().ToString("N")[..8]);
        var stateFile = Path.Combine(dataDir, "azurite", "devmentor-azurite.json");
        var keyFile = Path.Combine(dataDir, "azurite", "account.key");
        var environment = new Dictionary<string, string?>
        {
            ["ConnectionStrings__Postgres"] = await TestPostgres.CreateDatabaseAsync("azlife"),
            ["DEVMENTOR_DATA_DIR"] = dataDir,
            ["AzureWebJobsStorage"] = "", // nothing configured: the embedded Azurite
            ["Scheduler__Enabled"] = "false",
            ["Pipelines__Runner__Enabled"] = "false",
        };
        string Key() => File.ReadAllText(keyFile).Trim();
        using var impostor = Process.Start(new ProcessStartInfo("sleep", "600") { UseShellExecute = false })!;
        var azurites = new List<int>();
        try
        {
            // First start: Azurite is started, named in the log with its endpoints, and serves the blob store.
            int firstAzurite;
            await using (var first = ServiceProcess.Start(workDir, environment))
            {
                await first.WaitUntilHealthyAsync(StartTimeout);
                var state = ReadState(stateFile);
                firstAzurite = state.ProcessId;
                azurites.Add(firstAzurite);
                Assert.True(Posix.IsAlive(firstAzurite));
                var storageLine = Assert.Single(Messages(first), m => m.StartsWith("Storage (AzureWebJobsStorage): embedded Azurite", StringComparison.Ordinal));
                Assert.Contains($"blob http://127.0.0.1:{state.BlobPort}/devstoreaccount1", storageLine, StringComparison.Ordinal);
                Assert.Contains($"queue http://127.0.0.1:{state.QueuePort}/devstoreaccount1", storageLine, StringComparison.Ordinal);
                Assert.Contains($"table http://127.0.0.1:{state.TablePort}/devstoreaccount1", storageLine, StringComparison.Ordinal);
                Assert.Contains(Path.Combine(dataDir, "azurite"), storageLine, StringComparison.Ordinal);
                Assert.Contains(Messages(first), m => m.StartsWith("Blob store: Azure Blob Storage container 'devmentor' at embedded Azurite", StringComparison.Ordinal));
                Assert.DoesNotContain(StorageAccount.DevelopmentAccountKey, first.Output, StringComparison.Ordinal);
                Assert.Equal(HttpStatusCode.OK, (await first.Client.GetAsync("/health/ready")).StatusCode);
                // Its account key is private to the data dir: the public development key, which anything on
                // the machine (a build step) could use against a loopback port, is refused.
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(keyFile));
                var key = (await File.ReadAllTextAsync(keyFile)).Trim();
                Assert.NotEqual(StorageAccount.DevelopmentAccountKey, key);
                Assert.DoesNotContain(key, first.Output, StringComparison.Ordinal);
                await Assert.ThrowsAnyAsync<BlobStoreException>(() => Store(state, StorageAccount.DevelopmentAccountKey).PutAsync("intruder.txt", new MemoryStream("x"u8.ToArray())));
                await Store(state, key).PutAsync("kept/before-sigterm.txt", new MemoryStream("written in the first run"u8.ToArray()));

                // SIGTERM: the service stops Azurite after everything that uses it, and exits cleanly.
                first.Terminate();
                Assert.Equal(0, await first.WaitForExitAsync(TimeSpan.FromSeconds(40)));
                Assert.False(Posix.IsAlive(firstAzurite), "SIGTERM must stop the embedded Azurite");
                Assert.False(File.Exists(stateFile));
                Assert.Contains("Embedded Azurite stopped", first.Output, StringComparison.Ordinal);
            }

            // Second start: a new Azurite on the same files; then SIGKILL the service alone.
            AzuriteState orphan;
            await using (var second = ServiceProcess.Start(workDir, environment))
            {
                await second.WaitUntilHealthyAsync(StartTimeout);
                orphan = ReadState(stateFile);
                azurites.Add(orphan.ProcessId);
                Assert.NotEqual(firstAzurite, orphan.ProcessId);
                Assert.Equal("written in the first run", await ReadAsync(Store(orphan, Key()), "kept/before-sigterm.txt"));
                await Store(orphan, Key()).PutAsync("kept/before-sigkill.txt", new MemoryStream("written before the service was killed"u8.ToArray()));

                second.Kill();
                await second.WaitForExitAsync(TimeSpan.FromSeconds(10));
            }

            Assert.True(Posix.IsAlive(orphan.ProcessId), "the Azurite of a SIGKILLed service keeps running");

            // Third start adopts it (same pid, same ports) instead of starting a second one on the same files.
            await using (var third = ServiceProcess.Start(workDir, environment))
            {
                await third.WaitUntilHealthyAsync(StartTimeout);
                Assert.Contains(Messages(third), m => m.StartsWith($"Adopted the embedded Azurite left running by an earlier process (pid {orphan.ProcessId}", StringComparison.Ordinal));
                Assert.Contains(Messages(third), m => m.StartsWith("Storage (AzureWebJobsStorage): embedded Azurite", StringComparison.Ordinal) && m.Contains("adopted", StringComparison.Ordinal));
                Assert.Equal(orphan, ReadState(stateFile));
                Assert.Equal("written before the service was killed", await ReadAsync(Store(orphan, Key()), "kept/before-sigkill.txt"));
                Assert.Equal(HttpStatusCode.OK, (await third.Client.GetAsync("/health/ready")).StatusCode);

                // The service and its Azurite both die; the pid in the state file is then some other live process.
                third.Kill();
                await third.WaitForExitAsync(TimeSpan.FromSeconds(10));
            }

            Posix.SendSignal(orphan.ProcessId, Posix.SigKill);
            await WaitUntilAsync(() => !Posix.IsAlive(orphan.ProcessId), TimeSpan.FromSeconds(10));
            await File.WriteAllTextAsync(stateFile, JsonSerializer.Serialize(new { ProcessId = impostor.Id, orphan.BlobPort, orphan.QueuePort, orphan.TablePort }));

            // Fourth start: the state file is stale, the process with its pid is left alone, and the blobs are there.
            await using (var fourth = ServiceProcess.Start(workDir, environment))
            {
                await fourth.WaitUntilHealthyAsync(StartTimeout);
                Assert.Contains(Messages(fourth), m => m.StartsWith("Removed stale", StringComparison.Ordinal) && m.Contains($"process {impostor.Id} is not", StringComparison.Ordinal));
                Assert.False(impostor.HasExited, "a process that took the old pid must not be touched");
                var fresh = ReadState(stateFile);
                azurites.Add(fresh.ProcessId);
                Assert.NotEqual(impostor.Id, fresh.ProcessId);
                Assert.Equal("written in the first run", await ReadAsync(Store(fresh, Key()), "kept/before-sigterm.txt"));
                Assert.Equal(HttpStatusCode.OK, (await fourth.Client.GetAsync("/health/ready")).StatusCode);
            }

            Assert.All(azurites, pid => Assert.False(Posix.IsAlive(pid), $"Azurite {pid} is still running"));
        }
        finally
        {
            impostor.Kill();
            foreach (var pid in azurites.Where(Posix.IsAlive))
            {
                Posix.SendSignal(pid, Posix.SigKill);
            }
        }
    }

    [Fact]
    public async Task Without_azurite_the_service_exits_with_one_line_naming_the_fix()
    {
        var workDir = Directory.CreateTempSubdirectory("noazurite-").FullName;
        await using var service = ServiceProcess.Start(workDir, new Dictionary<string, string?>
        {
            ["ConnectionStrings__Postgres"] = await TestPostgres.CreateDatabaseAsync("noazurite"),
            ["DEVMENTOR_DATA_DIR"] = Path.Combine(workDir, "data"),
            ["AzureWebJobsStorage"] = "",
            ["Azurite__Path"] = Path.Combine(workDir, "no-such-azurite"),
        });

        Assert.Equal(1, await service.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        var line = Assert.Single(service.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        Assert.StartsWith($"devmentor: Azurite:Path: '{Path.Combine(workDir, "no-such-azurite")}' does not exist", line, StringComparison.Ordinal);
        Assert.Contains("scripts/install-prereqs.sh", line, StringComparison.Ordinal);
    }

    private static AzuriteState ReadState(string path)
    {
        using var document = JsonDocument.Parse(File.ReadAllText(path));
        var root = document.RootElement;
        return new AzuriteState(root.GetProperty("ProcessId").GetInt32(), root.GetProperty("BlobPort").GetInt32(), root.GetProperty("QueuePort").GetInt32(), root.GetProperty("TablePort").GetInt32());
    }

    /// <summary>The service's embedded Azurite, reached as the service reaches it: with the account key in its data dir.</summary>
    private static AzureBlobStore Store(AzuriteState state, string key) =>
        new(StorageAccount.ForAzurite(state.BlobPort, state.QueuePort, state.TablePort, "the service's embedded Azurite", key),
            new AzureBlobStoreOptions { Container = "devmentor" });

    private static async Task<string> ReadAsync(AzureBlobStore store, string key)
    {
        await using var download = await store.GetAsync(key);
        return await new StreamReader(download.Content, Encoding.UTF8).ReadToEndAsync();
    }

    private static List<string> Messages(ServiceProcess service) =>
        service.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(line => line.StartsWith('{') ? JsonDocument.Parse(line).RootElement.GetProperty("Message").GetString() ?? "" : line)
            .ToList();

    private static async Task WaitUntilAsync(Func<bool> condition, TimeSpan timeout)
    {
        var watch = Stopwatch.StartNew();
        while (!condition())
        {
            if (watch.Elapsed > timeout)
            {
                throw new TimeoutException("condition not met");
            }

            await Task.Delay(50);
        }
    }
}
