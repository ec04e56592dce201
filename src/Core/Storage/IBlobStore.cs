namespace DevMentor.Core.Storage;

/// <summary>
/// The blob store port: artifacts, step logs and project files. One adapter serves every setup:
/// <see cref="AzureBlobStore"/> (the official SDK) on the storage account, which is an Azure
/// Storage account in production and an Azurite (embedded by default) anywhere else.
/// </summary>
/// <remarks>
/// Keys are '/'-separated relative paths (see <see cref="BlobKey"/>); metadata names are lower-case
/// identifiers and values printable ASCII (what Azure carries).
/// Missing blobs: <see cref="GetAsync"/> throws <see cref="BlobNotFoundException"/>; the other
/// operations answer null/false.
/// </remarks>
public interface IBlobStore
{
    /// <summary>Where blobs go, for logs and health output; never contains a secret.</summary>
    string Description { get; }

    /// <summary>
    /// Writes (or replaces) a blob from a stream read once to its end; the stream need not be
    /// seekable and is never held in memory whole. Readers see the old or the new blob, never a mix.
    /// </summary>
    Task<BlobProperties> PutAsync(string key, Stream content, BlobWriteOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Opens a blob for reading, whole or a byte range. A range starting at or past the end yields
    /// no bytes (so a reader can poll a growing log from its last offset); one running past the end
    /// stops at the end. Dispose the result.
    /// </summary>
    Task<BlobDownload> GetAsync(string key, BlobRange? range = null, CancellationToken cancellationToken = default);

    /// <summary>Length, content type and metadata; null when the blob does not exist.</summary>
    Task<BlobProperties?> GetPropertiesAsync(string key, CancellationToken cancellationToken = default);

    Task<bool> ExistsAsync(string key, CancellationToken cancellationToken = default);

    /// <summary>Deletes a blob; false when there was none.</summary>
    Task<bool> DeleteAsync(string key, CancellationToken cancellationToken = default);

    /// <summary>
    /// One page of the blobs whose keys start with <paramref name="prefix"/> (a plain string prefix,
    /// not only whole segments), in ordinal key order. Pass the returned token to get the next page;
    /// a null token means there is none. Blobs written while paging may or may not appear.
    /// </summary>
    Task<BlobPage> ListAsync(string prefix, string? continuationToken = null, int pageSize = 1000, CancellationToken cancellationToken = default);

    /// <summary>
    /// Appends a chunk to an append blob, creating it (with <paramref name="options"/>) on the first
    /// append. Each chunk is readable through <see cref="GetAsync"/> as soon as this returns: the way
    /// a running step writes its log. Callers batch small writes: Azure keeps at most 50,000 chunks
    /// per blob. Appending to a blob written by <see cref="PutAsync"/> fails.
    /// </summary>
    Task<BlobAppendResult> AppendAsync(string key, ReadOnlyMemory<byte> chunk, BlobWriteOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>Readiness: throws when the store cannot be used; returns a one-line description.</summary>
    Task<string> CheckHealthAsync(CancellationToken cancellationToken);
}

public enum BlobKind
{
    Block,
    Append,
}

/// <summary>What a blob is, without its bytes.</summary>
public sealed record BlobProperties(
    string Key,
    long Length,
    string ContentType,
    IReadOnlyDictionary<string, string> Metadata,
    DateTimeOffset LastModified,
    string ETag,
    BlobKind Kind);

/// <summary>Content type and metadata given when a blob is written.</summary>
public sealed record BlobWriteOptions
{
    public const string DefaultContentType = "application/octet-stream";

    public string ContentType { get; init; } = DefaultContentType;
    public IReadOnlyDictionary<string, string> Metadata { get; init; } = new Dictionary<string, string>();
}

/// <summary>A byte range: <paramref name="Offset"/> and, when given, at most <paramref name="Length"/> bytes.</summary>
public readonly record struct BlobRange(long Offset, long? Length = null)
{
    public void Validate()
    {
        if (Offset < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(Offset), Offset, "A range cannot start before 0.");
        }

        if (Length is <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(Length), Length, "A range's length must be positive.");
        }
    }
}

public sealed record BlobPage(IReadOnlyList<BlobProperties> Items, string? ContinuationToken);

/// <param name="Offset">Where the appended chunk starts.</param>
/// <param name="Length">The blob's length after the append.</param>
public readonly record struct BlobAppendResult(long Offset, long Length);

/// <summary>An open blob (or part of one). <see cref="Content"/> yields exactly <see cref="Length"/> bytes.</summary>
public sealed class BlobDownload(BlobProperties properties, Stream content, long offset, long length) : IDisposable, IAsyncDisposable
{
    public BlobProperties Properties { get; } = properties;
    public Stream Content { get; } = content;
    /// <summary>Where <see cref="Content"/> starts within the blob.</summary>
    public long Offset { get; } = offset;
    /// <summary>Bytes in <see cref="Content"/>.</summary>
    public long Length { get; } = length;

    public void Dispose() => Content.Dispose();

    public ValueTask DisposeAsync() => Content.DisposeAsync();
}
