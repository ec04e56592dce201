using System.Net;
using DevMentor.Functions.Tests.Infrastructure;
using Npgsql;

namespace DevMentor.Functions.Tests.Data;

/// <summary>
/// The real executable with no connection string: it creates its own cluster, keeps the data
/// across restarts, and copes with what SIGKILL leaves behind (a postmaster still running, or a
/// stale postmaster.pid). One test walks the whole life so the cluster is created only once.
/// </summary>
public sealed class EmbeddedClusterLifecycleTests
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Cluster_survives_restarts_sigterm_and_sigkill_with_data_kept()
    {
        var workDir = Directory.CreateTempSubdirectory("lifecycle-").FullName;
        var dataDir = Path.Combine(TestPostgres.ScratchRoot, "lifecycle-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(TestPostgres.ScratchRoot);
        var environment = new Dictionary<string, string?> { ["DEVMENTOR_DATA_DIR"] = dataDir };

        // First start: initdb, start, migrate.
        await using (var first = ServiceProcess.Start(workDir, environment))
        {
            await first.WaitUntilHealthyAsync(StartTimeout);
            Assert.True(File.Exists(Path.Combine(dataDir, "pg", "PG_VERSION")));
            Assert.Contains("Creating the embedded PostgreSQL cluster", first.Output, StringComparison.Ordinal);
            // PostgreSQL refuses to run as root: a root service runs it as the postgres user, otherwise as itself.
            var expectedOwner = Environment.IsPrivilegedProcess ? UserId("postgres") : Posix.UserIdOf(Environment.ProcessId);
            Assert.Equal(expectedOwner, Posix.UserIdOf(ReadPostmasterPid(dataDir)));
            await ExecuteAsync(dataDir, "CREATE TABLE lifecycle_marker (note text); INSERT INTO lifecycle_marker VALUES ('kept')");

            // SIGTERM: clean exit, cluster stopped.
            first.Terminate();
            Assert.Equal(0, await first.WaitForExitAsync(TimeSpan.FromSeconds(40)));
            Assert.False(File.Exists(Path.Combine(dataDir, "pg", "postmaster.pid")), "SIGTERM must stop the embedded cluster");
        }

        // Second start reuses the cluster and its data.
        await using (var second = ServiceProcess.Start(workDir, environment))
        {
            await second.WaitUntilHealthyAsync(StartTimeout);
            Assert.DoesNotContain("Creating the embedded PostgreSQL cluster", second.Output, StringComparison.Ordinal);
            Assert.Equal("kept", await ScalarAsync(dataDir, "SELECT note FROM lifecycle_marker"));

            // SIGKILL: the service dies, its postmaster lives on.
            second.Kill();
            await second.WaitForExitAsync(TimeSpan.FromSeconds(10));
        }

        var orphan = ReadPostmasterPid(dataDir);
        Assert.True(Posix.IsAlive(orphan), "the postmaster of a SIGKILLed service keeps running");

        // Third start adopts the running postmaster instead of starting a second one.
        await using (var third = ServiceProcess.Start(workDir, environment))
        {
            await third.WaitUntilHealthyAsync(StartTimeout);
            Assert.Contains("Adopted the embedded PostgreSQL", third.Output, StringComparison.Ordinal);
            Assert.Equal(orphan, ReadPostmasterPid(dataDir));
            Assert.Equal("kept", await ScalarAsync(dataDir, "SELECT note FROM lifecycle_marker"));

            // SIGKILL the service and the postmaster: a stale postmaster.pid is left.
            third.Kill();
            await third.WaitForExitAsync(TimeSpan.FromSeconds(10));
        }

        Posix.SendSignal(orphan, Posix.SigKill);
        await WaitUntilAsync(() => !Posix.IsAlive(orphan), TimeSpan.FromSeconds(10));
        NpgsqlConnection.ClearAllPools();
        Assert.True(File.Exists(Path.Combine(dataDir, "pg", "postmaster.pid")), "a killed postmaster leaves its pid file");

        await using (var fourth = ServiceProcess.Start(workDir, environment))
        {
            await fourth.WaitUntilHealthyAsync(StartTimeout);
            Assert.Contains("Removed stale", fourth.Output, StringComparison.Ordinal);
            Assert.NotEqual(orphan, ReadPostmasterPid(dataDir));
            Assert.Equal("kept", await ScalarAsync(dataDir, "SELECT note FROM lifecycle_marker"));

            using var ready = await fourth.Client.GetAsync("/health/ready");
            Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        }

        Assert.False(File.Exists(Path.Combine(dataDir, "pg", "postmaster.pid")), "disposing (SIGTERM) stops the cluster");
    }

    [Fact]
    public async Task Without_postgres_programs_the_service_exits_with_one_clear_message()
    {
        var workDir = Directory.CreateTempSubdirectory("nopg-").FullName;
        var environment = new Dictionary<string, string?>
        {
            ["DEVMENTOR_DATA_DIR"] = Path.Combine(workDir, "data"),
            ["Postgres__BinDirectory"] = Path.Combine(workDir, "no-such-bin"),
        };

        await using var service = ServiceProcess.Start(workDir, environment);
        var exitCode = await service.WaitForExitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(1, exitCode);
        var line = Assert.Single(service.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        Assert.StartsWith("devmentor: Postgres:BinDirectory", line, StringComparison.Ordinal);
        Assert.Contains("does not contain initdb", line, StringComparison.Ordinal);
        Assert.Contains("apt-get install postgresql", line, StringComparison.Ordinal);
        Assert.Contains("ConnectionStrings:Postgres", line, StringComparison.Ordinal);
    }

    private static int UserId(string userName) =>
        File.ReadLines("/etc/passwd").Select(l => l.Split(':')).Where(f => f[0] == userName)
            .Select(f => int.Parse(f[2], System.Globalization.CultureInfo.InvariantCulture)).Single();

    private static int ReadPostmasterPid(string dataDir) =>
        int.Parse(File.ReadLines(Path.Combine(dataDir, "pg", "postmaster.pid")).First(), System.Globalization.CultureInfo.InvariantCulture);

    private static string ConnectionString(string dataDir)
    {
        var port = int.Parse(File.ReadLines(Path.Combine(dataDir, "pg", "postmaster.pid")).ElementAt(3), System.Globalization.CultureInfo.InvariantCulture);
        return new NpgsqlConnectionStringBuilder
        {
            Host = "127.0.0.1",
            Port = port,
            Username = "postgres",
            Password = File.ReadAllText(Path.Combine(dataDir, "pg.password")).Trim(),
            Database = "devmentor",
            Pooling = false,
        }.ConnectionString;
    }

    private static async Task ExecuteAsync(string dataDir, string sql)
    {
        await using var connection = new NpgsqlConnection(ConnectionString(dataDir));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    private static async Task<object?> ScalarAsync(string dataDir, string sql)
    {
        await using var connection = new NpgsqlConnection(ConnectionString(dataDir));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return await command.ExecuteScalarAsync();
    }

    private static async Task WaitUntilAsync(Func<bool> condition, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not met in time");
            await Task.Delay(50);
        }
    }
}
