using DevMentor.Core.Data;
using DevMentor.Core.Data.Embedded;

namespace DevMentor.Functions.Composition;

/// <summary>
/// Opens the database before anything else starts: the configured server, or the embedded
/// cluster under the data dir. Applies migrations, and stops the embedded cluster last on shutdown.
/// </summary>
public sealed partial class DatabaseStartup(
    ServiceSettings settings,
    Database database,
    MigrationRunner migrations,
    ILoggerFactory loggerFactory,
    ILogger<DatabaseStartup> logger) : IHostedService
{
    private EmbeddedPostgres? _embedded;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (settings.PostgresConnectionString is { } connectionString)
        {
            var entra = settings.PostgresAzureIdentity ? PostgresEntraAuthentication.ManagedIdentity(settings.PostgresClientId) : null;
            database.Open(connectionString, $"PostgreSQL at {Database.Redact(connectionString)}{(entra is null ? "" : " (Microsoft Entra token)")}", entra);
        }
        else
        {
            _embedded = await EmbeddedPostgres.StartAsync(
                new EmbeddedPostgresOptions { DataDirectory = settings.DataDirectory, BinDirectory = settings.PostgresBinDirectory },
                loggerFactory.CreateLogger<EmbeddedPostgres>(),
                cancellationToken);
            database.Open(_embedded.ConnectionString,
                $"embedded PostgreSQL in {_embedded.ClusterDirectory} on 127.0.0.1:{_embedded.Port}{(_embedded.Adopted ? " (adopted from a previous run)" : "")}");
        }

        var applied = await migrations.ApplyAsync(cancellationToken);
        LogDatabaseReady(logger, database.Description, applied, settings.DataDirectory);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_embedded is not null)
        {
            await _embedded.StopAsync(cancellationToken);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Database: {Description}; {Applied} new migrations applied; data dir {DataDirectory}")]
    private static partial void LogDatabaseReady(ILogger logger, string description, int applied, string dataDirectory);
}
