using Azure;
using Azure.Core;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using DevMentor.Core.Storage.Account;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using SdkBlobProperties = Azure.Storage.Blobs.Models.BlobProperties;

namespace DevMentor.Core.Storage;

/// <summary>
/// The blob store port on one container, through the official SDK (Azure.Storage.Blobs): Azure
/// Storage in production, Azurite (embedded or configured) everywhere else. The SDK does the
/// protocol, authentication (account key, SAS, Entra ID tokens), retries with backoff, block
/// uploads and resumable downloads; this class maps the port onto it and its failures onto
/// <see cref="BlobStoreException"/>s that say what failed where, never with a secret.
/// </summary>
/// <remarks>
/// The account is asked for on first use (see <see cref="StorageAccountProvider"/>): the embedded
/// Azurite's ports are only known once it has started.
/// </remarks>
public sealed partial class AzureBlobStore : IBlobStore
{
    private readonly Func<StorageAccount?> _account;
    private readonly AzureBlobStoreOptions _options;
    private readonly ILogger _logger;
    private BlobContainerClient? _container;
    private Task? _containerReady;

    public AzureBlobStore(StorageAccountProvider provider, AzureBlobStoreOptions options, ILogger? logger = null)
        : this(() => provider.IsReady ? provider.Current : null, options, logger)
    {
    }

    public AzureBlobStore(StorageAccount account, AzureBlobStoreOptions options, ILogger? logger = null)
        : this(() => account, options, logger)
    {
    }

    private AzureBlobStore(Func<StorageAccount?> account, AzureBlobStoreOptions options, ILogger? logger)
    {
        if (AzureBlobStoreOptions.CheckContainerName(options.Container) is { } problem)
        {
            throw new ArgumentException($"'{options.Container}' is not a valid container name: {problem}.", nameof(options));
        }

        _account = account;
        _options = options;
        _logger = logger ?? NullLogger.Instance;
    }

    public string Description => _account() is { } account
        ? $"Azure Blob Storage container '{_options.Container}' at {account.Description}"
        : $"Azure Blob Storage container '{_options.Container}' (storage not started yet)";

    /// <summary>The SDK client for the container, made on first use.</summary>
    public BlobContainerClient Container => _container ?? Interlocked.CompareExchange(ref _container, CreateContainerClient(), null) ?? _container;

    public async Task<BlobProperties> PutAsync(string key, Stream content, BlobWriteOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(content);
        BlobKey.Validate(key);
        var contentType = BlobKey.NormalizeContentType(options?.ContentType);
        var metadata = BlobKey.NormalizeMetadata(options?.Metadata);
        var start = content.CanSeek ? content.Position : 0;
        var length = content.CanSeek ? content.Length - start : (long?)null;
        var counted = content.CanSeek ? content : new CountingStream(content);
        var upload = new BlobUploadOptions
        {
            HttpHeaders = new BlobHttpHeaders { ContentType = contentType },
            Metadata = new Dictionary<string, string>(metadata),
            TransferOptions = new Azure.Storage.StorageTransferOptions
            {
                InitialTransferSize = _options.BlockSize,
                MaximumTransferSize = _options.BlockSize,
                MaximumConcurrency = _options.UploadConcurrency,
            },
        };

        var info = await RunAsync("Put Blob", key, async () =>
        {
            await EnsureContainerAsync(cancellationToken);
            try
            {
                return (await Container.GetBlobClient(key).UploadAsync(counted, upload, cancellationToken)).Value;
            }
            catch (RequestFailedException e) when (e.ErrorCode == BlobErrorCode.ContainerNotFound && content.CanSeek)
            {
                // Deleted since this store created it: once more, from the start of the body.
                _containerReady = null;
                await EnsureContainerAsync(cancellationToken);
                content.Position = start;
                return (await Container.GetBlobClient(key).UploadAsync(content, upload, cancellationToken)).Value;
            }
        }, cancellationToken);

        return new BlobProperties(key, length ?? ((CountingStream)counted).Count, contentType, metadata, info.LastModified, info.ETag.ToString("H"), BlobKind.Block);
    }

