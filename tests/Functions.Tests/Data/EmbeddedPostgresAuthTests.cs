using DevMentor.Core.Data.Embedded;
using DevMentor.Functions.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace DevMentor.Functions.Tests.Data;

/// <summary>
/// The embedded cluster asks every role for its password, and the service connects as a role with
/// no special rights that owns the app database; a cluster left with trust by an older version is
/// switched over, its tables handed to that role.
/// </summary>
public sealed class EmbeddedPostgresAuthTests
{
    [Fact]
    public async Task The_service_role_owns_the_database_without_special_rights_and_no_role_gets_in_without_its_password_even_after_trust()
    {
        Directory.CreateDirectory(TestPostgres.ScratchRoot);
        var options = new EmbeddedPostgresOptions
        {
            DataDirectory = Path.Combine(TestPostgres.ScratchRoot, "pgauth-" + Guid.NewGuid().ToString("N")[..8]),
            Durable = false,
        };
        var server = await EmbeddedPostgres.StartAsync(options, NullLogger.Instance, CancellationToken.None);
        try
        {
            Assert.Equal(EmbeddedPostgres.ServiceRole, new NpgsqlConnectionStringBuilder(server.ConnectionString).Username);
            await AssertServiceRoleAsync(server.ConnectionString);
            await AssertRefusedAsync(server.Port, "postgres", null);
            await AssertRefusedAsync(server.Port, "postgres", "wrong-password");
            await AssertRefusedAsync(server.Port, EmbeddedPostgres.ServiceRole, null);

            // What an older version left: a table the superuser owns, and trust for every connection.
            await ExecuteAsync(Superuser(options.DataDirectory, server.Port), "CREATE TABLE legacy_marker (note text)");
            await server.StopAsync(CancellationToken.None);
            var hba = Path.Combine(server.ClusterDirectory, "pg_hba.conf");
            await File.WriteAllTextAsync(hba, (await File.ReadAllTextAsync(hba)).Replace("scram-sha-256", "trust", StringComparison.Ordinal));
            NpgsqlConnection.ClearAllPools();

            server = await EmbeddedPostgres.StartAsync(options, NullLogger.Instance, CancellationToken.None);
            Assert.DoesNotContain(File.ReadLines(hba), l => !l.TrimStart().StartsWith('#') && l.Contains("trust", StringComparison.Ordinal));
            await AssertRefusedAsync(server.Port, "postgres", null);
            await AssertRefusedAsync(server.Port, "postgres", "wrong-password");
            await AssertServiceRoleAsync(server.ConnectionString);
            Assert.Equal(EmbeddedPostgres.ServiceRole, await ScalarAsync(server.ConnectionString,
                "SELECT pg_get_userbyid(relowner) FROM pg_class WHERE relname = 'legacy_marker'"));
            await ExecuteAsync(server.ConnectionString, "INSERT INTO legacy_marker VALUES ('usable by the service')");
        }
        finally
        {
            await server.StopAsync(CancellationToken.None);
        }
    }

    private static async Task AssertServiceRoleAsync(string connectionString)
    {
        Assert.Equal(false, await ScalarAsync(connectionString, "SELECT rolsuper OR rolcreaterole OR rolcreatedb OR rolbypassrls FROM pg_roles WHERE rolname = current_user"));
        Assert.Equal(true, await ScalarAsync(connectionString, "SELECT pg_get_userbyid(datdba) = current_user FROM pg_database WHERE datname = current_database()"));
        await ExecuteAsync(connectionString, "CREATE TABLE IF NOT EXISTS owned_by_service (id int)");
        var denied = await Assert.ThrowsAsync<PostgresException>(() => ExecuteAsync(connectionString, "CREATE ROLE intruder SUPERUSER"));
        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, denied.SqlState);
        var noFiles = await Assert.ThrowsAsync<PostgresException>(() => ScalarAsync(connectionString, "SELECT pg_read_file('postgresql.conf')"));
        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, noFiles.SqlState);
    }

    private static async Task AssertRefusedAsync(int port, string user, string? password)
    {
        var connectionString = new NpgsqlConnectionStringBuilder
        {
            Host = "127.0.0.1", Port = port, Username = user, Password = password, Database = "postgres", Pooling = false,
        }.ConnectionString;
        var refused = await Assert.ThrowsAnyAsync<NpgsqlException>(() => ScalarAsync(connectionString, "SELECT 1"));
        Assert.True(refused is PostgresException { SqlState: PostgresErrorCodes.InvalidPassword } || refused.Message.Contains("password", StringComparison.OrdinalIgnoreCase),
            $"{user} with {(password is null ? "no password" : "a wrong password")}: {refused.Message}");
    }

    private static string Superuser(string dataDirectory, int port) => new NpgsqlConnectionStringBuilder
    {
        Host = "127.0.0.1", Port = port, Username = "postgres", Database = "devmentor", Pooling = false,
        Password = File.ReadAllText(Path.Combine(dataDirectory, "pg.password")).Trim(),
    }.ConnectionString;

    private static async Task ExecuteAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString + ";Pooling=false");
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    private static async Task<object?> ScalarAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString + ";Pooling=false");
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return await command.ExecuteScalarAsync();
    }
}
