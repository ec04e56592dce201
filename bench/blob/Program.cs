// Times our AzureBlobStore uploading and downloading one blob (bench/blob/run.sh compares it with
// @azure/storage-blob against the same Azurite). Prints one JSON line per measurement.
// Usage: dotnet BlobBench.dll CONNECTION_STRING CONTAINER SIZE_MIB ROUNDS
using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using DevMentor.Core.Storage.Azure;

var connectionString = args[0];
var container = args[1];
var sizeMiB = int.Parse(args[2], CultureInfo.InvariantCulture);
var rounds = int.Parse(args[3], CultureInfo.InvariantCulture);

var data = new byte[sizeMiB * 1024L * 1024];
new Random(100).NextBytes(data);
var expected = Convert.ToHexStringLower(SHA256.HashData(data));
using var store = new AzureBlobStore(AzureBlobStoreOptions.FromConnectionString(connectionString, container));
const string key = "bench/ours.bin";
var sink = new byte[1024 * 1024];

async Task<double> UploadAsync(byte[] bytes)
{
    var watch = Stopwatch.StartNew();
    await store.PutAsync(key, new MemoryStream(bytes, writable: false));
    return watch.Elapsed.TotalSeconds;
}

async Task<(double Seconds, long Bytes)> DownloadAsync()
{
    var watch = Stopwatch.StartNew();
    await using var download = await store.GetAsync(key);
    long total = 0;
    int read;
    while ((read = await download.Content.ReadAsync(sink)) > 0)
    {
        total += read;
    }

    return (watch.Elapsed.TotalSeconds, total);
}

// Warm-up on a small blob that still takes the block path (JIT, connections, container).
await UploadAsync(data[..(5 * 1024 * 1024)]);
await DownloadAsync();

for (var round = 0; round < rounds; round++)
{
    var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
    var up = await UploadAsync(data);
    var uploadAllocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
    var (down, bytes) = await DownloadAsync();
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
