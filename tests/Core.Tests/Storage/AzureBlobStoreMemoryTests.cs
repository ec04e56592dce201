using System.Net;
using System.Text.RegularExpressions;
using DevMentor.Core.Storage.Azure;

namespace DevMentor.Core.Tests.Storage;

[CollectionDefinition(nameof(AllocationMeasurement), DisableParallelization = true)]
public sealed class AllocationMeasurement;

/// <summary>Measures allocations, so it runs alone.</summary>
[Collection(nameof(AllocationMeasurement))]
public sealed partial class AzureBlobStoreMemoryTests
{
    [Fact]
    public async Task A_256_MiB_upload_goes_up_in_4_MiB_blocks_and_memory_stays_flat()
    {
        const long size = 256L * 1024 * 1024 + 1;
        var service = new FakeBlobService(_ => FakeBlobService.Status(HttpStatusCode.Created));
        using var store = new AzureBlobStore(AzureBlobStoreOptions.FromConnectionString("UseDevelopmentStorage=true", "devmentor"), new HttpClient(service));
        await store.PutAsync("warm-up", new PatternStream(9L * 1024 * 1024)); // fills the buffer pool once

        var before = GC.GetTotalAllocatedBytes(precise: true);
        var written = await store.PutAsync("big", new PatternStream(size));
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - before;

        Assert.Equal(size, written.Length);
        Assert.True(allocated < 24L * 1024 * 1024, $"a 256 MiB upload allocated {allocated / (1024 * 1024)} MiB");
        var blocks = service.Requests.Where(r => r.Uri.AbsolutePath.EndsWith("/big", StringComparison.Ordinal) && r.Uri.Query.Contains("comp=block&", StringComparison.Ordinal)).ToList();
        Assert.Equal(65, blocks.Count);
        Assert.Equal(size, blocks.Sum(b => b.BodyLength));
        Assert.All(blocks.SkipLast(1), b => Assert.True(b.BodyLength == AzureBlobStore.BlockSize));
        var commit = Assert.Single(service.Requests, r => r.Uri.AbsolutePath.EndsWith("/big", StringComparison.Ordinal) && r.Uri.Query == "?comp=blocklist");
        Assert.Equal(65, LatestBlock().Count(commit.Body!));
    }

    [GeneratedRegex("<Latest>[A-Za-z0-9+/=]{28}</Latest>")]
    private static partial Regex LatestBlock();
}
