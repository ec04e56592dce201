using DevMentor.Core.Data.Embedded;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace DevMentor.Functions.Tests.Infrastructure;

/// <summary>
/// One throwaway PostgreSQL cluster per test run, started with the service's own embedded-cluster
/// code (fsync off). Each test class gets a database of its own from <see cref="CreateDatabaseAsync"/>.
/// A missing PostgreSQL fails the tests loudly; nothing is skipped.
/// </summary>
public static class TestPostgres
{
    private static readonly Lazy<Task<EmbeddedPostgres>> Server = new(StartAsync);
    private static int _databaseCounter;

    /// <summary>Root for every test's scratch files; postgres (as its own user) must be able to traverse it.</summary>
    public static string ScratchRoot { get; } = Path.Combine(Path.GetTempPath(), "devmentor-tests", Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture));

    public static Task<EmbeddedPostgres> InstanceAsync() => Server.Value;

    /// <summary>A new, empty database on the shared cluster; returns its connection string.</summary>
    public static async Task<string> CreateDatabaseAsync(string purpose)
    {
        var server = await Server.Value;
        var name = $"t{Interlocked.Increment(ref _databaseCounter)}_{new string(purpose.ToLowerInvariant().Where(char.IsAsciiLetterOrDigit).Take(40).ToArray())}";
        await using (var admin = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(server.AdminConnectionString) { Pooling = false }.ConnectionString))
        {
            await admin.OpenAsync();
            // Owned by the role the service connects as, as in the embedded cluster: tests run without superuser rights too.
            await using var create = new NpgsqlCommand($"CREATE DATABASE \"{name}\" OWNER {EmbeddedPostgres.ServiceRole}", admin);
            await create.ExecuteNonQueryAsync();
        }

        return new NpgsqlConnectionStringBuilder(server.ConnectionString) { Database = name }.ConnectionString;
    }

    private static async Task<EmbeddedPostgres> StartAsync()
    {
        Directory.CreateDirectory(ScratchRoot);
        var server = await EmbeddedPostgres.StartAsync(
            new EmbeddedPostgresOptions { DataDirectory = Path.Combine(ScratchRoot, "shared-pg"), Durable = false },
            NullLogger.Instance,
            CancellationToken.None);
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            server.StopAsync(CancellationToken.None).GetAwaiter().GetResult();
            TryDelete(ScratchRoot);
        };
        return server;
    }

    private static void TryDelete(string directory)
    {
        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Scratch space only; scripts/test.sh sweeps what is left.
        }
    }
}
