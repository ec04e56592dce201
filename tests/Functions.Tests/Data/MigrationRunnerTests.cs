using DevMentor.Core.Data;
using DevMentor.Functions.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace DevMentor.Functions.Tests.Data;

public sealed class MigrationRunnerTests
{
    private static async Task<Database> OpenAsync(string purpose)
    {
        var database = new Database();
        database.Open(await TestPostgres.CreateDatabaseAsync(purpose), purpose);
        return database;
    }

    private static MigrationRunner Runner(Database database) => new(database, NullLogger<MigrationRunner>.Instance);

    [Fact]
    public async Task Embedded_migrations_apply_once_and_are_recorded()
    {
        await using var database = await OpenAsync("migrations_embedded");

        var first = await Runner(database).ApplyAsync(CancellationToken.None);
        var second = await Runner(database).ApplyAsync(CancellationToken.None);

        Assert.Equal(MigrationRunner.Embedded.Count, first);
        Assert.Equal(0, second);
        await using var command = database.DataSource.CreateCommand("SELECT count(*) FROM schema_migrations");
        Assert.Equal((long)MigrationRunner.Embedded.Count, await command.ExecuteScalarAsync());
    }

    [Fact]
    public async Task Instances_starting_together_apply_each_migration_exactly_once()
    {
        var connectionString = await TestPostgres.CreateDatabaseAsync("migrations_concurrent");
        await using var database = new Database();
        database.Open(connectionString, "check");
        // Non-idempotent on purpose: applying either twice would fail.
        Migration[] migrations =
        [
            new(1, "0001_a.sql", "CREATE TABLE a (id int); SELECT pg_sleep(0.2);"),
            new(2, "0002_b.sql", "CREATE TABLE b (id int); INSERT INTO b VALUES (1);"),
            new(3, "0003_c.sql", "ALTER TABLE b ADD COLUMN c text;"),
        ];

        var results = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => Task.Run(async () =>
        {
            await using var own = new Database();
            own.Open(connectionString, "instance");
            return await Runner(own).ApplyAsync(migrations, CancellationToken.None);
        })));

        Assert.Equal(3, results.Sum());
        await using var count = database.DataSource.CreateCommand("SELECT count(*) FROM schema_migrations");
        Assert.Equal(3L, await count.ExecuteScalarAsync());
        await using var rows = database.DataSource.CreateCommand("SELECT count(*) FROM b");
        Assert.Equal(1L, await rows.ExecuteScalarAsync());
    }

    [Fact]
    public async Task A_failing_migration_names_its_file_and_error_and_leaves_nothing_half_applied()
    {
        await using var database = await OpenAsync("migrations_failing");
        Migration[] migrations =
        [
            new(1, "0001_ok.sql", "CREATE TABLE ok_table (id int);"),
            new(2, "0002_broken.sql", "CREATE TABLE half (id int); SELEC 1;"),
        ];

        var error = await Assert.ThrowsAsync<MigrationFailedException>(() => Runner(database).ApplyAsync(migrations, CancellationToken.None));

        Assert.Contains("0002_broken.sql", error.Message, StringComparison.Ordinal);
        Assert.Contains("syntax error", error.Message, StringComparison.Ordinal);
        await using var half = database.DataSource.CreateCommand("SELECT to_regclass('half') IS NULL");
        Assert.Equal(true, await half.ExecuteScalarAsync());
        await using var recorded = database.DataSource.CreateCommand("SELECT string_agg(name, ',') FROM schema_migrations");
        Assert.Equal("0001_ok.sql", await recorded.ExecuteScalarAsync());
    }

    [Fact]
    public async Task An_applied_migration_that_was_edited_stops_the_start()
    {
        await using var database = await OpenAsync("migrations_edited");
        await Runner(database).ApplyAsync([new(1, "0001_x.sql", "CREATE TABLE x (id int);")], CancellationToken.None);

        var error = await Assert.ThrowsAsync<MigrationFailedException>(() =>
            Runner(database).ApplyAsync([new(1, "0001_x.sql", "CREATE TABLE x (id bigint);")], CancellationToken.None));

        Assert.Contains("0001_x.sql was changed after it was applied", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Embedded_migrations_are_numbered_in_order_and_load_from_the_assembly()
    {
        var versions = MigrationRunner.Embedded.Select(m => m.Version).ToList();
        Assert.Equal(1, versions[0]);
        Assert.Equal(versions.Order().Distinct(), versions);
        Assert.All(MigrationRunner.Embedded, m => Assert.False(string.IsNullOrWhiteSpace(m.Sql), m.Name));
    }

    [Fact]
    public async Task Service_start_fails_naming_the_migration_when_one_fails()
    {
        var connectionString = await TestPostgres.CreateDatabaseAsync("migrations_start");
        // A table the first migration wants to create already exists, so it fails at start.
        await using (var connection = new NpgsqlConnection(connectionString))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand("CREATE TABLE timer_runs (x int)", connection);
            await command.ExecuteNonQueryAsync();
        }

        var error = await Assert.ThrowsAsync<MigrationFailedException>(() => TestApp.StartAsync(connectionString));

        Assert.Contains("0001_foundation.sql", error.Message, StringComparison.Ordinal);
        Assert.Contains("already exists", error.Message, StringComparison.Ordinal);
    }
}
