namespace DevMentor.Core.Storage.Azure;

/// <summary>
/// The parts of an Azure Storage connection string the blob adapter uses: the blob endpoint and
/// a credential (account key for SharedKey, or a SAS). <c>UseDevelopmentStorage=true</c> means
/// Azurite with its public well-known account. <see cref="ToString"/> never shows the secret.
/// </summary>
public sealed record AzureStorageConnectionString
{
    /// <summary>Azurite's (and the old storage emulator's) account: public and identical everywhere.</summary>
    public const string DevelopmentAccountName = "devstoreaccount1";

    public const string DevelopmentAccountKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    public required Uri BlobEndpoint { get; init; }
    public required string AccountName { get; init; }
    /// <summary>The decoded account key, when SharedKey is used.</summary>
    public byte[]? AccountKey { get; init; }
    /// <summary>A SAS query string without '?', when a SAS is used.</summary>
    public string? SharedAccessSignature { get; init; }

    /// <summary>Parses a connection string; <see cref="FormatException"/> messages never contain the secret.</summary>
    public static AzureStorageConnectionString Parse(string connectionString)
    {
        ArgumentNullException.ThrowIfNull(connectionString);
        var parts = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var part in connectionString.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var equals = part.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0)
            {
                throw new FormatException("expected Name=value pairs separated by ';'.");
            }

            parts[part[..equals].Trim()] = part[(equals + 1)..].Trim();
        }

        if (parts.TryGetValue("UseDevelopmentStorage", out var development) && bool.TryParse(development, out var useDevelopment) && useDevelopment)
        {
            var endpoint = new Uri("http://127.0.0.1:10000/devstoreaccount1");
            if (parts.TryGetValue("DevelopmentStorageProxyUri", out var proxy))
            {
                if (!Uri.TryCreate(proxy, UriKind.Absolute, out var proxyUri))
                {
                    throw new FormatException("DevelopmentStorageProxyUri is not an absolute URI.");
                }

                endpoint = new UriBuilder(proxyUri) { Port = 10000, Path = "/devstoreaccount1" }.Uri;
            }

            return new AzureStorageConnectionString
            {
                BlobEndpoint = endpoint,
                AccountName = DevelopmentAccountName,
                AccountKey = Convert.FromBase64String(DevelopmentAccountKey),
            };
        }

        parts.TryGetValue("AccountName", out var account);
        parts.TryGetValue("AccountKey", out var key);
        parts.TryGetValue("SharedAccessSignature", out var sas);
        Uri? blobEndpoint = null;
        if (parts.TryGetValue("BlobEndpoint", out var explicitEndpoint))
        {
            if (!Uri.TryCreate(explicitEndpoint, UriKind.Absolute, out blobEndpoint) || blobEndpoint.Scheme is not ("http" or "https"))
            {
                throw new FormatException("BlobEndpoint is not an absolute http(s) URI.");
            }
        }
        else if (!string.IsNullOrEmpty(account))
        {
            var protocol = parts.TryGetValue("DefaultEndpointsProtocol", out var p) ? p.ToLowerInvariant() : "https";
            if (protocol is not ("http" or "https"))
            {
                throw new FormatException("DefaultEndpointsProtocol must be http or https.");
            }

            var suffix = parts.TryGetValue("EndpointSuffix", out var s) ? s : "core.windows.net";
            blobEndpoint = new Uri($"{protocol}://{account}.blob.{suffix}");
        }

        if (blobEndpoint is null)
        {
            throw new FormatException("it names no AccountName nor BlobEndpoint.");
        }

        if (string.IsNullOrEmpty(account))
        {
            // With a SAS the account is only used in descriptions; take it from the host or the path.
            account = blobEndpoint.Host.Split('.')[0];
            if (string.IsNullOrEmpty(sas))
            {
                throw new FormatException("AccountName is missing.");
            }
        }

        byte[]? keyBytes = null;
        if (!string.IsNullOrEmpty(key))
        {
            try
            {
                keyBytes = Convert.FromBase64String(key);
            }
            catch (FormatException)
            {
                throw new FormatException("AccountKey is not base64.");
            }
        }

        if (keyBytes is null && string.IsNullOrEmpty(sas))
        {
            throw new FormatException("it has neither AccountKey nor SharedAccessSignature (set Blob:ServiceUri instead to use a managed identity).");
        }

        return new AzureStorageConnectionString
        {
            BlobEndpoint = new Uri(blobEndpoint.GetLeftPart(UriPartial.Path).TrimEnd('/')),
            AccountName = account,
            AccountKey = keyBytes,
            SharedAccessSignature = string.IsNullOrEmpty(sas) ? null : sas.TrimStart('?'),
        };
    }

    public override string ToString() => $"{BlobEndpoint} (account {AccountName}, {(AccountKey is not null ? "SharedKey" : "SAS")})";
}
