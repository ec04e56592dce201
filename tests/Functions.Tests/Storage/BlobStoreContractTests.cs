using System.Security.Cryptography;
using System.Text;
using DevMentor.Core.Storage;

namespace DevMentor.Functions.Tests.Storage;

/// <summary>
/// What the blob store promises (once run against each adapter; now the SDK adapter on Azurite):
/// a subclass only says how to make a fresh, empty store.
/// </summary>
public abstract class BlobStoreContractTests : IAsyncLifetime
{
    private IBlobStore? _store;

    protected IBlobStore Store => _store ?? throw new InvalidOperationException("Not initialized.");

    /// <summary>A new store with nothing in it.</summary>
    protected abstract Task<IBlobStore> CreateStoreAsync();

    public async Task InitializeAsync() => _store = await CreateStoreAsync();

    public virtual Task DisposeAsync()
    {
        (_store as IDisposable)?.Dispose();
        return Task.CompletedTask;
    }

    [Fact]
    public async Task A_blob_round_trips_with_its_content_type_and_metadata()
    {
        var options = new BlobWriteOptions
        {
            ContentType = "text/plain; charset=utf-8",
            Metadata = new Dictionary<string, string> { ["Step"] = "build", ["attempt_2"] = "yes, really" },
        };

        var written = await Store.PutAsync("runs/1/summary.txt", Text("hello, blob"), options);
        await using var download = await Store.GetAsync("runs/1/summary.txt");

        Assert.Equal("hello, blob", await ReadTextAsync(download.Content));
        Assert.Equal(11, written.Length);
        Assert.Equal(11, download.Properties.Length);
        Assert.Equal(11, download.Length);
        Assert.Equal("text/plain; charset=utf-8", download.Properties.ContentType);
        Assert.Equal(new Dictionary<string, string> { ["attempt_2"] = "yes, really", ["step"] = "build" }, download.Properties.Metadata);
        Assert.Equal(BlobKind.Block, download.Properties.Kind);
        Assert.False(string.IsNullOrEmpty(download.Properties.ETag));

        var properties = await Store.GetPropertiesAsync("runs/1/summary.txt");
        Assert.Equal(11, properties!.Length);
        Assert.Equal(written.ETag, properties.ETag);
        Assert.Equal("build", properties.Metadata["step"]);
    }

    [Fact]
    public async Task An_empty_blob_and_the_default_content_type()
    {
        await Store.PutAsync("empty", new MemoryStream());

        await using var download = await Store.GetAsync("empty");

        Assert.Equal(0, download.Length);
        Assert.Equal("", await ReadTextAsync(download.Content));
        Assert.Equal(BlobWriteOptions.DefaultContentType, download.Properties.ContentType);
        Assert.Empty(download.Properties.Metadata);
    }

    [Fact]
    public async Task Put_replaces_a_blob_whole()
    {
        await Store.PutAsync("a/b", Text("first version, longer"), new BlobWriteOptions { Metadata = new Dictionary<string, string> { ["v"] = "1" } });
        await Store.PutAsync("a/b", Text("second"), new BlobWriteOptions { ContentType = "text/x-second" });

        await using var download = await Store.GetAsync("a/b");

        Assert.Equal("second", await ReadTextAsync(download.Content));
        Assert.Equal("text/x-second", download.Properties.ContentType);
        Assert.Empty(download.Properties.Metadata);
    }

    [Fact]
    public async Task A_write_that_fails_midway_leaves_the_previous_blob_intact()
    {
        await Store.PutAsync("artifact.bin", Text("the good one"));

        await Assert.ThrowsAsync<IOException>(() => Store.PutAsync("artifact.bin", new FailingStream(6 * 1024 * 1024)));
        await Assert.ThrowsAsync<IOException>(() => Store.PutAsync("never-written.bin", new FailingStream(100)));

        await using var download = await Store.GetAsync("artifact.bin");
        Assert.Equal("the good one", await ReadTextAsync(download.Content));
        Assert.False(await Store.ExistsAsync("never-written.bin"));
    }

    [Fact]
    public async Task Missing_blobs_exist_nowhere()
    {
        var missing = await Assert.ThrowsAsync<BlobNotFoundException>(() => Store.GetAsync("no/such/blob"));
        Assert.Contains("no/such/blob", missing.Message, StringComparison.Ordinal);
        Assert.Null(await Store.GetPropertiesAsync("no/such/blob"));
        Assert.False(await Store.ExistsAsync("no/such/blob"));
        Assert.False(await Store.DeleteAsync("no/such/blob"));
    }

