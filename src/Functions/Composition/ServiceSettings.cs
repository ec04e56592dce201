using System.Globalization;
using DevMentor.Core.Caching;
using DevMentor.Core.Storage;
using DevMentor.Core.Storage.Account;
using Npgsql;

namespace DevMentor.Functions.Composition;

/// <summary>
/// The settings the service itself reads, parsed once at start. Every problem is collected and
/// reported together, each naming its key, so a misconfigured deployment fails in one go.
/// </summary>
public sealed record ServiceSettings
{
    public const int DefaultPort = 3004;

    public required string DataDirectory { get; init; }
    public string? PostgresConnectionString { get; init; }
    public string? PostgresBinDirectory { get; init; }
    /// <summary>Postgres:AzureIdentity: connect with a Microsoft Entra token of the managed identity as the password.</summary>
    public bool PostgresAzureIdentity { get; init; }
    /// <summary>Postgres:ClientId: the user-assigned identity for that token; null = system-assigned.</summary>
    public string? PostgresClientId { get; init; }
    public long MaxRequestBodyBytes { get; init; } = 1024 * 1024;
    /// <summary>True in the worker process the Azure Functions host started: the host serves HTTP and fires the timers.</summary>
    public bool UnderFunctionsHost { get; init; }
    public bool SchedulerEnabled { get; init; } = true;
    public IReadOnlyList<string> CorsOrigins { get; init; } = [];
    /// <summary>
    /// AzureWebJobsStorage: the storage account (connection string, identity-based, or the embedded
    /// Azurite when nothing is set). Blobs live in it; the Durable Task backend will too.
    /// </summary>
    public StorageAccountSettings Storage { get; init; } = new();
    /// <summary>Azurite:Path: the embedded Azurite's program; tools/azurite or PATH when null.</summary>
    public string? AzuritePath { get; init; }
    public string BlobContainer { get; init; } = "devmentor";
    /// <summary>ConnectionStrings:Redis; null = in-process cache and rate-limit counters.</summary>
    public string? RedisConnectionString { get; init; }
    public TimeSpan RedisConnectTimeout { get; init; } = TimeSpan.FromSeconds(3);
    public TimeSpan RedisOperationTimeout { get; init; } = TimeSpan.FromSeconds(1);
    public string RedisKeyPrefix { get; init; } = "devmentor:";

    /// <summary>No storage account configured: the service starts its own Azurite under the data dir.</summary>
    public bool UsesEmbeddedAzurite => Storage.Source == StorageAccountSource.Embedded;

    /// <summary>
    /// A data dir that is a symbolic link is used through its target: the embedded PostgreSQL runs as another user
    /// when the service runs as root, and that user must reach the directory without traversing the link's parent
    /// (scripts/run.sh links <c>.devmentor</c> elsewhere when the checkout is private to root).
    /// </summary>
    private static string ResolveLinks(string directory)
    {
        try
        {
            return new DirectoryInfo(directory).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? directory;
        }
        catch (IOException)
        {
            return directory;
        }
    }