    public async Task<BlobDownload> GetAsync(string key, BlobRange? range = null, CancellationToken cancellationToken = default)
    {
        BlobKey.Validate(key);
        range?.Validate();
        var client = Container.GetBlobClient(key);
        try
        {
            return await RunAsync("Get Blob", key, async () =>
            {
                var download = new BlobDownloadOptions { Range = range is { } r ? new HttpRange(r.Offset, r.Length) : default };
                var result = (await client.DownloadStreamingAsync(download, cancellationToken)).Value;
                var details = result.Details;
                var total = range is null ? details.ContentLength : TotalLength(details.ContentRange) ?? details.ContentLength;
                var properties = Properties(key, total, details.ContentType, details.Metadata, details.LastModified, details.ETag, details.BlobType);
                // The SDK's stream resumes a broken download from where it was, for the same version (If-Match its ETag).
                return new BlobDownload(properties, result.Content, range?.Offset ?? 0, details.ContentLength);
            }, cancellationToken, rangeNotSatisfiable: true);
        }
        catch (RangeNotSatisfiable)
        {
            // The range starts at or past the end (or the blob is empty): no bytes, as the port promises.
            var existing = await GetPropertiesAsync(key, cancellationToken)
                ?? throw new BlobNotFoundException($"Blob '{key}' does not exist in {Description}.", BlobErrorCode.BlobNotFound.ToString());
            return new BlobDownload(existing, new MemoryStream([], writable: false), Math.Min(range!.Value.Offset, existing.Length), 0);
        }
    }

    public async Task<BlobProperties?> GetPropertiesAsync(string key, CancellationToken cancellationToken = default)
    {
        BlobKey.Validate(key);
        try
        {
            return await RunAsync("Get Blob Properties", key, async () =>
            {
                var p = (await Container.GetBlobClient(key).GetPropertiesAsync(cancellationToken: cancellationToken)).Value;
                return Properties(key, p.ContentLength, p.ContentType, p.Metadata, p.LastModified, p.ETag, p.BlobType);
            }, cancellationToken);
        }
        catch (BlobNotFoundException)
        {
            return null;
        }
    }

    public async Task<bool> ExistsAsync(string key, CancellationToken cancellationToken = default) =>
        await GetPropertiesAsync(key, cancellationToken) is not null;

    public async Task<bool> DeleteAsync(string key, CancellationToken cancellationToken = default)
    {
        BlobKey.Validate(key);
        ForgetAppendOffset(key);
        try
        {
            await RunAsync("Delete Blob", key, () => Container.GetBlobClient(key).DeleteAsync(cancellationToken: cancellationToken), cancellationToken);
            return true;
        }
        catch (BlobNotFoundException)
        {
            return false;
        }
    }