    [Fact]
    public async Task Delete_removes_a_blob_and_leaves_its_neighbours()
    {
        await Store.PutAsync("dir/one", Text("1"));
        await Store.PutAsync("dir/two", Text("2"));

        Assert.True(await Store.DeleteAsync("dir/one"));

        Assert.False(await Store.ExistsAsync("dir/one"));
        Assert.True(await Store.ExistsAsync("dir/two"));
        Assert.False(await Store.DeleteAsync("dir/one"));
        var page = await Store.ListAsync("dir/");
        Assert.Equal(["dir/two"], page.Items.Select(i => i.Key));
    }

    [Fact]
    public async Task Range_reads_return_exactly_the_bytes_asked_for()
    {
        var bytes = RandomBytes(10_000, seed: 7);
        await Store.PutAsync("ranged", new MemoryStream(bytes));

        Assert.Equal(bytes[100..1100], await ReadRangeAsync("ranged", new BlobRange(100, 1000)));
        Assert.Equal(bytes[9_000..], await ReadRangeAsync("ranged", new BlobRange(9_000)));
        Assert.Equal(bytes[9_990..], await ReadRangeAsync("ranged", new BlobRange(9_990, 500))); // runs past the end: stops there
        Assert.Equal(bytes[..1], await ReadRangeAsync("ranged", new BlobRange(0, 1)));
        Assert.Empty(await ReadRangeAsync("ranged", new BlobRange(10_000))); // at the end: nothing yet
        Assert.Empty(await ReadRangeAsync("ranged", new BlobRange(20_000, 10)));

        await using var middle = await Store.GetAsync("ranged", new BlobRange(5_000, 10));
        Assert.Equal(5_000, middle.Offset);
        Assert.Equal(10, middle.Length);
        Assert.Equal(10_000, middle.Properties.Length);

        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => Store.GetAsync("ranged", new BlobRange(-1)));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => Store.GetAsync("ranged", new BlobRange(0, 0)));
    }

    [Fact]
    public async Task A_50_MiB_blob_round_trips_through_block_upload_with_the_same_sha256()
    {
        const long size = 50L * 1024 * 1024 + 12_345; // not a whole number of blocks
        var source = new GeneratedStream(size, seed: 50);

        var written = await Store.PutAsync("big/50mib.bin", source, new BlobWriteOptions { ContentType = "application/x-big" });
        var expected = source.Sha256Hex;

        Assert.Equal(size, written.Length);
        await using var download = await Store.GetAsync("big/50mib.bin");
        Assert.Equal(size, download.Length);
        Assert.Equal(expected, await ContentAddress.ComputeSha256Async(download.Content));
        Assert.Equal("application/x-big", download.Properties.ContentType);
        await AssertWrittenInBlocksAsync("big/50mib.bin", size);

        // A range across a block boundary (blocks are 4 MiB).
        const long boundary = 4L * 1024 * 1024;
        var expectedRange = GeneratedStream.Slice(50, boundary - 100, 200);
        Assert.Equal(expectedRange, await ReadRangeAsync("big/50mib.bin", new BlobRange(boundary - 100, 200)));
    }

    [Fact]
    public async Task Listing_2500_blobs_page_by_page_misses_nothing()
    {
        var keys = Enumerable.Range(0, 2500).Select(i => $"list/{i % 7}/item-{i:D5}.txt").ToList();
        await Parallel.ForEachAsync(keys, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (key, ct) =>
            await Store.PutAsync(key, Text(key), new BlobWriteOptions { ContentType = "text/plain", Metadata = new Dictionary<string, string> { ["n"] = key[^9..^4] } }, ct));
        await Store.PutAsync("lister/not-in-prefix", Text("x"));
        await Store.PutAsync("lis", Text("x"));

        var seen = new List<string>();
        var pages = 0;
        string? token = null;
        do
        {
            var page = await Store.ListAsync("list/", token, pageSize: 400);
            Assert.True(page.Items.Count <= 400);
            seen.AddRange(page.Items.Select(i => i.Key));
            Assert.All(page.Items, item =>
            {
                Assert.Equal(item.Key.Length, item.Length);
                Assert.Equal("text/plain", item.ContentType);
                Assert.Equal(item.Key[^9..^4], item.Metadata["n"]);
            });
            token = page.ContinuationToken;
            pages++;
        }
        while (token is not null);

        Assert.Equal(keys.Order(StringComparer.Ordinal), seen);
        Assert.True(pages >= 7, $"{pages} pages");

        // A prefix that ends inside a segment.
        var partial = await Store.ListAsync("list/3/item-000");
        Assert.Equal(keys.Where(k => k.StartsWith("list/3/item-000", StringComparison.Ordinal)).Order(StringComparer.Ordinal), partial.Items.Select(i => i.Key));
        Assert.Null(partial.ContinuationToken);
        Assert.Empty((await Store.ListAsync("nothing-here/")).Items);
    }

    [Fact]
    public async Task A_log_appended_in_chunks_is_readable_up_to_the_last_chunk_at_any_time()
    {
        const string key = "runs/42/steps/build/log";
        var options = new BlobWriteOptions { ContentType = "text/plain; charset=utf-8", Metadata = new Dictionary<string, string> { ["step"] = "build" } };
        var expected = new StringBuilder();
        long readUpTo = 0;
        for (var i = 0; i < 20; i++)
        {
            var chunk = $"line {i}: {new string('x', i * 10)}\n";
            var result = await Store.AppendAsync(key, Encoding.UTF8.GetBytes(chunk), options);
            Assert.Equal(expected.Length, result.Offset);
            expected.Append(chunk);
            Assert.Equal(expected.Length, result.Length);

            // A follower reads what is new since its last read, and sees exactly the last chunk.
            await using var tail = await Store.GetAsync(key, new BlobRange(readUpTo));
            Assert.Equal(chunk, await ReadTextAsync(tail.Content));
            readUpTo = tail.Offset + tail.Length;
        }

        await using var whole = await Store.GetAsync(key);
        Assert.Equal(expected.ToString(), await ReadTextAsync(whole.Content));
        Assert.Equal(BlobKind.Append, whole.Properties.Kind);
        Assert.Equal("text/plain; charset=utf-8", whole.Properties.ContentType);
        Assert.Equal("build", whole.Properties.Metadata["step"]);

        await using var nothingNew = await Store.GetAsync(key, new BlobRange(readUpTo));
        Assert.Equal(0, nothingNew.Length);
    }

    [Fact]
    public async Task Appends_bigger_than_a_block_and_concurrent_appends_keep_every_byte()
    {
        var big = RandomBytes(9 * 1024 * 1024 + 3, seed: 9);
        await Store.AppendAsync("big-log", big);
        await Task.WhenAll(Enumerable.Range(0, 20).Select(i => Store.AppendAsync("big-log", Encoding.ASCII.GetBytes($"<{i:D2}>"))));

        await using var download = await Store.GetAsync("big-log");
        using var buffer = new MemoryStream();
        await download.Content.CopyToAsync(buffer);
        var all = buffer.ToArray();
        Assert.Equal(big.Length + 20 * 4, all.Length);
        Assert.Equal(big, all[..big.Length]);
        var tail = Encoding.ASCII.GetString(all[big.Length..]);
        Assert.All(Enumerable.Range(0, 20), i => Assert.Contains($"<{i:D2}>", tail, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_blob_written_whole_cannot_be_appended_to()
    {
        await Store.PutAsync("whole", Text("done"));

        var error = await Assert.ThrowsAsync<BlobStoreException>(() => Store.AppendAsync("whole", new byte[] { 1 }));

        Assert.Contains("append", error.Message, StringComparison.OrdinalIgnoreCase);
        await using var download = await Store.GetAsync("whole");
        Assert.Equal("done", await ReadTextAsync(download.Content));
    }

    [Fact]
    public async Task Keys_with_spaces_unicode_and_reserved_characters_work_everywhere()
    {
        string[] keys = ["files/my project/read me.md", "files/ünïcødé/日本語.txt", "files/q?a=1&b=2#frag+plus%20.txt", "files/.gitignore", "files/a'b(c)!*~.txt"];
        foreach (var key in keys)
        {
            await Store.PutAsync(key, Text(key));
        }

        foreach (var key in keys)
        {
            await using var download = await Store.GetAsync(key);
            Assert.Equal(key, await ReadTextAsync(download.Content));
            Assert.True(await Store.ExistsAsync(key));
        }

        var listed = await Store.ListAsync("files/");
        Assert.Equal(keys.Order(StringComparer.Ordinal), listed.Items.Select(i => i.Key));
        Assert.True(await Store.DeleteAsync(keys[2]));
    }

    [Fact]
    public async Task Percent_encoded_separators_and_dots_stay_literal_and_never_alias_another_key()
    {
        string[] keys = ["enc/a%2Fb", "enc/..%2F..%2Foutside", "enc/%2e%2e", "enc/%2E%2E%5Cx", "enc/a%252Fb"];
        await Store.PutAsync("enc/a/b", Text("the real a/b"));
        await Store.PutAsync("outside", Text("the real outside"));
        foreach (var key in keys)
        {
            await Store.PutAsync(key, Text(key));
        }

        foreach (var key in keys)
        {
            await using var download = await Store.GetAsync(key);
            Assert.Equal(key, await ReadTextAsync(download.Content));
            Assert.Equal(key, download.Properties.Key);
        }

        await using (var real = await Store.GetAsync("enc/a/b"))
        {
            Assert.Equal("the real a/b", await ReadTextAsync(real.Content));
        }

        await using (var outside = await Store.GetAsync("outside"))
        {
            Assert.Equal("the real outside", await ReadTextAsync(outside.Content));
        }

        Assert.Equal(keys.Append("enc/a/b").Order(StringComparer.Ordinal), (await Store.ListAsync("enc/")).Items.Select(i => i.Key));
        Assert.True(await Store.DeleteAsync("enc/a%2Fb"));
        Assert.True(await Store.ExistsAsync("enc/a/b"));
    }

    [Theory]
    [InlineData("")]
    [InlineData("../outside")]
    [InlineData("a/../../outside")]
    [InlineData("a/../b")]
    [InlineData("/etc/passwd")]
    [InlineData("a\\..\\b")]
    [InlineData("a\0b")]
    [InlineData("a//b")]
    [InlineData("a/")]
    [InlineData(".")]
    [InlineData("a/./b")]
    [InlineData("a/\n/b")]
    public async Task Keys_that_could_escape_the_root_are_refused(string key)
    {
        await Assert.ThrowsAsync<InvalidBlobKeyException>(() => Store.PutAsync(key, Text("x")));
        await Assert.ThrowsAsync<InvalidBlobKeyException>(() => Store.GetAsync(key));
        await Assert.ThrowsAsync<InvalidBlobKeyException>(() => Store.ExistsAsync(key));
        await Assert.ThrowsAsync<InvalidBlobKeyException>(() => Store.DeleteAsync(key));
        await Assert.ThrowsAsync<InvalidBlobKeyException>(() => Store.AppendAsync(key, new byte[] { 1 }));
    }

    [Fact]
    public async Task Content_addressed_blobs_are_stored_once_under_their_sha256()
    {
        var bytes = Encoding.UTF8.GetBytes("artifact content");
        var sha = Convert.ToHexStringLower(SHA256.HashData(bytes));

        var first = await Store.PutContentAddressedAsync("artifacts", new MemoryStream(bytes), new BlobWriteOptions { ContentType = "application/zip" });
        var again = await Store.PutContentAddressedAsync("artifacts", new NonSeekableStream(bytes));

        Assert.Equal($"artifacts/sha256/{sha[..2]}/{sha}", first.Key);
        Assert.Equal(first.Key, again.Key);
        Assert.Equal(sha, again.Sha256);
        Assert.Equal(bytes.Length, again.Length);
        Assert.False(first.AlreadyStored);
        Assert.True(again.AlreadyStored);
        await using var download = await Store.GetAsync(first.Key);
        Assert.Equal(sha, await ContentAddress.ComputeSha256Async(download.Content));
    }

    [Fact]
    public async Task Readiness_check_passes_on_a_fresh_store()
    {
        var description = await Store.CheckHealthAsync(CancellationToken.None);

        Assert.Equal(Store.Description.Split(' ')[0], description.Split(' ')[0]);
    }

    /// <summary>
    /// Checks, from outside the adapter, that a large blob went up as blocks (the SDK adapter's
    /// subclass asks the official JavaScript SDK for the block list).
    /// </summary>
    protected virtual Task AssertWrittenInBlocksAsync(string key, long size) => Task.CompletedTask;

    protected static MemoryStream Text(string text) => new(Encoding.UTF8.GetBytes(text));

    protected static async Task<string> ReadTextAsync(Stream stream)
    {
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return await reader.ReadToEndAsync();
    }

    protected static byte[] RandomBytes(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    private async Task<byte[]> ReadRangeAsync(string key, BlobRange range)
    {
        await using var download = await Store.GetAsync(key, range);
        using var buffer = new MemoryStream();
        await download.Content.CopyToAsync(buffer);
        Assert.Equal(download.Length, buffer.Length);
        return buffer.ToArray();
    }
}
