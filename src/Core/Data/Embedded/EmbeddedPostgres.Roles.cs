using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace DevMentor.Core.Data.Embedded;

/// <summary>
/// Who may connect to the embedded cluster: every role with its password (no trust), the service
/// as <see cref="ServiceRole"/>, which owns the app database and has no other right.
/// </summary>
public sealed partial class EmbeddedPostgres
{
    /// <summary>
    /// A cluster set up with trust by an older version (any <c>trust</c> line in pg_hba.conf) gets
    /// the superuser password from pg.password first (trust lets this connection in whatever it
    /// sends), then scram-sha-256 everywhere and a reload.
    /// </summary>
    private async Task RequirePasswordsAsync(CancellationToken cancellationToken)
    {
        var lines = await File.ReadAllLinesAsync(HbaFile, cancellationToken);
        if (!lines.Any(IsTrustLine))
        {
            return;
        }

        var password = (await File.ReadAllTextAsync(PasswordFile, cancellationToken)).Trim();
        await using (var connection = new NpgsqlConnection(BuildConnectionString(Port, password, "postgres", SuperUser)))
        {
            await connection.OpenAsync(cancellationToken);
            await ExecuteAsync(connection, $"ALTER ROLE \"{SuperUser}\" PASSWORD {Literal(password)}", cancellationToken);
        }

        var rewritten = lines.Select(l => IsTrustLine(l) ? TrustPattern().Replace(l, "scram-sha-256") : l).ToList();
        var scratch = HbaFile + ".new";
        await File.WriteAllLinesAsync(scratch, rewritten, cancellationToken);
        File.SetUnixFileMode(scratch, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        if (_runAsPostgresUser)
        {
            await ChangeOwnerToPostgresAsync(scratch, cancellationToken);
        }

        File.Move(scratch, HbaFile, overwrite: true);
        await using (var connection = new NpgsqlConnection(BuildConnectionString(Port, password, "postgres", SuperUser)))
        {
            await connection.OpenAsync(cancellationToken);
            await ExecuteAsync(connection, "SELECT pg_reload_conf()", cancellationToken);
        }

        NpgsqlConnection.ClearAllPools();
        LogTrustRemoved(_logger, HbaFile);
    }

    private static bool IsTrustLine(string line) =>
        !line.TrimStart().StartsWith('#') && TrustPattern().IsMatch(line);

    [System.Text.RegularExpressions.GeneratedRegex(@"(?<=\s)trust(?=\s|$)")]
    private static partial System.Text.RegularExpressions.Regex TrustPattern();

    /// <summary>
    /// The app database, owned by <see cref="ServiceRole"/> (created, or given to it with every
    /// table and sequence an older version made as the superuser); the service connects as that role.
    /// </summary>
    private async Task EnsureDatabaseAsync(CancellationToken cancellationToken)
    {
        var password = (await File.ReadAllTextAsync(PasswordFile, cancellationToken)).Trim();
        if (!File.Exists(ServicePasswordFile))
        {
            await File.WriteAllTextAsync(ServicePasswordFile, Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24)), cancellationToken);
            File.SetUnixFileMode(ServicePasswordFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        var servicePassword = (await File.ReadAllTextAsync(ServicePasswordFile, cancellationToken)).Trim();
        var role = Identifier(ServiceRole);
        var database = Identifier(_options.Database);
        await using (var connection = new NpgsqlConnection(BuildConnectionString(Port, password, "postgres", SuperUser)))
        {
            await connection.OpenAsync(cancellationToken);
            await using (var roleExists = new NpgsqlCommand("SELECT 1 FROM pg_roles WHERE rolname = $1", connection))
            {
                roleExists.Parameters.AddWithValue(ServiceRole);
                var options = "LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD " + Literal(servicePassword);
                try
                {
                    await ExecuteAsync(connection, await roleExists.ExecuteScalarAsync(cancellationToken) is null
                        ? $"CREATE ROLE {role} {options}"
                        : $"ALTER ROLE {role} {options}", cancellationToken);
                }
                catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.DuplicateObject)
                {
                    // Created by a concurrent starter: fine.
                }
            }

            await using var exists = new NpgsqlCommand("SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = $1", connection);
            exists.Parameters.AddWithValue(_options.Database);
            var owner = await exists.ExecuteScalarAsync(cancellationToken) as string;
            try
            {
                if (owner is null)
                {
                    await ExecuteAsync(connection, $"CREATE DATABASE {database} OWNER {role}", cancellationToken);
                }
                else if (owner != ServiceRole)
                {
                    await ExecuteAsync(connection, $"ALTER DATABASE {database} OWNER TO {role}", cancellationToken);
                }
            }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.DuplicateDatabase)
            {
                // Created by a concurrent starter: fine.
            }
        }

        // What an older version created as the superuser in the app database goes to the service's role.
        await using (var connection = new NpgsqlConnection(BuildConnectionString(Port, password, _options.Database, SuperUser)))
        {
            await connection.OpenAsync(cancellationToken);
            await ExecuteAsync(connection, $$"""
                DO $$
                DECLARE r record;
                BEGIN
                    FOR r IN
                        SELECT format('ALTER TABLE %I.%I OWNER TO {{role}}', n.nspname, c.relname) AS ddl
                        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                        WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')
                          AND pg_get_userbyid(c.relowner) <> '{{ServiceRole}}'
                          AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = c.oid AND d.classid = 'pg_class'::regclass AND d.deptype IN ('a', 'i'))
                    LOOP
                        EXECUTE r.ddl;
                    END LOOP;
                END $$
                """, cancellationToken);
        }

        ConnectionString = BuildConnectionString(Port, servicePassword, _options.Database, ServiceRole);
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Identifiers and DDL passwords cannot be parameters; both come from our own options and generators, quoted.</summary>
    private static string Identifier(string name) => "\"" + name.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    private static string Literal(string value) => "'" + value.Replace("'", "''", StringComparison.Ordinal) + "'";
}