    public async Task<BlobPage> ListAsync(string prefix, string? continuationToken = null, int pageSize = 1000, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        ArgumentOutOfRangeException.ThrowIfLessThan(pageSize, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(pageSize, 5000);
        if (prefix.IndexOfAny(['\0', '\\']) >= 0)
        {
            throw new InvalidBlobKeyException(prefix, "a prefix cannot contain NUL or a backslash");
        }

        try
        {
            return await RunAsync("List Blobs", prefix, async () =>
            {
                var listing = Container.GetBlobsAsync(new GetBlobsOptions { Traits = BlobTraits.Metadata, Prefix = prefix.Length > 0 ? prefix : null }, cancellationToken);
                await foreach (var page in listing.AsPages(string.IsNullOrEmpty(continuationToken) ? null : continuationToken, pageSize).WithCancellation(cancellationToken))
                {
                    var items = page.Values.Select(b => Properties(b.Name, b.Properties.ContentLength ?? 0, b.Properties.ContentType, b.Metadata,
                        b.Properties.LastModified ?? default, b.Properties.ETag ?? default, b.Properties.BlobType)).ToList();
                    return new BlobPage(items, string.IsNullOrEmpty(page.ContinuationToken) ? null : page.ContinuationToken);
                }

                return new BlobPage([], null);
            }, cancellationToken);
        }
        catch (BlobNotFoundException)
        {
            return new BlobPage([], null); // no container: nothing was ever written
        }
    }

    public async Task<string> CheckHealthAsync(CancellationToken cancellationToken)
    {
        var created = await RunAsync("Create Container", null, async () => (await Container.CreateIfNotExistsAsync(cancellationToken: cancellationToken)) is not null, cancellationToken);
        _containerReady ??= Task.CompletedTask;
        return created ? Description + ", container created" : Description;
    }

    private BlobContainerClient CreateContainerClient()
    {
        var account = _account() ?? throw new InvalidOperationException($"{Description}: used before storage started.");
        var clientOptions = new BlobClientOptions();
        clientOptions.Retry.Mode = RetryMode.Exponential;
        clientOptions.Retry.MaxRetries = _options.MaxRetries;
        clientOptions.Retry.Delay = _options.RetryDelay;
        clientOptions.Retry.MaxDelay = _options.MaxRetryDelay;
        clientOptions.Retry.NetworkTimeout = _options.NetworkTimeout;
        clientOptions.Diagnostics.ApplicationId = "devmentor";
        clientOptions.AddPolicy(new BlobRetryLogPolicy(_logger), HttpPipelinePosition.PerRetry);
        var service = account.ConnectionString is { } connectionString
            ? new BlobServiceClient(connectionString, clientOptions)
            : new BlobServiceClient(account.BlobServiceUri, account.Credential ?? throw new InvalidOperationException("An identity-based storage account needs a credential."), clientOptions);
        return service.GetBlobContainerClient(_options.Container);
    }

    /// <summary>Creates the container once per store (a write into a missing container fails, and a streamed body cannot be sent twice).</summary>
    private Task EnsureContainerAsync(CancellationToken cancellationToken)
    {
        var ready = _containerReady;
        if (ready is { IsCompletedSuccessfully: true })
        {
            return ready;
        }

        ready = CreateContainerAsync(cancellationToken);
        _containerReady = ready;
        return ready;
    }

    private async Task CreateContainerAsync(CancellationToken cancellationToken)
    {
        try
        {
            if (await Container.CreateIfNotExistsAsync(cancellationToken: cancellationToken) is not null)
            {
                LogContainerCreated(_logger, _options.Container, Description);
            }
        }
        catch
        {
            _containerReady = null;
            throw;
        }
    }

    private static BlobProperties Properties(string key, long length, string? contentType, IDictionary<string, string>? metadata, DateTimeOffset lastModified, ETag etag, BlobType? type)
    {
        var normalized = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, value) in metadata ?? new Dictionary<string, string>())
        {
            normalized[name.ToLowerInvariant()] = value;
        }

        return new BlobProperties(key, length, string.IsNullOrEmpty(contentType) ? BlobWriteOptions.DefaultContentType : contentType, normalized, lastModified,
            etag == default ? "" : etag.ToString("H"), type == BlobType.Append ? BlobKind.Append : BlobKind.Block);
    }

    /// <summary>"bytes 100-1099/10000" → 10000.</summary>
    private static long? TotalLength(string? contentRange) =>
        contentRange?.LastIndexOf('/') is { } slash and >= 0 && long.TryParse(contentRange.AsSpan(slash + 1), System.Globalization.CultureInfo.InvariantCulture, out var total) ? total : null;

    [LoggerMessage(Level = LogLevel.Information, Message = "Created blob container {Container} ({Store})")]
    private static partial void LogContainerCreated(ILogger logger, string container, string store);

    private sealed class RangeNotSatisfiable : Exception;

    /// <summary>A stream read once to its end, counting what it hands out (a request body has no length).</summary>
    private sealed class CountingStream(Stream inner) : Stream
    {
        public long Count { get; private set; }

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => Count;
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count) => Counted(inner.Read(buffer, offset, count));

        public override int Read(Span<byte> buffer) => Counted(inner.Read(buffer));

        public override async Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            Counted(await inner.ReadAsync(buffer.AsMemory(offset, count), cancellationToken));

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            Counted(await inner.ReadAsync(buffer, cancellationToken));

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        private int Counted(int read)
        {
            Count += read;
            return read;
        }
    }
}
