using Azure.Core;
using Azure.Identity;
using Azure.Storage.Blobs;
using Microsoft.Extensions.Configuration;

namespace DevMentor.Core.Storage.Account;

public enum StorageAccountSource
{
    /// <summary>Nothing configured: an Azurite the service starts itself under the data dir.</summary>
    Embedded,
    /// <summary><c>AzureWebJobsStorage</c> holds a connection string (account key, SAS, <c>UseDevelopmentStorage=true</c>).</summary>
    ConnectionString,
    /// <summary><c>AzureWebJobsStorage__accountName</c> or <c>__blobServiceUri</c>: Microsoft Entra ID tokens.</summary>
    Identity,
}

/// <summary>
/// Which storage account the settings name, following the Azure Functions conventions for
/// <c>AzureWebJobsStorage</c>, highest first: a connection string in <c>AzureWebJobsStorage</c>;
/// identity-based <c>AzureWebJobsStorage__accountName</c> or <c>__blobServiceUri</c>
/// (<c>__queueServiceUri</c>, <c>__tableServiceUri</c>, <c>__credential</c>, <c>__clientId</c>);
/// nothing at all: the embedded Azurite.
/// </summary>
public sealed record StorageAccountSettings
{
    public const string Key = "AzureWebJobsStorage";

    /// <summary>Settings an earlier version read for blobs; a start with one of them set stops, naming its replacement.</summary>
    private static readonly (string Key, string Replacement)[] Superseded =
    [
        ("ConnectionStrings:Blob", "put the connection string in AzureWebJobsStorage"),
        ("Blob:ServiceUri", "set AzureWebJobsStorage__blobServiceUri (or AzureWebJobsStorage__accountName)"),
        ("Blob:ClientId", "set AzureWebJobsStorage__clientId"),
    ];

    public StorageAccountSource Source { get; init; } = StorageAccountSource.Embedded;
    public string? ConnectionString { get; init; }
    public Uri? BlobServiceUri { get; init; }
    public Uri? QueueServiceUri { get; init; }
    public Uri? TableServiceUri { get; init; }
    /// <summary>A user-assigned managed identity's client id; null = the system-assigned one.</summary>
    public string? ClientId { get; init; }
    /// <summary><c>__credential = managedidentity</c>: only the managed identity, not the DefaultAzureCredential chain.</summary>
    public bool ManagedIdentityOnly { get; init; }
    /// <summary>The setting the account came from, for the start log.</summary>
    public string Origin { get; init; } = "embedded";

    /// <summary>Reads the settings; each problem (naming its key, never a secret) goes to <paramref name="problems"/>.</summary>
    public static StorageAccountSettings Load(IConfiguration configuration, ICollection<string> problems)
    {
        foreach (var (key, replacement) in Superseded)
        {
            if (!string.IsNullOrWhiteSpace(configuration[key]))
            {
                problems.Add($"{key}: no longer read (docs/adr/0011): {replacement}.");
            }
        }

        var section = configuration.GetSection(Key);
        if (section.Value is { } connectionString && !string.IsNullOrWhiteSpace(connectionString))
        {
            return FromConnectionString(connectionString.Trim(), problems);
        }

        var clientId = Text(section["clientId"]);
        var credential = Text(section["credential"]);
        if (credential is not null && !credential.Equals("managedidentity", StringComparison.OrdinalIgnoreCase))
        {
            problems.Add($"{Key}:credential: '{credential}' is not supported; the only value is 'managedidentity' (leave it empty for DefaultAzureCredential).");
        }

        var managedIdentityOnly = credential is not null;
        if (Text(section["accountName"]) is { } accountName)
        {
            if (accountName.Length is < 3 or > 24 || !accountName.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c)))
            {
                problems.Add($"{Key}:accountName: '{accountName}' is not a storage account name (3 to 24 lower-case letters and digits).");
                return new StorageAccountSettings();
            }

