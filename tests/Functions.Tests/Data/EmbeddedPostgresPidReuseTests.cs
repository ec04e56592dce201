using System.Globalization;
using DevMentor.Core.Data.Embedded;
using DevMentor.Functions.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace DevMentor.Functions.Tests.Data;

/// <summary>
/// What a killed run can leave behind after a reboot or in a container: a postmaster.pid whose pid
/// now belongs to some other process. It is stale, and whatever now has that pid is left alone.
/// </summary>
public sealed class EmbeddedPostgresPidReuseTests
{
    private static EmbeddedPostgresOptions Options(string name) => new()
    {
        DataDirectory = Path.Combine(TestPostgres.ScratchRoot, name + "-" + Guid.NewGuid().ToString("N")[..8]),
        Durable = false,
    };

    [Fact]
    public async Task A_pid_file_naming_another_clusters_postmaster_is_stale_and_that_cluster_keeps_running()
    {
        Directory.CreateDirectory(TestPostgres.ScratchRoot);
        var other = await EmbeddedPostgres.StartAsync(Options("other"), NullLogger.Instance, CancellationToken.None);
        try
        {
            var options = Options("mine");
            var mine = await EmbeddedPostgres.StartAsync(options, NullLogger.Instance, CancellationToken.None);
            await mine.StopAsync(CancellationToken.None);

            // The other cluster's pid and port in our pid file: a postgres process, alive, but not ours.
            var otherPidFile = await File.ReadAllLinesAsync(Path.Combine(other.ClusterDirectory, "postmaster.pid"));
            var otherPid = int.Parse(otherPidFile[0], CultureInfo.InvariantCulture);
            var ourPidFile = Path.Combine(mine.ClusterDirectory, "postmaster.pid");
            await File.WriteAllLinesAsync(ourPidFile, otherPidFile);

            var restarted = await EmbeddedPostgres.StartAsync(options, NullLogger.Instance, CancellationToken.None);
            try
            {
                Assert.False(restarted.Adopted);
                Assert.NotEqual(other.Port, restarted.Port);
                Assert.NotEqual(otherPid, int.Parse(File.ReadLines(ourPidFile).First(), CultureInfo.InvariantCulture));
                Assert.True(Posix.IsAlive(otherPid), "the other cluster's postmaster must not be stopped");
                Assert.Equal(1, await ScalarAsync(other.ConnectionString));
                Assert.Equal(1, await ScalarAsync(restarted.ConnectionString));
            }
            finally
            {
                await restarted.StopAsync(CancellationToken.None);
            }
        }
        finally
        {
            await other.StopAsync(CancellationToken.None);
        }
    }

    [Fact]
    public async Task A_pid_file_naming_a_live_process_that_is_not_postgres_is_stale()
    {
        Directory.CreateDirectory(TestPostgres.ScratchRoot);
        var options = Options("notpg");
        var first = await EmbeddedPostgres.StartAsync(options, NullLogger.Instance, CancellationToken.None);
        await first.StopAsync(CancellationToken.None);

        // This test process is alive and is not postgres: the pid in the file was reused.
        var pidFile = Path.Combine(first.ClusterDirectory, "postmaster.pid");
        await File.WriteAllLinesAsync(pidFile, [Environment.ProcessId.ToString(CultureInfo.InvariantCulture), first.ClusterDirectory, "0", first.Port.ToString(CultureInfo.InvariantCulture)]);

        var restarted = await EmbeddedPostgres.StartAsync(options, NullLogger.Instance, CancellationToken.None);
        try
        {
            Assert.False(restarted.Adopted);
            Assert.NotEqual(Environment.ProcessId, int.Parse(File.ReadLines(pidFile).First(), CultureInfo.InvariantCulture));
            Assert.Equal(1, await ScalarAsync(restarted.ConnectionString));
        }
        finally
        {
            await restarted.StopAsync(CancellationToken.None);
        }
    }

    private static async Task<int> ScalarAsync(string connectionString)
    {
        await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false }.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT 1", connection);
        return (int)(await command.ExecuteScalarAsync())!;
    }
}
