// Azure Blob Storage over its REST API. This adapter stands in for Azure.Storage.Blobs, which does
// not restore from this project's package source (it needs System.IO.Hashing, absent there); it
// speaks the documented REST protocol directly: SharedKey, SAS or Bearer (Azure.Identity)
// authorization, Put Blob / Put Block / Put Block List, Get Blob with ranges, List Blobs,
// Append Block, a pinned x-ms-version and Polly retries. Azurite serves it locally and in tests.

using System.Buffers;
using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Xml.Linq;
using global::Azure.Core;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Polly;
using Polly.Retry;
using Polly.Timeout;

namespace DevMentor.Core.Storage.Azure;

/// <summary>How to reach one container of an Azure Storage account.</summary>
public sealed record AzureBlobStoreOptions
{
    /// <summary>The account's blob endpoint, e.g. https://acct.blob.core.windows.net or Azurite's http://127.0.0.1:10000/devstoreaccount1.</summary>
    public required Uri Endpoint { get; init; }
    public required string Container { get; init; }
    public required IBlobRequestAuthorizer Authorizer { get; init; }
    /// <summary>Retries after the first attempt on 408/429/500/503 and connection failures.</summary>
    public int MaxRetries { get; init; } = 4;
    /// <summary>First backoff delay; it doubles each retry, with jitter, and Retry-After wins when the service sends one.</summary>
    public TimeSpan RetryBaseDelay { get; init; } = TimeSpan.FromMilliseconds(400);
    /// <summary>Each attempt's limit to get the response headers (a 4 MiB block included).</summary>
    public TimeSpan AttemptTimeout { get; init; } = TimeSpan.FromSeconds(100);
    /// <summary>Blocks uploaded at once by a large put; memory in use is (this + 1) × 4 MiB whatever the blob's size.</summary>
    public int UploadConcurrency { get; init; } = 4;

    /// <summary>From a storage connection string (account key, SAS, or UseDevelopmentStorage=true).</summary>
    public static AzureBlobStoreOptions FromConnectionString(string connectionString, string container)
    {
        var parsed = AzureStorageConnectionString.Parse(connectionString);
        return new AzureBlobStoreOptions
        {
            Endpoint = parsed.BlobEndpoint,
            Container = container,
            Authorizer = parsed.AccountKey is { } key
                ? new SharedKeyAuthorizer(parsed.AccountName, key)
                : new SasAuthorizer(parsed.SharedAccessSignature!),
        };
    }

    /// <summary>From a service URI alone: Bearer tokens from <paramref name="credential"/> (a managed identity in Azure).</summary>
    public static AzureBlobStoreOptions FromServiceUri(Uri serviceUri, string container, TokenCredential credential) => new()
    {
        Endpoint = new Uri(serviceUri.GetLeftPart(UriPartial.Path).TrimEnd('/')),
        Container = container,
        Authorizer = new BearerTokenAuthorizer(credential),
    };
}

/// <summary>The blob store port on one Azure Blob Storage container (created on first write).</summary>
/// <remarks>
/// <para>Writes: a body that fits in one 4 MiB block goes up in one Put Blob; a larger one is read
/// block by block into pooled 4 MiB buffers, uploaded with Put Block (a few at once) and committed
/// with Put Block List, so memory stays flat whatever the size, and each block is retried on its own.</para>
/// <para>Append: step logs are append blobs (see <see cref="AppendAsync"/> for why).</para>
/// </remarks>
public sealed partial class AzureBlobStore : IBlobStore, IDisposable
{
    /// <summary>The REST API version every request pins (x-ms-version).</summary>
    public const string ApiVersion = "2024-11-04";
    public const int BlockSize = 4 * 1024 * 1024;
    /// <summary>The largest Append Block body we send (the service's limit before 2022-11-02 and a sane log chunk).</summary>
    public const int MaxAppendChunk = 4 * 1024 * 1024;
    private const int MaxCachedAppendOffsets = 10_000;

    /// <summary>
    /// Block buffers, reused across uploads. Not ArrayPool.Shared: it does not keep 4 MiB arrays
    /// reliably (measured: a 256 MiB upload allocated 260 MiB through it), and each miss is a
    /// large-object allocation. This pool keeps at most 16 (64 MiB) between uploads.
    /// </summary>
    private static readonly ArrayPool<byte> Blocks = ArrayPool<byte>.Create(BlockSize, 16);

