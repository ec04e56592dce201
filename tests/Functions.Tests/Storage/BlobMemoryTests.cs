using DevMentor.Core.Storage;
using DevMentor.Functions.Tests.Infrastructure;

namespace DevMentor.Functions.Tests.Storage;

[CollectionDefinition(nameof(AllocationMeasurement), DisableParallelization = true)]
public sealed class AllocationMeasurement;

/// <summary>
/// Large artifacts stream: memory stays flat whatever their size. Measured as managed bytes
/// allocated (not time) while a 256 MiB artifact goes in as the runner endpoint receives it (a
/// body that cannot seek, stored content-addressed) and comes back out; the test runs alone, as
/// allocations are counted for the whole process. bench/blob measures the same on 1 GiB.
/// </summary>
[Collection(nameof(AllocationMeasurement))]
public sealed class BlobMemoryTests
{
    [Fact]
    public async Task A_256_MiB_artifact_goes_in_and_out_allocating_a_small_fraction_of_its_size()
    {
        const long size = 256L * 1024 * 1024 + 7;
        var azurite = await TestAzurite.SharedAsync();
        var store = new AzureBlobStore(azurite.Account, new AzureBlobStoreOptions { Container = TestAzurite.NewContainer("mem") });
        await store.PutContentAddressedAsync("warmup", new GeneratedStream(20L * 1024 * 1024, seed: 1)); // JIT, buffer pools, connections
        var buffer = new byte[81920];

        var before = GC.GetTotalAllocatedBytes(precise: true);
        var source = new GeneratedStream(size, seed: 256);
        var stored = await store.PutContentAddressedAsync("artifacts", source);
        long read = 0;
        await using (var download = await store.GetAsync(stored.Key))
        {
            int n;
            while ((n = await download.Content.ReadAsync(buffer)) > 0)
            {
                read += n;
            }
        }

        var allocated = GC.GetTotalAllocatedBytes(precise: true) - before;

        Assert.Equal(size, stored.Length);
        Assert.Equal(source.Sha256Hex, stored.Sha256);
        Assert.Equal(size, read);
        // Proportional buffering would allocate at least the artifact's size; streaming stays far below it.
        Assert.True(allocated < 64L * 1024 * 1024, $"a {size / (1024 * 1024)} MiB artifact allocated {allocated / (1024 * 1024)} MiB on its way in and out");
    }
}