            return new StorageAccountSettings
            {
                Source = StorageAccountSource.Identity,
                BlobServiceUri = new Uri($"https://{accountName}.blob.core.windows.net"),
                QueueServiceUri = new Uri($"https://{accountName}.queue.core.windows.net"),
                TableServiceUri = new Uri($"https://{accountName}.table.core.windows.net"),
                ClientId = clientId,
                ManagedIdentityOnly = managedIdentityOnly,
                Origin = $"{Key}:accountName",
            };
        }

        if (Text(section["blobServiceUri"]) is { } blob)
        {
            var blobUri = ServiceUri(section, "blobServiceUri", blob, problems);
            var queueUri = Text(section["queueServiceUri"]) is { } queue ? ServiceUri(section, "queueServiceUri", queue, problems) : Sibling(blobUri, "queue");
            var tableUri = Text(section["tableServiceUri"]) is { } table ? ServiceUri(section, "tableServiceUri", table, problems) : Sibling(blobUri, "table");
            return new StorageAccountSettings
            {
                Source = StorageAccountSource.Identity,
                BlobServiceUri = blobUri,
                QueueServiceUri = queueUri,
                TableServiceUri = tableUri,
                ClientId = clientId,
                ManagedIdentityOnly = managedIdentityOnly,
                Origin = $"{Key}:blobServiceUri",
            };
        }

        return new StorageAccountSettings();
    }

    /// <summary>The account for a configured (not embedded) source; <paramref name="credential"/> replaces the one the settings make.</summary>
    public StorageAccount ToAccount(TokenCredential? credential = null)
    {
        switch (Source)
        {
            case StorageAccountSource.ConnectionString:
                var blobUri = BlobServiceUri!;
                var scheme = ConnectionString!.Contains("UseDevelopmentStorage", StringComparison.OrdinalIgnoreCase) ? "UseDevelopmentStorage=true"
                    : ConnectionString.Contains("SharedAccessSignature", StringComparison.OrdinalIgnoreCase) ? "SAS"
                    : "account key";
                return new StorageAccount
                {
                    ConnectionString = ConnectionString,
                    BlobServiceUri = blobUri,
                    Description = $"{blobUri.AbsoluteUri.TrimEnd('/')} (connection string from {Key}, {scheme})",
                };
            case StorageAccountSource.Identity:
                return new StorageAccount
                {
                    BlobServiceUri = BlobServiceUri!,
                    QueueServiceUri = QueueServiceUri,
                    TableServiceUri = TableServiceUri,
                    Credential = credential ?? CreateCredential(),
                    Description = $"{BlobServiceUri!.AbsoluteUri.TrimEnd('/')} (Microsoft Entra ID tokens from {(ManagedIdentityOnly ? "the managed identity" : "DefaultAzureCredential")}" +
                        $"{(ClientId is null ? "" : $", client id {ClientId}")}; {Origin})",
                };
            default:
                throw new InvalidOperationException("The embedded Azurite's account is known once it has started.");
        }
    }

    /// <summary>The Functions host's rule: <c>credential=managedidentity</c> is the managed identity alone, otherwise DefaultAzureCredential.</summary>
    public TokenCredential CreateCredential() => ManagedIdentityOnly
        ? new ManagedIdentityCredential(ClientId is null ? ManagedIdentityId.SystemAssigned : ManagedIdentityId.FromUserAssignedClientId(ClientId))
        : new DefaultAzureCredential(new DefaultAzureCredentialOptions { ManagedIdentityClientId = ClientId });

    private static StorageAccountSettings FromConnectionString(string connectionString, ICollection<string> problems)
    {
        Uri blobUri;
        try
        {
            // The SDK parses it, as it will when connecting; its messages name parts, never values.
            blobUri = new BlobServiceClient(connectionString).Uri;
        }
        catch (Exception e) when (e is FormatException or ArgumentException or InvalidOperationException)
        {
            problems.Add($"{Key}: not a valid storage connection string ({Redact(e.Message, connectionString)}).");
            return new StorageAccountSettings();
        }

        return new StorageAccountSettings
        {
            Source = StorageAccountSource.ConnectionString,
            ConnectionString = connectionString,
            // A SAS connection string puts its token in the client's URI: never keep (or log) it.
            BlobServiceUri = new Uri(blobUri.GetLeftPart(UriPartial.Path)),
            Origin = Key,
        };
    }

    private static Uri? ServiceUri(IConfigurationSection section, string name, string value, ICollection<string> problems)
    {
        if (Uri.TryCreate(value, UriKind.Absolute, out var uri) && uri.Scheme == "https" && string.IsNullOrEmpty(uri.Query) && uri.UserInfo.Length == 0)
        {
            return uri;
        }

        problems.Add($"{Key}:{name}: '{value}' is not an https service URI such as https://account.{name[..^"ServiceUri".Length]}.core.windows.net (tokens are only sent over TLS).");
        return null;
    }

    /// <summary>https://acct.blob.core.windows.net → https://acct.queue.core.windows.net; null for other shapes.</summary>
    private static Uri? Sibling(Uri? blob, string service)
    {
        if (blob is null)
        {
            return null;
        }

        var labels = blob.Host.Split('.');
        if (labels.Length < 3 || labels[1] != "blob")
        {
            return null;
        }

        labels[1] = service;
        return new UriBuilder(blob) { Host = string.Join('.', labels) }.Uri;
    }

    private static string? Text(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

    private static string Redact(string message, string connectionString)
    {
        foreach (var part in connectionString.Split(';', StringSplitOptions.RemoveEmptyEntries))
        {
            var equals = part.IndexOf('=', StringComparison.Ordinal);
            if (equals > 0 && equals < part.Length - 1)
            {
                message = message.Replace(part[(equals + 1)..], "***", StringComparison.Ordinal);
            }
        }

        return message;
    }
}