    private readonly HttpClient _http;
    private readonly bool _ownsHttp;
    private readonly string _containerUrl;
    private readonly AzureBlobStoreOptions _options;
    private readonly ResiliencePipeline<HttpResponseMessage> _pipeline;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<string, long> _appendOffsets = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim[] _appendLocks = Enumerable.Range(0, 64).Select(_ => new SemaphoreSlim(1, 1)).ToArray();

    public AzureBlobStore(AzureBlobStoreOptions options, HttpClient? http = null, ILogger? logger = null)
    {
        if (CheckContainerName(options.Container) is { } problem)
        {
            throw new ArgumentException($"'{options.Container}' is not a valid container name: {problem}.", nameof(options));
        }

        _options = options;
        _logger = logger ?? NullLogger.Instance;
        _ownsHttp = http is null;
        _http = http ?? new HttpClient(new SocketsHttpHandler
        {
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            ConnectTimeout = TimeSpan.FromSeconds(10),
            AutomaticDecompression = DecompressionMethods.None,
        })
        { Timeout = Timeout.InfiniteTimeSpan };
        _containerUrl = $"{options.Endpoint.AbsoluteUri.TrimEnd('/')}/{options.Container}";
        _pipeline = BuildPipeline(options, _logger);
    }

    public string Description => $"Azure Blob Storage container '{_options.Container}' at {_options.Endpoint.AbsoluteUri.TrimEnd('/')} ({_options.Authorizer.Kind})";

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

    public async Task<BlobProperties> PutAsync(string key, Stream content, BlobWriteOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(content);
        var uri = BlobUri(key);
        var contentType = BlobKey.NormalizeContentType(options?.ContentType);
        var metadata = BlobKey.NormalizeMetadata(options?.Metadata);

        var first = Blocks.Rent(BlockSize);
        byte[]? second = null;
        try
        {
            var firstCount = await ReadBlockAsync(content, first, cancellationToken);
            var secondCount = 0;
            if (firstCount == BlockSize)
            {
                second = Blocks.Rent(BlockSize);
                secondCount = await ReadBlockAsync(content, second, cancellationToken);
            }

            if (secondCount == 0)
            {
                using var response = await SendWriteAsync(() =>
                {
                    var request = new HttpRequestMessage(HttpMethod.Put, uri) { Content = new ByteArrayContent(first, 0, firstCount) };
                    request.Headers.TryAddWithoutValidation("x-ms-blob-type", "BlockBlob");
                    AddBlobHeaders(request, contentType, metadata);
                    return request;
                }, cancellationToken);
                await EnsureSuccessAsync(response, "Put Blob", key, cancellationToken);
                return new BlobProperties(key, firstCount, contentType, metadata, LastModified(response), ETag(response), BlobKind.Block);
            }

            // Ownership of both buffers passes to the block upload, which returns them to the pool.
            var (firstBuffer, secondBuffer) = (first, second!);
            first = null!;
            second = null;
            return await PutBlocksAsync(key, uri, content, contentType, metadata, (firstBuffer, firstCount), (secondBuffer, secondCount), cancellationToken);
        }
        finally
        {
            if (first is not null)
            {
                Blocks.Return(first);
            }

            if (second is not null)
            {
                Blocks.Return(second);
            }
        }
    }

