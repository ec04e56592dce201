using Azure.Core;

namespace DevMentor.Core.Storage.Account;

/// <summary>
/// The storage account the service uses (the Functions app's <c>AzureWebJobsStorage</c>): the blob
/// store lives in it, and the Durable Task backend needs its blob, queue and table services too.
/// Either <see cref="ConnectionString"/> is set (account key, SAS, Azurite), or the service URIs
/// with <see cref="Credential"/> (Microsoft Entra ID tokens: a managed identity in Azure).
/// </summary>
public sealed record StorageAccount
{
    /// <summary>Azurite's (and the old emulator's) account: public and the same everywhere.</summary>
    public const string DevelopmentAccountName = "devstoreaccount1";

    /// <summary>Azurite's well-known key: public, but still never logged (a log should not teach a reader to look for keys).</summary>
    public const string DevelopmentAccountKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    /// <summary>A connection string the SDKs accept as is (DurableTask.AzureStorage too); null with an identity.</summary>
    public string? ConnectionString { get; init; }

    public required Uri BlobServiceUri { get; init; }

    /// <summary>Known for identity-based and embedded accounts; with a connection string the SDKs read it from the string.</summary>
    public Uri? QueueServiceUri { get; init; }

    public Uri? TableServiceUri { get; init; }

    /// <summary>Tokens for the identity-based form; null with a connection string.</summary>
    public TokenCredential? Credential { get; init; }

    /// <summary>Where it is and how it is reached, for the start log and readiness; never a secret.</summary>
    public required string Description { get; init; }

    /// <summary>Azurite on loopback at the given ports, reached with the well-known account (or the given key for it).</summary>
    public static StorageAccount ForAzurite(int blobPort, int queuePort, int tablePort, string description, string accountKey = DevelopmentAccountKey)
    {
        var blob = new Uri($"http://127.0.0.1:{blobPort}/{DevelopmentAccountName}");
        var queue = new Uri($"http://127.0.0.1:{queuePort}/{DevelopmentAccountName}");
        var table = new Uri($"http://127.0.0.1:{tablePort}/{DevelopmentAccountName}");
        return new StorageAccount
        {
            ConnectionString = $"DefaultEndpointsProtocol=http;AccountName={DevelopmentAccountName};AccountKey={accountKey};" +
                $"BlobEndpoint={blob};QueueEndpoint={queue};TableEndpoint={table};",
            BlobServiceUri = blob,
            QueueServiceUri = queue,
            TableServiceUri = table,
            Description = description,
        };
    }

    public override string ToString() => Description;
}
