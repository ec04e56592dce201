namespace DevMentor.Core.Storage;

/// <summary>One container of the storage account, and how the SDK reaches it.</summary>
public sealed record AzureBlobStoreOptions
{
    public const int DefaultBlockSize = 8 * 1024 * 1024;

    public string Container { get; init; } = "devmentor";

    /// <summary>The SDK's retries after the first attempt (408, 429, 500, 502, 503, 504 and connection failures).</summary>
    public int MaxRetries { get; init; } = 4;

    /// <summary>The first backoff delay; the SDK doubles it each retry, with jitter, and honours Retry-After.</summary>
    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromMilliseconds(400);

    public TimeSpan MaxRetryDelay { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Each attempt's limit (a whole block included).</summary>
    public TimeSpan NetworkTimeout { get; init; } = TimeSpan.FromSeconds(100);

    /// <summary>A body up to this size goes up in one Put Blob; larger ones in blocks of this size.</summary>
    public int BlockSize { get; init; } = DefaultBlockSize;

    /// <summary>Blocks in flight at once: memory in use by an upload is about this × <see cref="BlockSize"/>, whatever the blob's size.</summary>
    public int UploadConcurrency { get; init; } = 4;

    /// <summary>Why <paramref name="name"/> is not a valid container name, or null: 3–63 of a-z, 0-9 and single inner hyphens.</summary>
    public static string? CheckContainerName(string? name)
    {
        if (string.IsNullOrEmpty(name) || name.Length is < 3 or > 63)
        {
            return "it must be 3 to 63 characters long";
        }

        if (!name.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-'))
        {
            return "only lower-case letters, digits and '-' are allowed";
        }

        if (name[0] == '-' || name[^1] == '-' || name.Contains("--", StringComparison.Ordinal))
        {
            return "it cannot start or end with '-' or contain '--'";
        }

        return null;
    }
}