    public static ServiceSettings Load(IConfiguration configuration, string contentRoot, bool underFunctionsHost = false)
    {
        var problems = new List<string>();

        var dataDirectory = configuration["DEVMENTOR_DATA_DIR"] is { Length: > 0 } dir ? dir : ".devmentor";
        if (dataDirectory.IndexOfAny(['\0', '\n']) >= 0)
        {
            problems.Add("DEVMENTOR_DATA_DIR: contains a control character.");
        }

        var postgres = configuration.GetConnectionString("Postgres");
        if (!string.IsNullOrWhiteSpace(postgres))
        {
            try
            {
                _ = new NpgsqlConnectionStringBuilder(postgres);
            }
            catch (ArgumentException e)
            {
                problems.Add($"ConnectionStrings:Postgres: not a valid PostgreSQL connection string ({e.Message}).");
            }
        }
        else
        {
            postgres = null;
        }

        var postgresAzureIdentity = SettingValues.Bool(configuration, "Postgres:AzureIdentity", false, problems);
        var postgresClientId = configuration["Postgres:ClientId"] is { } pgClientId && !string.IsNullOrWhiteSpace(pgClientId) ? pgClientId.Trim() : null;
        if (postgresAzureIdentity && postgres is null)
        {
            problems.Add("Postgres:AzureIdentity: needs ConnectionStrings:Postgres naming an Azure Database for PostgreSQL server, database and user.");
        }
        else if (postgresAzureIdentity && HasPassword(postgres!))
        {
            problems.Add("ConnectionStrings:Postgres: holds a password, but Postgres:AzureIdentity uses a Microsoft Entra token instead; remove the password.");
        }

        var scheduler = SettingValues.Bool(configuration, "Scheduler:Enabled", !underFunctionsHost, problems);
        var maxBody = SettingValues.Long(configuration, "Limits:MaxRequestBodyBytes", 1024 * 1024, 1, 1L << 34, problems);

        var cors = (configuration["Host:CORS"] ?? configuration["Cors:AllowedOrigins"] ?? "")
            .Split([',', ';', ' '], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        foreach (var origin in cors.Where(o => o != "*" && !Uri.TryCreate(o, UriKind.Absolute, out _)))
        {
            problems.Add($"Host:CORS: '{origin}' is not an absolute origin such as https://app.example.com.");
        }

        var storage = StorageAccountSettings.Load(configuration, problems);

        var container = configuration["Blob:Container"] is { Length: > 0 } c ? c : "devmentor";
        if (AzureBlobStoreOptions.CheckContainerName(container) is { } containerProblem)
        {
            problems.Add($"Blob:Container: '{container}' is not a valid container name: {containerProblem}.");
        }

        var redis = configuration.GetConnectionString("Redis") is { Length: > 0 } r && !string.IsNullOrWhiteSpace(r) ? r : null;
        var redisConnectTimeout = SettingValues.Int(configuration, "Redis:ConnectTimeoutMs", 3000, 100, 60_000, problems);
        var redisOperationTimeout = SettingValues.Int(configuration, "Redis:OperationTimeoutMs", 1000, 10, 60_000, problems);
        var redisKeyPrefix = configuration["Redis:KeyPrefix"] ?? "devmentor:";
        if (redis is not null)
        {
            try
            {
                _ = RedisConnection.Configure(new RedisOptions { ConnectionString = redis });
            }
            catch (ArgumentException e)
            {
                problems.Add($"ConnectionStrings:Redis: not a valid Redis configuration string: {e.Message}");
            }
        }

        if (problems.Count > 0)
        {
            throw new InvalidConfigurationException(problems);
        }

        return new ServiceSettings
        {
            DataDirectory = ResolveLinks(Path.GetFullPath(dataDirectory, contentRoot)),
            PostgresConnectionString = postgres,
            PostgresBinDirectory = configuration["Postgres:BinDirectory"] is { Length: > 0 } bin ? bin : null,
            PostgresAzureIdentity = postgresAzureIdentity,
            PostgresClientId = postgresClientId,
            MaxRequestBodyBytes = maxBody,
            UnderFunctionsHost = underFunctionsHost,
            SchedulerEnabled = scheduler,
            CorsOrigins = cors,
            Storage = storage,
            AzuritePath = configuration["Azurite:Path"] is { Length: > 0 } azurite && !string.IsNullOrWhiteSpace(azurite) ? azurite.Trim() : null,
            BlobContainer = container,
            RedisConnectionString = redis,
            RedisConnectTimeout = TimeSpan.FromMilliseconds(redisConnectTimeout),
            RedisOperationTimeout = TimeSpan.FromMilliseconds(redisOperationTimeout),
            RedisKeyPrefix = redisKeyPrefix,
        };
    }

    private static bool HasPassword(string connectionString)
    {
        try
        {
            return new NpgsqlConnectionStringBuilder(connectionString).Password is { Length: > 0 };
        }
        catch (ArgumentException)
        {
            return false; // already reported as an invalid connection string
        }
    }
}
