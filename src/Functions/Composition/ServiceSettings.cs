using System.Globalization;
using DevMentor.Core.Caching;
using DevMentor.Core.Storage.Azure;
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
    /// <summary>ConnectionStrings:Blob: an Azure Storage connection string; null = no connection string.</summary>
    public string? BlobConnectionString { get; init; }
    /// <summary>
    /// Blob:ServiceUri (or, with neither it nor ConnectionStrings:Blob set, the Functions host's own
    /// AzureWebJobsStorage:blobServiceUri): the account's blob endpoint, reached with Azure.Identity tokens.
    /// </summary>
    public Uri? BlobServiceUri { get; init; }
    /// <summary>The setting <see cref="BlobServiceUri"/> came from, for the start-up log.</summary>
    public string? BlobServiceUriKey { get; init; }
    /// <summary>Blob:ClientId (or AzureWebJobsStorage:clientId): a user-assigned managed identity; null = the system-assigned one.</summary>
    public string? BlobManagedIdentityClientId { get; init; }
    public string BlobContainer { get; init; } = "devmentor";
    /// <summary>ConnectionStrings:Redis; null = in-process cache and rate-limit counters.</summary>
    public string? RedisConnectionString { get; init; }
    public TimeSpan RedisConnectTimeout { get; init; } = TimeSpan.FromSeconds(3);
    public TimeSpan RedisOperationTimeout { get; init; } = TimeSpan.FromSeconds(1);
    public string RedisKeyPrefix { get; init; } = "devmentor:";

    /// <summary>Where the embedded filesystem blob store keeps its files.</summary>
    public string BlobDirectory => Path.Combine(DataDirectory, "blobs");

    /// <summary>Azure Blob Storage when a connection string or a service URI is set; the filesystem otherwise.</summary>
    public bool UsesAzureBlobStorage => BlobConnectionString is not null || BlobServiceUri is not null;

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

        var blob = configuration.GetConnectionString("Blob") is { Length: > 0 } b && !string.IsNullOrWhiteSpace(b) ? b : null;
        if (blob is not null)
        {
            try
            {
                _ = AzureStorageConnectionString.Parse(blob);
            }
            catch (FormatException e)
            {
                problems.Add($"ConnectionStrings:Blob: not a valid Azure Storage connection string: {e.Message}");
            }
        }

        // An identity-based connection as the Functions host spells it (AzureWebJobsStorage__blobServiceUri,
        // __clientId) serves when nothing names the blob store explicitly: a Flex Consumption app
        // with a managed identity then keeps its blobs in its own storage account, with no secret.
        var (serviceUriKey, clientIdKey) = (configuration["Blob:ServiceUri"] is { } own && !string.IsNullOrWhiteSpace(own)) || blob is not null
            ? ("Blob:ServiceUri", "Blob:ClientId")
            : ("AzureWebJobsStorage:blobServiceUri", "AzureWebJobsStorage:clientId");
        Uri? blobServiceUri = null;
        if (configuration[serviceUriKey] is { Length: > 0 } serviceUri && !string.IsNullOrWhiteSpace(serviceUri))
        {
            if (!Uri.TryCreate(serviceUri, UriKind.Absolute, out blobServiceUri) || blobServiceUri.Scheme is not ("https" or "http") || !string.IsNullOrEmpty(blobServiceUri.Query))
            {
                problems.Add($"{serviceUriKey}: '{serviceUri}' is not a blob service URI such as https://account.blob.core.windows.net.");
                blobServiceUri = null;
            }
            else if (blob is not null)
            {
                problems.Add("Blob:ServiceUri: set either it (managed identity) or ConnectionStrings:Blob, not both.");
            }
        }

        var clientId = blobServiceUri is not null && configuration[clientIdKey] is { } id && !string.IsNullOrWhiteSpace(id) ? id.Trim() : null;

        var container = configuration["Blob:Container"] is { Length: > 0 } c ? c : "devmentor";
        if (AzureBlobStore.CheckContainerName(container) is { } containerProblem)
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
            DataDirectory = Path.GetFullPath(dataDirectory, contentRoot),
            PostgresConnectionString = postgres,
            PostgresBinDirectory = configuration["Postgres:BinDirectory"] is { Length: > 0 } bin ? bin : null,
            PostgresAzureIdentity = postgresAzureIdentity,
            PostgresClientId = postgresClientId,
            MaxRequestBodyBytes = maxBody,
            UnderFunctionsHost = underFunctionsHost,
            SchedulerEnabled = scheduler,
            CorsOrigins = cors,
            BlobConnectionString = blob,
            BlobServiceUri = blobServiceUri,
            BlobServiceUriKey = blobServiceUri is null ? null : serviceUriKey,
            BlobManagedIdentityClientId = clientId,
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