    private async Task<BlobProperties> PutBlocksAsync(
        string key, Uri uri, Stream content, string contentType, IReadOnlyDictionary<string, string> metadata,
        (byte[] Buffer, int Count) first, (byte[] Buffer, int Count) second, CancellationToken cancellationToken)
    {
        // Block ids: a random upload id and the block's index, so two uploads of one key never mix blocks.
        var uploadId = RandomNumberGenerator.GetBytes(16);
        var blockIds = new List<string>();
        var uploads = new List<Task>();
        using var slots = new SemaphoreSlim(Math.Max(1, _options.UploadConcurrency));
        using var failFast = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        long total = 0;
        byte[]? buffer = first.Buffer;
        var count = first.Count;
        byte[]? pending = second.Buffer;
        var pendingCount = second.Count;
        Exception? readerFailure = null;
        try
        {
            while (count > 0)
            {
                await slots.WaitAsync(failFast.Token);
                var blockId = BlockId(uploadId, blockIds.Count);
                blockIds.Add(blockId);
                total += count;
                uploads.Add(UploadBlockAsync(key, uri, blockId, buffer!, count, slots, failFast));
                buffer = null; // the upload returns it to the pool

                if (pending is not null)
                {
                    (buffer, count, pending) = (pending, pendingCount, null);
                }
                else
                {
                    buffer = Blocks.Rent(BlockSize);
                    count = await ReadBlockAsync(content, buffer, failFast.Token);
                }
            }
        }
        catch (OperationCanceledException) when (failFast.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            // A block failed; its exception is thrown below.
        }
        catch (Exception e)
        {
            readerFailure = e; // reading the content failed, or the caller canceled: stop the uploads first
            await failFast.CancelAsync();
        }
        finally
        {
            if (buffer is not null)
            {
                Blocks.Return(buffer);
            }

            if (pending is not null)
            {
                Blocks.Return(pending);
            }
        }

        try
        {
            await Task.WhenAll(uploads);
        }
        catch when (readerFailure is null)
        {
            var failure = uploads.Where(t => t.IsFaulted).Select(t => t.Exception!.InnerException!).FirstOrDefault(e => e is not OperationCanceledException);
            if (failure is not null)
            {
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failure);
            }

            throw;
        }
        catch
        {
            // The reader's failure is the one to report.
        }

        if (readerFailure is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(readerFailure);
        }

        cancellationToken.ThrowIfCancellationRequested();
        var blockList = new StringBuilder("<?xml version=\"1.0\" encoding=\"utf-8\"?><BlockList>", 64 + blockIds.Count * 48);
        foreach (var id in blockIds)
        {
            blockList.Append("<Latest>").Append(id).Append("</Latest>");
        }

