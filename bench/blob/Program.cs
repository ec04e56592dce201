// Times our IBlobStore (AzureBlobStore on Azure.Storage.Blobs) uploading and downloading one blob
// (bench/blob/run.sh compares it with @azure/storage-blob against the same Azurite), or measures
// the memory an artifact of any size takes on its way in and out. One JSON line per measurement.
// Usage: dotnet BlobBench.dll CONNECTION_STRING CONTAINER SIZE_MIB ROUNDS
//        dotnet BlobBench.dll CONNECTION_STRING CONTAINER SIZE_MIB memory
using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using DevMentor.Core.Storage;
using DevMentor.Core.Storage.Account;

var connectionString = args[0];
var container = args[1];
var sizeMiB = int.Parse(args[2], CultureInfo.InvariantCulture);
var account = new StorageAccount { ConnectionString = connectionString, BlobServiceUri = new Uri("http://bench"), Description = "bench Azurite" };
var store = new AzureBlobStore(account, new AzureBlobStoreOptions { Container = container });
var sink = new byte[1024 * 1024];

if (args[3] == "memory")
{
    return await MeasureMemoryAsync();
}

var rounds = int.Parse(args[3], CultureInfo.InvariantCulture);
var data = new byte[sizeMiB * 1024L * 1024];
new Random(100).NextBytes(data);
var expected = Convert.ToHexStringLower(SHA256.HashData(data));
const string key = "bench/ours.bin";

async Task<double> UploadAsync(byte[] bytes)
{
    var watch = Stopwatch.StartNew();
    await store.PutAsync(key, new MemoryStream(bytes, writable: false));
    return watch.Elapsed.TotalSeconds;
}

async Task<(double Seconds, long Bytes)> DownloadAsync(string blob)
{
    var watch = Stopwatch.StartNew();
    await using var download = await store.GetAsync(blob);
    long total = 0;
    int read;
    while ((read = await download.Content.ReadAsync(sink)) > 0)
    {
        total += read;
    }

    return (watch.Elapsed.TotalSeconds, total);
}

// Warm-up on a blob that still takes the block path (JIT, connections, container).
await UploadAsync(data[..(17 * 1024 * 1024)]);
await DownloadAsync(key);

for (var round = 0; round < rounds; round++)
{
    var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
    var up = await UploadAsync(data);
    var uploadAllocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
    var (down, bytes) = await DownloadAsync(key);
    if (bytes != data.Length)
    {
        Console.Error.WriteLine($"downloaded {bytes} of {data.Length} bytes");
        return 1;
    }

    Console.WriteLine(FormattableString.Invariant($"{{\"client\":\"ours\",\"op\":\"upload\",\"mibps\":{sizeMiB / up:F1},\"allocatedMiB\":{uploadAllocated / 1048576.0:F1}}}"));
    Console.WriteLine(FormattableString.Invariant($"{{\"client\":\"ours\",\"op\":\"download\",\"mibps\":{sizeMiB / down:F1}}}"));
}

// Correctness, outside the timed rounds: the last blob read back has the bytes written.
await using (var check = await store.GetAsync(key))
{
    var actual = Convert.ToHexStringLower(await SHA256.HashDataAsync(check.Content));
    if (actual != expected)
    {
        Console.Error.WriteLine($"SHA-256 mismatch: {actual} != {expected}");
        return 1;
    }
}

return 0;

// An artifact as the runner endpoint receives it: a request body that cannot seek, stored
// content-addressed (spooled to a file while hashed, then uploaded in blocks), then read back whole.
// Memory is measured, not time: managed bytes allocated and the process's peak working set.
async Task<int> MeasureMemoryAsync()
{
    var size = sizeMiB * 1024L * 1024;
    await store.PutContentAddressedAsync("warmup", new PatternStream(20L * 1024 * 1024, 1)); // JIT, pools, connections
    GC.Collect();
    var workingSetBefore = Environment.WorkingSet;
    var before = GC.GetTotalAllocatedBytes(precise: true);
    var stored = await store.PutContentAddressedAsync("artifacts", new PatternStream(size, 2), new BlobWriteOptions());
    var uploadAllocated = GC.GetTotalAllocatedBytes(precise: true) - before;
    var (_, downloaded) = await DownloadAsync(stored.Key);
    var totalAllocated = GC.GetTotalAllocatedBytes(precise: true) - before;
    using var self = Process.GetCurrentProcess();
    if (downloaded != size || stored.Length != size)
    {
        Console.Error.WriteLine($"stored {stored.Length}, read back {downloaded} of {size} bytes");
        return 1;
    }

    Console.WriteLine(FormattableString.Invariant(
        $"{{\"client\":\"ours\",\"op\":\"memory\",\"sizeMiB\":{sizeMiB},\"uploadAllocatedMiB\":{uploadAllocated / 1048576.0:F1},\"allocatedMiB\":{totalAllocated / 1048576.0:F1},\"workingSetBeforeMiB\":{workingSetBefore / 1048576.0:F0},\"peakWorkingSetMiB\":{self.PeakWorkingSet64 / 1048576.0:F0}}}"));
    await store.DeleteAsync(stored.Key);
    return 0;
}

/// <summary>A non-seekable body of pseudo-random bytes made as it is read (never held whole).</summary>
internal sealed class PatternStream(long length, int seed) : Stream
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
        var count = (int)Math.Min(buffer.Length, length - _position) & ~7;
        if (count <= 0)
        {
            count = (int)Math.Min(buffer.Length, length - _position);
            buffer[..count].Fill((byte)seed);
            _position += count;
            return count;
        }

        for (var i = 0; i < count; i += 8)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(buffer[i..], ((ulong)(_position + i) * 0x9E3779B97F4A7C15UL) ^ (ulong)seed);
        }

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
}
