using System.Collections.Concurrent;
using System.Globalization;
using System.Runtime.CompilerServices;
using Azure;
using Azure.Core.Pipeline;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;

namespace DevMentor.Core.Storage;

public sealed partial class AzureBlobStore
{
    /// <summary>The largest Append Block body sent (the service's limit before API version 2022-11-02, and a sane log chunk).</summary>
    public const int MaxAppendChunk = 4 * 1024 * 1024;
    private const int MaxCachedAppendOffsets = 10_000;

    private readonly ConcurrentDictionary<string, long> _appendOffsets = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim[] _appendLocks = Enumerable.Range(0, 64).Select(_ => new SemaphoreSlim(1, 1)).ToArray();

    /// <summary>
    /// Appends a chunk to an append blob. Why append blobs: Append Block is one request per chunk
    /// and the chunk is readable the moment it returns (committed blocks would re-send every block
    /// id on each commit). Each append carries the offset it expects (AppendPosition), so an SDK
    /// retry after a lost answer can never write a chunk twice. Appends to one key from this process
    /// take turns; another writer's append moves the offset on, and ours goes after it.
    /// </summary>
    public async Task<BlobAppendResult> AppendAsync(string key, ReadOnlyMemory<byte> chunk, BlobWriteOptions? options = null, CancellationToken cancellationToken = default)
    {
        BlobKey.Validate(key);
        var gate = _appendLocks[(int)((uint)StringComparer.Ordinal.GetHashCode(key) % (uint)_appendLocks.Length)];
        await gate.WaitAsync(cancellationToken);
        try
        {
            var client = Container.GetAppendBlobClient(key);
            if (!_appendOffsets.TryGetValue(key, out var offset))
            {
                offset = await PrepareAppendBlobAsync(key, client, options, cancellationToken);
            }

            var start = offset;
            for (var position = 0; position < chunk.Length; position += MaxAppendChunk)
            {
                var piece = chunk.Slice(position, Math.Min(MaxAppendChunk, chunk.Length - position));
                var landedAt = await AppendBlockAsync(key, client, piece, offset, options, cancellationToken);
                if (position == 0)
                {
                    start = landedAt;
                }

                offset = landedAt + piece.Length;
            }

            if (_appendOffsets.Count >= MaxCachedAppendOffsets)
            {
                _appendOffsets.Clear();
            }

            _appendOffsets[key] = offset;
            return new BlobAppendResult(chunk.Length == 0 ? offset : start, offset);
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

    private void ForgetAppendOffset(string key) => _appendOffsets.TryRemove(key, out _);

    /// <summary>
    /// Creates the append blob unless it exists (If-None-Match *, so one created meanwhile is never
    /// truncated); returns its current length. A new log costs one request before its first append.
    /// </summary>
    private async Task<long> PrepareAppendBlobAsync(string key, AppendBlobClient client, BlobWriteOptions? options, CancellationToken cancellationToken)
    {
        var contentType = BlobKey.NormalizeContentType(options?.ContentType);
        var metadata = BlobKey.NormalizeMetadata(options?.Metadata);
        await EnsureContainerAsync(cancellationToken);
        var created = await RunAsync("Create Append Blob", key, async () => await client.CreateIfNotExistsAsync(new AppendBlobCreateOptions
        {
            HttpHeaders = new BlobHttpHeaders { ContentType = contentType },
            Metadata = new Dictionary<string, string>(metadata),
        }, cancellationToken), cancellationToken);
        if (created is not null)
        {
            return 0;
        }

        var existing = await GetPropertiesAsync(key, cancellationToken);
        return existing switch
        {
            { Kind: BlobKind.Append } => existing.Length,
            null => 0, // deleted again meanwhile: the append's BlobNotFound path creates it
            _ => throw new BlobStoreException($"Blob '{key}' in {Description} was written whole, not as an append blob; it cannot be appended to.", 409, BlobErrorCode.InvalidBlobType.ToString()),
        };
    }

    /// <summary>Appends one piece where the blob is expected to end; returns where it landed.</summary>
    private async Task<long> AppendBlockAsync(string key, AppendBlobClient client, ReadOnlyMemory<byte> piece, long expectedOffset, BlobWriteOptions? options, CancellationToken cancellationToken)
    {
        for (var round = 0; ; round++)
        {
            var attempts = new StrongBox<int>(0);
            var offset = expectedOffset;
            try
            {
                using (HttpPipeline.CreateHttpMessagePropertiesScope(new Dictionary<string, object?> { [BlobRetryLogPolicy.AttemptsProperty] = attempts }))
                {
                    await using var body = new MemoryStream(piece.ToArray(), writable: false);
                    var appended = await client.AppendBlockAsync(body, new AppendBlobAppendBlockOptions
                    {
                        Conditions = new AppendBlobRequestConditions { IfAppendPositionEqual = offset },
                    }, cancellationToken);
                    return long.Parse(appended.Value.BlobAppendOffset, CultureInfo.InvariantCulture);
                }
            }
            catch (RequestFailedException e) when (round < 3 && e.ErrorCode == BlobErrorCode.AppendPositionConditionNotMet)
            {
                var current = await GetPropertiesAsync(key, cancellationToken);
                if (current is not null && attempts.Value > 1 && current.Length == offset + piece.Length)
                {
                    return offset; // an earlier attempt landed but its answer was lost
                }

                expectedOffset = current?.Length ?? 0; // another writer appended (or our offset was stale): append at the end
            }
            catch (RequestFailedException e) when (round < 3 && e.ErrorCode == BlobErrorCode.BlobNotFound)
            {
                expectedOffset = await PrepareAppendBlobAsync(key, client, options, cancellationToken); // deleted meanwhile
            }
            catch (RequestFailedException e) when (e.ErrorCode == BlobErrorCode.InvalidBlobType)
            {
                throw new BlobStoreException($"Blob '{key}' in {Description} was written whole, not as an append blob; it cannot be appended to.", 409, e.ErrorCode, e);
            }
            catch (RequestFailedException e)
            {
                throw Failure("Append Block", key, e);
            }
            catch (AggregateException e) when (!cancellationToken.IsCancellationRequested)
            {
                throw new BlobStoreException($"{Description} did not answer Append Block of '{key}' after {_options.MaxRetries + 1} attempts: {FirstLine(e.InnerExceptions.LastOrDefault()?.Message ?? e.Message)}", innerException: e);
            }
        }
    }
}
