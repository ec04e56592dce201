using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace DevMentor.Core.Storage.FileSystem;

/// <summary>
/// The embedded default blob store: one file per blob under <c>{root}/data/{key}</c>.
/// </summary>
/// <remarks>
/// <para>Each file starts with one header line, <c>DMBLOB1 {json}\n</c> (content type, metadata,
/// kind), followed by the blob's bytes, so a blob and its properties are replaced together by a
/// single rename: writes go to <c>{root}/staging</c>, are flushed to disk and renamed into place.
/// Readers keep the file they opened, so a read never mixes two versions.</para>
/// <para>No key can leave <c>{root}/data</c>: keys are checked by <see cref="BlobKey"/> (no '..',
/// no absolute paths, no NUL, no backslash), the resolved path is checked again, and a path through
/// a symbolic link inside the root is refused (listing skips links). Percent signs are plain
/// characters here: <c>a%2Fb</c> is one file, never <c>a/b</c>.</para>
/// <para>A file cannot also be a directory, so this store cannot hold both <c>a</c> and
/// <c>a/b</c> (Azure can); the second write fails with a clear <see cref="BlobStoreException"/>.</para>
/// <para>Appends are serialized per key within the process and not flushed to disk each time
/// (a log chunk is readable at once; a machine crash may lose the last ones).</para>
/// </remarks>
public sealed partial class FileSystemBlobStore : IBlobStore
{
    private const string Magic = "DMBLOB1 ";
    private const int MaxHeaderBytes = 16 * 1024;
    private const int CopyBufferBytes = 1024 * 1024;
    private static readonly TimeSpan StaleStagingAge = TimeSpan.FromHours(24);

    private readonly string _root;
    private readonly string _data;
    private readonly string _staging;
    private readonly SemaphoreSlim[] _appendLocks = Enumerable.Range(0, 64).Select(_ => new SemaphoreSlim(1, 1)).ToArray();
    private int _stagingSwept;