        var body = Encoding.UTF8.GetBytes(blockList.Append("</BlockList>").ToString());
        using var response = await SendWriteAsync(() =>
        {
            var request = new HttpRequestMessage(HttpMethod.Put, WithQuery(uri, "comp=blocklist")) { Content = new ByteArrayContent(body) };
            AddBlobHeaders(request, contentType, metadata);
            return request;
        }, cancellationToken);
        await EnsureSuccessAsync(response, "Put Block List", key, cancellationToken);
        return new BlobProperties(key, total, contentType, metadata, LastModified(response), ETag(response), BlobKind.Block);
    }

    private async Task UploadBlockAsync(string key, Uri uri, string blockId, byte[] buffer, int count, SemaphoreSlim slots, CancellationTokenSource failFast)
    {
        await Task.Yield(); // the reader goes on filling the next block meanwhile
        try
        {
            var blockUri = WithQuery(uri, "comp=block&blockid=" + Uri.EscapeDataString(blockId));
            using var response = await SendWriteAsync(() => new HttpRequestMessage(HttpMethod.Put, blockUri) { Content = new ByteArrayContent(buffer, 0, count) }, failFast.Token);
            await EnsureSuccessAsync(response, "Put Block", key, failFast.Token);
        }
        catch
        {
            await failFast.CancelAsync();
            throw;
        }
        finally
        {
            Blocks.Return(buffer);
            slots.Release();
        }
    }

    public async Task<BlobDownload> GetAsync(string key, BlobRange? range = null, CancellationToken cancellationToken = default)
    {
        range?.Validate();
        var uri = BlobUri(key);
        var response = await SendAsync(() =>
        {
            var request = new HttpRequestMessage(HttpMethod.Get, uri);
            if (range is { } r)
            {
                var end = r.Length is { } length ? (r.Offset + length - 1).ToString(CultureInfo.InvariantCulture) : "";
                request.Headers.TryAddWithoutValidation("x-ms-range", $"bytes={r.Offset.ToString(CultureInfo.InvariantCulture)}-{end}");
            }

            return request;
        }, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        try
        {
            if (response.StatusCode == HttpStatusCode.RequestedRangeNotSatisfiable)
            {
                // The range starts at or past the end (or the blob is empty): no bytes, as the port promises.
                response.Dispose();
                var existing = await GetPropertiesAsync(key, cancellationToken)
                    ?? throw new BlobNotFoundException($"Blob '{key}' does not exist in {Description}.", "BlobNotFound");
                var offset = Math.Min(range!.Value.Offset, existing.Length);
                return new BlobDownload(existing, new MemoryStream([], writable: false), offset, 0);
            }

            await EnsureSuccessAsync(response, "Get Blob", key, cancellationToken);
            var contentLength = response.Content.Headers.ContentLength ?? 0;
            var totalLength = response.Content.Headers.ContentRange?.Length ?? contentLength;
            var start = response.Content.Headers.ContentRange?.From ?? 0;
            var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
            var properties = ReadProperties(key, response, totalLength);
            return new BlobDownload(properties, new ResumingReadStream(this, key, uri, properties.ETag, start, contentLength, response, stream), start, contentLength);
        }
        catch
        {
            response.Dispose();
            throw;
        }
    }

    /// <summary>The rest of a download whose connection broke: the same version (If-Match) from where the reader is.</summary>
    private async Task<(HttpResponseMessage Response, Stream Body)> ResumeAsync(string key, Uri uri, string etag, long from, long to, CancellationToken cancellationToken)
    {
        var response = await SendAsync(() =>
        {
            var request = new HttpRequestMessage(HttpMethod.Get, uri);
            request.Headers.TryAddWithoutValidation("x-ms-range", FormattableString.Invariant($"bytes={from}-{to}"));
            if (etag.Length > 0)
            {
                request.Headers.TryAddWithoutValidation("If-Match", etag);
            }

            return request;
        }, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        try
        {
            if (response.StatusCode == HttpStatusCode.PreconditionFailed)
            {
                throw new BlobStoreException($"Blob '{key}' in {Description} was replaced while it was being read; read it again.", 412, ErrorCode(response));
            }

            await EnsureSuccessAsync(response, "Get Blob (resumed)", key, cancellationToken);
            return (response, await response.Content.ReadAsStreamAsync(cancellationToken));
        }
        catch
        {
            response.Dispose();
            throw;
        }
    }

    public async Task<BlobProperties?> GetPropertiesAsync(string key, CancellationToken cancellationToken = default)
    {
        var uri = BlobUri(key);
        using var response = await SendAsync(() => new HttpRequestMessage(HttpMethod.Head, uri), HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }

        await EnsureSuccessAsync(response, "Get Blob Properties", key, cancellationToken);
        return ReadProperties(key, response, response.Content.Headers.ContentLength ?? 0);
    }

    public async Task<bool> ExistsAsync(string key, CancellationToken cancellationToken = default) =>
        await GetPropertiesAsync(key, cancellationToken) is not null;

    public async Task<bool> DeleteAsync(string key, CancellationToken cancellationToken = default)
    {
        var uri = BlobUri(key);
        _appendOffsets.TryRemove(key, out _);
        using var response = await SendAsync(() => new HttpRequestMessage(HttpMethod.Delete, uri), HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return false;
        }

        await EnsureSuccessAsync(response, "Delete Blob", key, cancellationToken);
        return true;
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

        var query = new StringBuilder("restype=container&comp=list&include=metadata");
        query.Append("&maxresults=").Append(pageSize.ToString(CultureInfo.InvariantCulture));
        if (prefix.Length > 0)
        {
            query.Append("&prefix=").Append(Uri.EscapeDataString(prefix));
        }

        if (!string.IsNullOrEmpty(continuationToken))
        {
            query.Append("&marker=").Append(Uri.EscapeDataString(continuationToken));
        }

        var uri = new Uri($"{_containerUrl}?{query}");
        using var response = await SendAsync(() => new HttpRequestMessage(HttpMethod.Get, uri), HttpCompletionOption.ResponseContentRead, cancellationToken);
        if (response.StatusCode == HttpStatusCode.NotFound && ErrorCode(response) == "ContainerNotFound")
        {
            return new BlobPage([], null); // nothing was ever written
        }

        await EnsureSuccessAsync(response, "List Blobs", prefix, cancellationToken);
        await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
        var document = await XDocument.LoadAsync(body, LoadOptions.None, cancellationToken);
        var root = document.Root!;
        var items = new List<BlobProperties>();
        foreach (var blob in root.Element("Blobs")?.Elements("Blob") ?? [])
        {
            var nameElement = blob.Element("Name")!;
            var name = (string?)nameElement.Attribute("Encoded") == "true" ? Uri.UnescapeDataString(nameElement.Value) : nameElement.Value;
            var properties = blob.Element("Properties");
            var metadata = new SortedDictionary<string, string>(StringComparer.Ordinal);
            foreach (var entry in blob.Element("Metadata")?.Elements() ?? [])
            {
                metadata[entry.Name.LocalName.ToLowerInvariant()] = entry.Value;
            }

            items.Add(new BlobProperties(
                name,
                long.Parse(properties?.Element("Content-Length")?.Value ?? "0", CultureInfo.InvariantCulture),
                properties?.Element("Content-Type")?.Value is { Length: > 0 } type ? type : BlobWriteOptions.DefaultContentType,
                metadata,
                DateTimeOffset.TryParse(properties?.Element("Last-Modified")?.Value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var modified) ? modified : default,
                properties?.Element("Etag")?.Value is { } etag ? Quote(etag) : "",
                properties?.Element("BlobType")?.Value == "AppendBlob" ? BlobKind.Append : BlobKind.Block));
        }

        var next = root.Element("NextMarker")?.Value;
        return new BlobPage(items, string.IsNullOrEmpty(next) ? null : next);
    }

    /// <summary>
    /// Appends a chunk to an append blob. Why append blobs rather than committed blocks: Append Block
    /// is one request per chunk and the chunk is readable the moment it returns, while committed
    /// blocks need Put Block plus a Put Block List that re-sends every earlier block id (quadratic over
    /// a long log, and concurrent commits race). Each append carries the offset it expects
    /// (x-ms-blob-condition-appendpos), so a retry after a lost response can never write a chunk twice.
    /// The price: 50,000 appends per blob, so log writers batch their lines.
    /// </summary>
    public async Task<BlobAppendResult> AppendAsync(string key, ReadOnlyMemory<byte> chunk, BlobWriteOptions? options = null, CancellationToken cancellationToken = default)
    {
        var uri = BlobUri(key);
        var gate = _appendLocks[(int)((uint)StringComparer.Ordinal.GetHashCode(key) % (uint)_appendLocks.Length)];
        await gate.WaitAsync(cancellationToken);
        try
        {
            if (!_appendOffsets.TryGetValue(key, out var offset))
            {
                offset = await PrepareAppendBlobAsync(key, uri, options, cancellationToken);
            }

            for (var position = 0; position < chunk.Length; position += MaxAppendChunk)
            {
                var piece = chunk.Slice(position, Math.Min(MaxAppendChunk, chunk.Length - position));
                offset = await AppendBlockAsync(key, uri, piece, offset, options, cancellationToken);
            }

            if (_appendOffsets.Count >= MaxCachedAppendOffsets)
            {
                _appendOffsets.Clear();
            }

            _appendOffsets[key] = offset;
            return new BlobAppendResult(offset - chunk.Length, offset);
        }
        catch
        {
            _appendOffsets.TryRemove(key, out _);
            throw;
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>Creates the append blob unless it exists; returns its current length.</summary>
    private async Task<long> PrepareAppendBlobAsync(string key, Uri uri, BlobWriteOptions? options, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            var existing = await GetPropertiesAsync(key, cancellationToken);
            if (existing is not null)
            {
                return existing.Kind == BlobKind.Append
                    ? existing.Length
                    : throw new BlobStoreException($"Blob '{key}' in {Description} was written whole, not as an append blob; it cannot be appended to.", 409, "InvalidBlobType");
            }

            var contentType = BlobKey.NormalizeContentType(options?.ContentType);
            var metadata = BlobKey.NormalizeMetadata(options?.Metadata);
            using var response = await SendWriteAsync(() =>
            {
                var request = new HttpRequestMessage(HttpMethod.Put, uri) { Content = new ByteArrayContent([]) };
                request.Headers.TryAddWithoutValidation("x-ms-blob-type", "AppendBlob");
                request.Headers.IfNoneMatch.Add(EntityTagHeaderValue.Any); // never truncate one created meanwhile
                AddBlobHeaders(request, contentType, metadata);
                return request;
            }, cancellationToken);
            if (response.IsSuccessStatusCode)
            {
                return 0;
            }

            if (response.StatusCode is HttpStatusCode.Conflict or HttpStatusCode.PreconditionFailed && attempt < 2)
            {
                continue; // created by someone else between our HEAD and PUT: use theirs
            }

            await EnsureSuccessAsync(response, "Create Append Blob", key, cancellationToken);
        }
    }

    private async Task<long> AppendBlockAsync(string key, Uri uri, ReadOnlyMemory<byte> piece, long expectedOffset, BlobWriteOptions? options, CancellationToken cancellationToken)
    {
        var appendUri = WithQuery(uri, "comp=appendblock");
        for (var round = 0; ; round++)
        {
            var attempts = 0;
            var offset = expectedOffset;
            using var response = await SendWriteAsync(() =>
            {
                attempts++;
                var request = new HttpRequestMessage(HttpMethod.Put, appendUri) { Content = new ReadOnlyMemoryContent(piece) };
                request.Headers.TryAddWithoutValidation("x-ms-blob-condition-appendpos", offset.ToString(CultureInfo.InvariantCulture));
                return request;
            }, cancellationToken);
            if (response.IsSuccessStatusCode)
            {
                return offset + piece.Length;
            }

            var code = ErrorCode(response);
            if (round < 3 && response.StatusCode == HttpStatusCode.PreconditionFailed && code == "AppendPositionConditionNotMet")
            {
                var current = await GetPropertiesAsync(key, cancellationToken);
                if (current is not null && attempts > 1 && current.Length == offset + piece.Length)
                {
                    return current.Length; // an earlier attempt landed but its answer was lost
                }

                expectedOffset = current?.Length ?? 0; // another writer appended (or our offset was stale): append at the end
                continue;
            }

            if (round < 3 && response.StatusCode == HttpStatusCode.NotFound && code == "BlobNotFound")
            {
                expectedOffset = await PrepareAppendBlobAsync(key, uri, options, cancellationToken); // deleted meanwhile
                continue;
            }

            await EnsureSuccessAsync(response, "Append Block", key, cancellationToken);
        }
    }

    public async Task<string> CheckHealthAsync(CancellationToken cancellationToken)
    {
        var uri = new Uri($"{_containerUrl}?restype=container");
        using var response = await SendAsync(() => new HttpRequestMessage(HttpMethod.Head, uri), HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            await CreateContainerAsync(cancellationToken);
            return Description + ", container created";
        }

        await EnsureSuccessAsync(response, "Get Container Properties", null, cancellationToken);
        return Description;
    }

    public void Dispose()
    {
        if (_ownsHttp)
        {
            _http.Dispose();
        }
    }

    private async Task CreateContainerAsync(CancellationToken cancellationToken)
    {
        var uri = new Uri($"{_containerUrl}?restype=container");
        using var response = await SendAsync(() => new HttpRequestMessage(HttpMethod.Put, uri) { Content = new ByteArrayContent([]) }, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        if (response.StatusCode == HttpStatusCode.Conflict)
        {
            return; // ContainerAlreadyExists: created by another instance
        }

        await EnsureSuccessAsync(response, "Create Container", null, cancellationToken);
        LogContainerCreated(_logger, _options.Container, _options.Endpoint.AbsoluteUri);
    }

    /// <summary>A write: when the container does not exist yet it is created and the request sent again.</summary>
    private async Task<HttpResponseMessage> SendWriteAsync(Func<HttpRequestMessage> build, CancellationToken cancellationToken)
    {
        var response = await SendAsync(build, HttpCompletionOption.ResponseContentRead, cancellationToken);
        if (response.StatusCode != HttpStatusCode.NotFound || ErrorCode(response) != "ContainerNotFound")
        {
            return response;
        }

        response.Dispose();
        await CreateContainerAsync(cancellationToken);
        return await SendAsync(build, HttpCompletionOption.ResponseContentRead, cancellationToken);
    }

    /// <summary>Sends a request built afresh for each attempt (a new date, a new signature) through the retry pipeline.</summary>
    private async Task<HttpResponseMessage> SendAsync(Func<HttpRequestMessage> build, HttpCompletionOption completion, CancellationToken cancellationToken)
    {
        try
        {
            return await _pipeline.ExecuteAsync(async token =>
            {
                using var request = build();
                request.RequestUri = _options.Authorizer.PrepareUri(request.RequestUri!);
                request.Headers.TryAddWithoutValidation("x-ms-version", ApiVersion);
                request.Headers.TryAddWithoutValidation("x-ms-date", DateTimeOffset.UtcNow.ToString("R", CultureInfo.InvariantCulture));
                request.Headers.TryAddWithoutValidation("x-ms-client-request-id", Guid.NewGuid().ToString());
                await _options.Authorizer.AuthorizeAsync(request, token);
                return await _http.SendAsync(request, completion, token);
            }, cancellationToken);
        }
        catch (Exception e) when (e is HttpRequestException or TimeoutRejectedException)
        {
            throw new BlobStoreException($"{Description} did not answer after {_options.MaxRetries + 1} attempts: {e.Message}", innerException: e);
        }
    }

    private static ResiliencePipeline<HttpResponseMessage> BuildPipeline(AzureBlobStoreOptions options, ILogger logger) =>
        new ResiliencePipelineBuilder<HttpResponseMessage>()
            .AddRetry(new RetryStrategyOptions<HttpResponseMessage>
            {
                ShouldHandle = new PredicateBuilder<HttpResponseMessage>()
                    .Handle<HttpRequestException>()
                    .Handle<TimeoutRejectedException>()
                    .HandleResult(response => response.StatusCode is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests
                        or HttpStatusCode.InternalServerError or HttpStatusCode.ServiceUnavailable),
                MaxRetryAttempts = Math.Max(0, options.MaxRetries),
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = options.RetryBaseDelay,
                MaxDelay = TimeSpan.FromSeconds(30),
                DelayGenerator = args =>
                {
                    var retryAfter = args.Outcome.Result?.Headers.RetryAfter;
                    TimeSpan? delay = retryAfter?.Delta ?? (retryAfter?.Date is { } date ? date - DateTimeOffset.UtcNow : null);
                    return ValueTask.FromResult(delay is { } d && d > TimeSpan.Zero ? TimeSpan.FromTicks(Math.Min(d.Ticks, TimeSpan.FromSeconds(30).Ticks)) : (TimeSpan?)null);
                },
                OnRetry = args =>
                {
                    var request = args.Outcome.Result?.RequestMessage;
                    var outcome = args.Outcome.Result is { } r ? $"{(int)r.StatusCode} {ErrorCode(r)}" : args.Outcome.Exception?.Message ?? "?";
                    LogRetry(logger, request?.Method.Method ?? "request", request?.RequestUri?.AbsolutePath ?? "", outcome, args.AttemptNumber + 1, (long)args.RetryDelay.TotalMilliseconds);
                    return ValueTask.CompletedTask;
                },
            })
            .AddTimeout(options.AttemptTimeout)
            .Build();

    private async Task EnsureSuccessAsync(HttpResponseMessage response, string operation, string? key, CancellationToken cancellationToken)
    {
        if (response.IsSuccessStatusCode)
        {
            return;
        }

        var code = ErrorCode(response);
        var detail = "";
        try
        {
            var text = await response.Content.ReadAsStringAsync(cancellationToken);
            if (text.Length > 0)
            {
                var error = XDocument.Parse(text).Root;
                code ??= error?.Element("Code")?.Value;
                detail = error?.Element("Message")?.Value.Split('\n')[0].Trim() ?? "";
            }
        }
        catch (System.Xml.XmlException)
        {
        }

        var status = (int)response.StatusCode;
        var target = key is null ? $"container '{_options.Container}'" : $"'{key}' in container '{_options.Container}'";
        var message = $"Azure Blob Storage {operation} of {target} at {_options.Endpoint.AbsoluteUri.TrimEnd('/')} failed: {status} {code ?? response.ReasonPhrase}{(detail.Length > 0 ? $" ({detail})" : "")}";
        throw status switch
        {
            403 => new BlobAccessDeniedException(message + ". " + _options.Authorizer.Kind switch
            {
                "SharedKey" => "Check the account name and key in ConnectionStrings:Blob.",
                "SAS" => "Check the SAS's permissions (read, add, create, write, delete, list) and expiry.",
                _ => "The identity needs the 'Storage Blob Data Contributor' role on the account or container.",
            }, code),
            404 => new BlobNotFoundException(message + ".", code),
            _ => new BlobStoreException(message + ".", status, code),
        };
    }

    private static string? ErrorCode(HttpResponseMessage response) =>
        response.Headers.TryGetValues("x-ms-error-code", out var values) ? values.FirstOrDefault() : null;

    private static BlobProperties ReadProperties(string key, HttpResponseMessage response, long length)
    {
        var metadata = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, values) in response.Headers)
        {
            if (name.StartsWith("x-ms-meta-", StringComparison.OrdinalIgnoreCase))
            {
                metadata[name["x-ms-meta-".Length..].ToLowerInvariant()] = string.Join(',', values);
            }
        }

        var kind = response.Headers.TryGetValues("x-ms-blob-type", out var types) && types.FirstOrDefault() == "AppendBlob" ? BlobKind.Append : BlobKind.Block;
        return new BlobProperties(key, length, response.Content.Headers.ContentType?.ToString() ?? BlobWriteOptions.DefaultContentType, metadata, LastModified(response), ETag(response), kind);
    }

    private static DateTimeOffset LastModified(HttpResponseMessage response) => response.Content.Headers.LastModified ?? DateTimeOffset.UtcNow;

    private static string ETag(HttpResponseMessage response) => response.Headers.ETag?.ToString() ?? "";

    private static string Quote(string etag) => etag.StartsWith('"') ? etag : $"\"{etag}\"";

    private static void AddBlobHeaders(HttpRequestMessage request, string contentType, IReadOnlyDictionary<string, string> metadata)
    {
        request.Headers.TryAddWithoutValidation("x-ms-blob-content-type", contentType);
        foreach (var (name, value) in metadata)
        {
            request.Headers.TryAddWithoutValidation("x-ms-meta-" + name, value);
        }
    }

    private Uri BlobUri(string key)
    {
        BlobKey.Validate(key);
        return new Uri($"{_containerUrl}/{string.Join('/', key.Split('/').Select(Uri.EscapeDataString))}");
    }

    private static Uri WithQuery(Uri uri, string query) => new($"{uri.AbsoluteUri}?{query}");

    private static string BlockId(byte[] uploadId, int index)
    {
        Span<byte> id = stackalloc byte[20];
        uploadId.CopyTo(id);
        BinaryPrimitives.WriteInt32BigEndian(id[16..], index);
        return Convert.ToBase64String(id);
    }

    /// <summary>Fills <paramref name="buffer"/> up to <see cref="BlockSize"/> bytes; fewer only at the end of the stream.</summary>
    private static async Task<int> ReadBlockAsync(Stream content, byte[] buffer, CancellationToken cancellationToken) =>
        await content.ReadAtLeastAsync(buffer.AsMemory(0, BlockSize), BlockSize, throwOnEndOfStream: false, cancellationToken);

    /// <summary>
    /// A download's body. When the connection breaks midway (or the body ends early) it asks for
    /// the rest of the same version of the blob (If-Match its ETag) and goes on, up to MaxRetries
    /// times with the same backoff as requests: the retry policy covers the bytes, not only the headers.
    /// </summary>
    private sealed class ResumingReadStream(AzureBlobStore store, string key, Uri uri, string etag, long start, long length, HttpResponseMessage response, Stream body) : Stream
    {
        private HttpResponseMessage _response = response;
        private Stream _body = body;
        private long _read;
        private int _resumes;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => length;

        public override long Position
        {
            get => _read;
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (_read >= length || buffer.Length == 0)
            {
                return 0;
            }

            while (true)
            {
                Exception failure;
                try
                {
                    var read = await _body.ReadAsync(buffer[..(int)Math.Min(buffer.Length, length - _read)], cancellationToken);
                    if (read > 0)
                    {
                        _read += read;
                        return read;
                    }

                    failure = new EndOfStreamException($"The body of '{key}' ended after {_read} of {length} bytes.");
                }
                catch (Exception e) when (e is IOException or HttpRequestException && !cancellationToken.IsCancellationRequested)
                {
                    failure = e;
                }

                if (_resumes >= store._options.MaxRetries)
                {
                    throw new BlobStoreException($"Reading '{key}' from {store.Description} failed after {_read} of {length} bytes and {_resumes} resumptions: {failure.Message}", innerException: failure);
                }

                _resumes++;
                LogResuming(store._logger, key, start + _read, failure.Message);
                _response.Dispose();
                var delay = store._options.RetryBaseDelay * Math.Pow(2, _resumes - 1) * (0.5 + Random.Shared.NextDouble());
                await Task.Delay(delay, cancellationToken);
                (_response, _body) = await store.ResumeAsync(key, uri, etag, start + _read, start + length - 1, cancellationToken);
            }
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                _body.Dispose();
                _response.Dispose();
            }

            base.Dispose(disposing);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Blob download of {Key} broke at byte {Offset} ({Error}); resuming from there")]
    private static partial void LogResuming(ILogger logger, string key, long offset, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Blob request {Method} {Path} answered {Outcome}; retry {Attempt} in {DelayMs} ms")]
    private static partial void LogRetry(ILogger logger, string method, string path, string outcome, int attempt, long delayMs);

    [LoggerMessage(Level = LogLevel.Information, Message = "Created blob container {Container} at {Endpoint}")]
    private static partial void LogContainerCreated(ILogger logger, string container, string endpoint);
}
