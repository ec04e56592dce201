using System.Buffers.Binary;
using System.Security.Cryptography;

namespace DevMentor.Functions.Tests.Storage;

/// <summary>
/// A non-seekable stream of <c>length</c> pseudo-random bytes, generated as it is read (so a test
/// never holds a large blob in memory), hashing what it hands out. The byte at any position can be
/// recomputed with <see cref="Slice"/>.
/// </summary>
public sealed class GeneratedStream(long length, int seed) : ForwardOnlyStream
{
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private string? _sha;

    /// <summary>The SHA-256 of everything read, once the stream has been read to its end.</summary>
    public string Sha256Hex => _sha ?? throw new InvalidOperationException("The stream has not been read to its end.");

    public static byte[] Slice(int seed, long offset, int count)
    {
        var bytes = new byte[count];
        Fill(seed, offset, bytes);
        return bytes;
    }

    protected override int ReadNext(Span<byte> buffer)
    {
        var count = (int)Math.Min(buffer.Length, length - Position);
        if (count <= 0)
        {
            _sha ??= Convert.ToHexStringLower(_hash.GetHashAndReset());
            return 0;
        }

        Fill(seed, Position, buffer[..count]);
        _hash.AppendData(buffer[..count]);
        return count;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _hash.Dispose();
        }

        base.Dispose(disposing);
    }

    private static void Fill(int seed, long offset, Span<byte> destination)
    {
        Span<byte> word = stackalloc byte[8];
        var position = offset;
        var written = 0;
        while (written < destination.Length)
        {
            var index = position >> 3;
            BinaryPrimitives.WriteUInt64LittleEndian(word, SplitMix((ulong)index ^ ((ulong)(uint)seed << 40)));
            var within = (int)(position & 7);
            var take = Math.Min(8 - within, destination.Length - written);
            word.Slice(within, take).CopyTo(destination[written..]);
            written += take;
            position += take;
        }
    }

    private static ulong SplitMix(ulong x)
    {
        x += 0x9E3779B97F4A7C15UL;
        x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9UL;
        x = (x ^ (x >> 27)) * 0x94D049BB133111EBUL;
        return x ^ (x >> 31);
    }
}

/// <summary>Hands out <c>goodBytes</c> zero bytes, then fails as a broken upload source would.</summary>
public sealed class FailingStream(long goodBytes) : ForwardOnlyStream
{
    protected override int ReadNext(Span<byte> buffer)
    {
        if (Position >= goodBytes)
        {
            throw new IOException("The source failed midway.");
        }

        var count = (int)Math.Min(buffer.Length, goodBytes - Position);
        buffer[..count].Clear();
        return count;
    }
}

/// <summary>A byte array behind a stream that cannot seek (like a request body).</summary>
public sealed class NonSeekableStream(byte[] bytes) : ForwardOnlyStream
{
    private readonly MemoryStream _inner = new(bytes, writable: false);

    protected override int ReadNext(Span<byte> buffer) => _inner.Read(buffer);

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _inner.Dispose();
        }

        base.Dispose(disposing);
    }
}

/// <summary>What the test streams share: read-only, forward-only, no length (like a request body); reads are synchronous.</summary>
public abstract class ForwardOnlyStream : Stream
{
    private long _position;

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => _position;
        set => throw new NotSupportedException();
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var count = ReadNext(buffer);
        _position += count;
        return count;
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => ValueTask.FromResult(Read(buffer.Span));

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => Task.FromResult(Read(buffer.AsSpan(offset, count)));

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    /// <summary>Fills the start of <paramref name="buffer"/> from <see cref="Position"/> on; 0 at the end.</summary>
    protected abstract int ReadNext(Span<byte> buffer);
}