    public FileSystemBlobStore(string root)
    {
        _root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(root));
        _data = Path.Combine(_root, "data");
        _staging = Path.Combine(_root, "staging");
    }

    public string Description => $"filesystem at {_root}";

    public string RootDirectory => _root;

    public async Task<BlobProperties> PutAsync(string key, Stream content, BlobWriteOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(content);
        var path = PathFor(key);
        var header = NewHeader(options, BlobKind.Block);
        var temp = NewStagingPath();
        long length;
        try
        {
            await using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 0, FileOptions.Asynchronous))
            {
                var headerBytes = EncodeHeader(header);
                await file.WriteAsync(headerBytes, cancellationToken);
                var buffer = ArrayPool<byte>.Shared.Rent(CopyBufferBytes);
                try
                {
                    int read;
                    while ((read = await content.ReadAsync(buffer.AsMemory(0, CopyBufferBytes), cancellationToken)) > 0)
                    {
                        await file.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
                    }
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                }

                length = file.Length - headerBytes.Length;
                file.Flush(flushToDisk: true);
            }

            MoveIntoPlace(key, temp, path, overwrite: true);
        }
        catch
        {
            TryDeleteFile(temp);
            throw;
        }

        return ToProperties(key, header, length, File.GetLastWriteTimeUtc(path));
    }

    public Task<BlobDownload> GetAsync(string key, BlobRange? range = null, CancellationToken cancellationToken = default)
    {
        range?.Validate();
        var path = PathFor(key);
        var file = OpenForRead(path) ?? throw new BlobNotFoundException($"Blob '{key}' does not exist in {Description}.", "BlobNotFound");
        try
        {
            var (header, headerLength) = ReadHeader(file, key);
            var total = file.Length - headerLength;
            var properties = ToProperties(key, header, total, File.GetLastWriteTimeUtc(file.SafeFileHandle));
            var offset = Math.Min(range?.Offset ?? 0, total);
            var length = range?.Length is { } wanted ? Math.Min(wanted, total - offset) : total - offset;
            file.Position = headerLength + offset;
            return Task.FromResult(new BlobDownload(properties, new ReadOnlySubStream(file, length), offset, length));
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    public Task<BlobProperties?> GetPropertiesAsync(string key, CancellationToken cancellationToken = default)
    {
        var path = PathFor(key);
        using var file = OpenForRead(path);
        if (file is null)
        {
            return Task.FromResult<BlobProperties?>(null);
        }

        var (header, headerLength) = ReadHeader(file, key);
        return Task.FromResult<BlobProperties?>(ToProperties(key, header, file.Length - headerLength, File.GetLastWriteTimeUtc(file.SafeFileHandle)));
    }

    public Task<bool> ExistsAsync(string key, CancellationToken cancellationToken = default) => Task.FromResult(File.Exists(PathFor(key)));

    public Task<bool> DeleteAsync(string key, CancellationToken cancellationToken = default)
    {
        var path = PathFor(key);
        if (!File.Exists(path))
        {
            return Task.FromResult(false);
        }

        try
        {
            File.Delete(path);
        }
        catch (DirectoryNotFoundException)
        {
            return Task.FromResult(false);
        }

        RemoveEmptyParents(path);
        return Task.FromResult(true);
    }

    public Task<BlobPage> ListAsync(string prefix, string? continuationToken = null, int pageSize = 1000, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        ArgumentOutOfRangeException.ThrowIfLessThan(pageSize, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(pageSize, 5000);
        var after = DecodeToken(continuationToken);

        // Only the directory the prefix fully names is walked: "runs/12" lists under runs/.
        var slash = prefix.LastIndexOf('/');
        var directoryKey = slash < 0 ? "" : prefix[..slash];
        string start;
        if (directoryKey.Length == 0)
        {
            if (prefix.IndexOfAny(['\0', '\\']) >= 0)
            {
                throw new InvalidBlobKeyException(prefix, "a prefix cannot contain NUL or a backslash");
            }

            start = _data;
        }
        else
        {
            start = PathFor(directoryKey);
        }

        if (!Directory.Exists(start))
        {
            return Task.FromResult(new BlobPage([], null));
        }

        var candidates = new List<string>();
        // Links are skipped, not followed: the store never makes one (see RefuseSymbolicLinks).
        var enumeration = new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true, AttributesToSkip = FileAttributes.ReparsePoint };
        foreach (var file in Directory.EnumerateFiles(start, "*", enumeration))
        {
            cancellationToken.ThrowIfCancellationRequested();
            var key = Path.GetRelativePath(_data, file);
            if (key.StartsWith(prefix, StringComparison.Ordinal) && (after is null || string.CompareOrdinal(key, after) > 0))
            {
                candidates.Add(key);
            }
        }

        candidates.Sort(StringComparer.Ordinal);
        var items = new List<BlobProperties>(Math.Min(pageSize, candidates.Count));
        foreach (var key in candidates)
        {
            if (items.Count == pageSize)
            {
                break;
            }

            using var file = OpenForRead(Path.Combine(_data, key));
            if (file is null)
            {
                continue; // deleted while listing
            }

            var (header, headerLength) = ReadHeader(file, key);
            items.Add(ToProperties(key, header, file.Length - headerLength, File.GetLastWriteTimeUtc(file.SafeFileHandle)));
        }

        var more = candidates.Count > items.Count && items.Count > 0;
        return Task.FromResult(new BlobPage(items, more ? EncodeToken(items[^1].Key) : null));
    }

    public async Task<BlobAppendResult> AppendAsync(string key, ReadOnlyMemory<byte> chunk, BlobWriteOptions? options = null, CancellationToken cancellationToken = default)
    {
        var path = PathFor(key);
        var gate = _appendLocks[(int)((uint)StringComparer.Ordinal.GetHashCode(key) % (uint)_appendLocks.Length)];
        await gate.WaitAsync(cancellationToken);
        try
        {
            if (!File.Exists(path))
            {
                CreateAppendBlob(key, path, options);
            }

            await using var file = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete, 0);
            var (header, headerLength) = ReadHeader(file, key);
            if (header.Kind != BlobKind.Append)
            {
                throw new BlobStoreException($"Blob '{key}' in {Description} was written whole, not as an append blob; it cannot be appended to.", 409, "InvalidBlobType");
            }

            var offset = file.Length - headerLength;
            if (chunk.Length > 0)
            {
                file.Seek(0, SeekOrigin.End);
                await file.WriteAsync(chunk, cancellationToken);
            }

            return new BlobAppendResult(offset, offset + chunk.Length);
        }
        finally
        {
            gate.Release();
        }
    }

    public Task<string> CheckHealthAsync(CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(_data);
        var probe = NewStagingPath();
        File.WriteAllBytes(probe, [1]);
        File.Delete(probe);
        return Task.FromResult(Description);
    }

    private void CreateAppendBlob(string key, string path, BlobWriteOptions? options)
    {
        var temp = NewStagingPath();
        try
        {
            using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 0))
            {
                file.Write(EncodeHeader(NewHeader(options, BlobKind.Append)));
                file.Flush(flushToDisk: true);
            }

            MoveIntoPlace(key, temp, path, overwrite: false);
        }
        catch (IOException) when (File.Exists(path))
        {
            // Created meanwhile by another process: append to that one.
        }
        finally
        {
            TryDeleteFile(temp);
        }
    }

    /// <summary>
    /// The file for <paramref name="key"/>; throws unless it lies strictly inside the data directory
    /// without passing through a symbolic link.
    /// </summary>
    private string PathFor(string key)
    {
        BlobKey.Validate(key);
        var full = Path.GetFullPath(Path.Combine(_data, key));
        if (!full.StartsWith(_data + Path.DirectorySeparatorChar, StringComparison.Ordinal))
        {
            throw new InvalidBlobKeyException(key, "it resolves outside the store's root");
        }

        RefuseSymbolicLinks(key, full);
        return full;
    }

    /// <summary>
    /// The store never creates links, so one inside the data directory was planted (by a build step
    /// writing into a shared directory, or by hand) and could point anywhere: a key that would pass
    /// through one is refused rather than followed. (The root itself may be a link: that is the
    /// operator's choice, made once in the configuration.)
    /// </summary>
    private void RefuseSymbolicLinks(string key, string full)
    {
        var position = _data.Length;
        while (position < full.Length)
        {
            var next = full.IndexOf(Path.DirectorySeparatorChar, position + 1);
            var component = next < 0 ? full : full[..next];
            var info = new FileInfo(component);
            string? target;
            try
            {
                target = info.LinkTarget;
            }
            catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
            {
                return; // nothing here yet, so nothing further down
            }

            if (target is not null)
            {
                throw new InvalidBlobKeyException(key, $"'{Path.GetRelativePath(_data, component)}' is a symbolic link in the store's root");
            }

            if (!info.Exists && !Directory.Exists(component))
            {
                return; // nothing further down exists yet, so nothing further down is a link
            }

            position = next < 0 ? full.Length : next;
        }
    }

    private string NewStagingPath()
    {
        Directory.CreateDirectory(_staging);
        if (Interlocked.Exchange(ref _stagingSwept, 1) == 0)
        {
            SweepStaging();
        }

        return Path.Combine(_staging, $"{Guid.NewGuid():N}.tmp");
    }

    /// <summary>Staging files older than a day were left by a process that died mid-write.</summary>
    private void SweepStaging()
    {
        foreach (var file in Directory.EnumerateFiles(_staging))
        {
            if (DateTime.UtcNow - File.GetLastWriteTimeUtc(file) > StaleStagingAge)
            {
                TryDeleteFile(file);
            }
        }
    }

    private void MoveIntoPlace(string key, string temp, string path, bool overwrite)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                File.Move(temp, path, overwrite);
                return;
            }
            catch (DirectoryNotFoundException) when (attempt < 3)
            {
                // A concurrent delete removed the (then empty) parent directory: create it again.
            }
            catch (IOException e) when (Directory.Exists(path) || BlockingFile(path) is not null)
            {
                var conflict = Directory.Exists(path) ? $"'{key}/…' blobs exist" : $"'{BlockingFile(path)}' is a blob";
                throw new BlobStoreException($"Blob '{key}' cannot be written to {Description}: {conflict}, and a file cannot also be a directory.", 409, "PathConflict", e);
            }
            catch (UnauthorizedAccessException e) when (Directory.Exists(path))
            {
                throw new BlobStoreException($"Blob '{key}' cannot be written to {Description}: '{key}/…' blobs exist, and a file cannot also be a directory.", 409, "PathConflict", e);
            }
        }
    }

    /// <summary>The key of a blob that sits where a parent directory of <paramref name="path"/> must be.</summary>
    private string? BlockingFile(string path)
    {
        for (var directory = Path.GetDirectoryName(path); directory is not null && directory.Length > _data.Length; directory = Path.GetDirectoryName(directory))
        {
            if (File.Exists(directory))
            {
                return Path.GetRelativePath(_data, directory);
            }
        }

        return null;
    }

    private void RemoveEmptyParents(string path)
    {
        for (var directory = Path.GetDirectoryName(path); directory is not null && directory.Length > _data.Length; directory = Path.GetDirectoryName(directory))
        {
            try
            {
                Directory.Delete(directory, recursive: false);
            }
            catch (IOException)
            {
                return; // not empty (or already gone)
            }
            catch (UnauthorizedAccessException)
            {
                return;
            }
        }
    }

    private static FileStream? OpenForRead(string path)
    {
        try
        {
            return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 0, FileOptions.Asynchronous);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
        catch (UnauthorizedAccessException) when (Directory.Exists(path))
        {
            return null; // a directory of other blobs, not a blob
        }
    }

    private (FileBlobHeader Header, int Length) ReadHeader(FileStream file, string key)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(MaxHeaderBytes);
        try
        {
            var read = 0;
            int n;
            while (read < MaxHeaderBytes && (n = RandomAccess.Read(file.SafeFileHandle, buffer.AsSpan(read, MaxHeaderBytes - read), read)) > 0)
            {
                read += n;
                if (buffer.AsSpan(0, read).Contains((byte)'\n'))
                {
                    break;
                }
            }

            var span = buffer.AsSpan(0, read);
            var newline = span.IndexOf((byte)'\n');
            if (newline < Magic.Length || !span.StartsWith(Encoding.ASCII.GetBytes(Magic)))
            {
                throw new BlobStoreException($"Blob '{key}' in {Description} has no valid header; the file was not written by this store.", 500, "CorruptBlob");
            }

            var header = JsonSerializer.Deserialize(span[Magic.Length..newline], FileBlobJsonContext.Default.FileBlobHeader)
                ?? throw new BlobStoreException($"Blob '{key}' in {Description} has an empty header.", 500, "CorruptBlob");
            return (header, newline + 1);
        }
        catch (JsonException e)
        {
            throw new BlobStoreException($"Blob '{key}' in {Description} has an unreadable header: {e.Message}", 500, "CorruptBlob", e);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static FileBlobHeader NewHeader(BlobWriteOptions? options, BlobKind kind) => new()
    {
        Id = Guid.NewGuid().ToString("N")[..16],
        Kind = kind,
        ContentType = BlobKey.NormalizeContentType(options?.ContentType),
        Metadata = new Dictionary<string, string>(BlobKey.NormalizeMetadata(options?.Metadata), StringComparer.Ordinal),
    };

    private static byte[] EncodeHeader(FileBlobHeader header)
    {
        var json = JsonSerializer.SerializeToUtf8Bytes(header, FileBlobJsonContext.Default.FileBlobHeader);
        var bytes = new byte[Magic.Length + json.Length + 1];
        Encoding.ASCII.GetBytes(Magic, bytes);
        json.CopyTo(bytes, Magic.Length);
        bytes[^1] = (byte)'\n';
        return bytes;
    }

    private static BlobProperties ToProperties(string key, FileBlobHeader header, long length, DateTime lastWriteUtc) =>
        new(key, length, header.ContentType, header.Metadata, new DateTimeOffset(lastWriteUtc, TimeSpan.Zero), $"\"{header.Id}-{length:x}\"", header.Kind);

    private static string EncodeToken(string lastKey) => "fs1." + Convert.ToBase64String(Encoding.UTF8.GetBytes(lastKey)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static string? DecodeToken(string? token)
    {
        if (string.IsNullOrEmpty(token))
        {
            return null;
        }

        try
        {
            if (!token.StartsWith("fs1.", StringComparison.Ordinal))
            {
                throw new FormatException();
            }

            var base64 = token[4..].Replace('-', '+').Replace('_', '/');
            base64 += new string('=', (4 - base64.Length % 4) % 4);
            return Encoding.UTF8.GetString(Convert.FromBase64String(base64));
        }
        catch (FormatException)
        {
            throw new ArgumentException("Not a continuation token from the filesystem blob store.", nameof(token));
        }
    }

    private static void TryDeleteFile(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
    }
}

internal sealed record FileBlobHeader
{
    public required string Id { get; init; }
    public BlobKind Kind { get; init; }
    public required string ContentType { get; init; }
    public Dictionary<string, string> Metadata { get; init; } = new(StringComparer.Ordinal);
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, UseStringEnumConverter = true)]
[JsonSerializable(typeof(FileBlobHeader))]
internal sealed partial class FileBlobJsonContext : JsonSerializerContext;
