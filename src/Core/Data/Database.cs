using Npgsql;

namespace DevMentor.Core.Data;

/// <summary>
/// The service's one PostgreSQL data source. Its connection string is known only after start-up
/// (the embedded cluster picks a free port), so it is created by <see cref="Open"/> and read lazily.
/// </summary>
public sealed class Database : IAsyncDisposable
{
    private NpgsqlDataSource? _dataSource;

    public NpgsqlDataSource DataSource =>
        _dataSource ?? throw new InvalidOperationException("The database is not open yet: it opens while the service starts.");

    /// <summary>Where the data lives, for the start log and /health/ready (no password).</summary>
    public string Description { get; private set; } = "not started";

    /// <param name="entraCredential">With Postgres:AzureIdentity: the identity whose Entra token is the password.</param>
    public void Open(string connectionString, string description, Azure.Core.TokenCredential? entraCredential = null)
    {
        var builder = new NpgsqlDataSourceBuilder(connectionString);
        if (entraCredential is not null)
        {
            PostgresEntraAuthentication.Apply(builder, entraCredential);
        }

        builder.ConnectionStringBuilder.ApplicationName ??= "devmentor-project-service";
        if (builder.ConnectionStringBuilder.MaxAutoPrepare == 0)
        {
            // Hot statements (project lookups, lists) are prepared once per connection instead of parsed and planned per call.
            builder.ConnectionStringBuilder.MaxAutoPrepare = 64;
        }
        _dataSource = builder.Build();
        Description = description;
    }

    public async ValueTask DisposeAsync()
    {
        if (_dataSource is not null)
        {
            await _dataSource.DisposeAsync();
        }
    }

    public static string Redact(string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        return $"{builder.Host}:{builder.Port}/{builder.Database} as {builder.Username}";
    }
}
