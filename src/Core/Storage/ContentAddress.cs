using System.Buffers;
using System.Security.Cryptography;

namespace DevMentor.Core.Storage;

/// <summary>
/// Content-addressed keys: a blob stored under the SHA-256 of its bytes
/// (<c>{prefix}/sha256/ab/abcdef…</c>), so equal content is stored once and a key proves its content.
/// </summary>
public static class ContentAddress
{
    /// <summary>The key for content whose SHA-256 is <paramref name="sha256Hex"/> (64 hex digits).</summary>
    public static string KeyFor(string prefix, string sha256Hex)
    {
        if (sha256Hex.Length != 64 || !sha256Hex.All(char.IsAsciiHexDigit))
        {
            throw new ArgumentException($"'{sha256Hex}' is not a SHA-256 in hex.", nameof(sha256Hex));
        }

        var hex = sha256Hex.ToLowerInvariant();
        var trimmed = prefix.Trim('/');
        var key = trimmed.Length == 0 ? $"sha256/{hex[..2]}/{hex}" : $"{trimmed}/sha256/{hex[..2]}/{hex}";
        BlobKey.Validate(key);
        return key;
    }

    /// <summary>The SHA-256 of the rest of <paramref name="content"/>, in lower-case hex.</summary>
    public static async Task<string> ComputeSha256Async(Stream content, CancellationToken cancellationToken = default)
    {
        var hash = await SHA256.HashDataAsync(content, cancellationToken);
        return Convert.ToHexStringLower(hash);
    }

    /// <summary>
    /// Stores <paramref name="content"/> under its content address unless that blob is already
    /// there. A stream that cannot seek is spooled to a temporary file while it is hashed, so memory
    /// stays flat whatever the size.
    /// </summary>
    public static async Task<ContentAddressedBlob> PutContentAddressedAsync(
        this IBlobStore store, string prefix, Stream content, BlobWriteOptions? options = null, CancellationToken cancellationToken = default)
    {
        if (content.CanSeek)
        {
            var start = content.Position;
            var sha = await ComputeSha256Async(content, cancellationToken);
            var length = content.Position - start;
            content.Position = start;
            return await PutIfAbsentAsync(store, KeyFor(prefix, sha), sha, length, content, options, cancellationToken);
        }

        var spool = Path.Combine(Path.GetTempPath(), $"devmentor-cas-{Guid.NewGuid():N}");
        await using var file = new FileStream(spool, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 1 << 16,
            FileOptions.Asynchronous | FileOptions.DeleteOnClose);
        using var hasher = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = ArrayPool<byte>.Shared.Rent(1 << 16);
        try
        {
            int read;
            while ((read = await content.ReadAsync(buffer, cancellationToken)) > 0)
            {
                hasher.AppendData(buffer, 0, read);
                await file.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        var hex = Convert.ToHexStringLower(hasher.GetHashAndReset());
        file.Position = 0;
        return await PutIfAbsentAsync(store, KeyFor(prefix, hex), hex, file.Length, file, options, cancellationToken);
    }

    private static async Task<ContentAddressedBlob> PutIfAbsentAsync(
        IBlobStore store, string key, string sha, long length, Stream content, BlobWriteOptions? options, CancellationToken cancellationToken)
    {
        if (await store.ExistsAsync(key, cancellationToken))
        {
            return new ContentAddressedBlob(key, sha, length, AlreadyStored: true);
        }

        await store.PutAsync(key, content, options, cancellationToken);
        return new ContentAddressedBlob(key, sha, length, AlreadyStored: false);
    }
}

/// <param name="AlreadyStored">The same content was there before, so nothing was written.</param>
public sealed record ContentAddressedBlob(string Key, string Sha256, long Length, bool AlreadyStored);
