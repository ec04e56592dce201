using System.Text;
using DevMentor.Core.Storage;
using DevMentor.Core.Storage.FileSystem;
using DevMentor.Functions.Tests.Infrastructure;

namespace DevMentor.Functions.Tests.Storage;

/// <summary>The blob store contract on the filesystem adapter, plus what only a filesystem can get wrong.</summary>
public sealed class FileSystemBlobStoreTests : BlobStoreContractTests
{
    private string _sandbox = "";
    private string _root = "";

    protected override Task<IBlobStore> CreateStoreAsync()
    {
        // The store's root sits inside a sandbox, so anything escaping the root would land in the sandbox.
        _sandbox = Path.Combine(TestPostgres.ScratchRoot, "fs-blobs-" + Guid.NewGuid().ToString("N")[..8]);
        _root = Path.Combine(_sandbox, "data-dir", "blobs");
        Directory.CreateDirectory(_sandbox);
        return Task.FromResult<IBlobStore>(new FileSystemBlobStore(_root));
    }

    public override Task DisposeAsync()
    {
        try
        {
            Directory.Delete(_sandbox, recursive: true);
        }
        catch (IOException)
        {
        }

        return base.DisposeAsync();
    }

    [Fact]
    public async Task Escaping_keys_write_nothing_outside_the_root()
    {
        string[] evil = ["../outside", "../../outside", "a/../../../outside", "/tmp/outside", "..\\outside", "x/..", "..", "a\0/../../outside"];
        foreach (var key in evil)
        {
            await Assert.ThrowsAsync<InvalidBlobKeyException>(() => Store.PutAsync(key, Text("escaped")));
            await Assert.ThrowsAsync<InvalidBlobKeyException>(() => Store.AppendAsync(key, "escaped"u8.ToArray()));
        }

        await Store.PutAsync("inside", Text("fine"));

        var outsideRoot = Directory.EnumerateFiles(_sandbox, "*", SearchOption.AllDirectories)
            .Where(f => !f.StartsWith(_root + "/", StringComparison.Ordinal))
            .ToList();
        Assert.Empty(outsideRoot);
        Assert.False(File.Exists("/tmp/outside"));
        Assert.True(File.Exists(Path.Combine(_root, "data", "inside")));
    }

    [Fact]
    public async Task Symbolic_links_inside_the_root_are_never_followed()
    {
        // Something outside the root, shaped like a blob, and links to it planted inside the root.
        var outside = Path.Combine(_sandbox, "outside");
        Directory.CreateDirectory(outside);
        var secret = Path.Combine(outside, "secret");
        await File.WriteAllTextAsync(secret, "DMBLOB1 {\"id\":\"0\",\"kind\":\"Block\",\"contentType\":\"text/plain\",\"metadata\":{}}\nsecret");
        await Store.PutAsync("real/blob", Text("inside"));
        Directory.CreateSymbolicLink(Path.Combine(_root, "data", "linkdir"), outside);
        File.CreateSymbolicLink(Path.Combine(_root, "data", "real", "linkfile"), secret);

        foreach (var key in new[] { "linkdir/secret", "linkdir/new", "real/linkfile" })
        {
            var error = await Assert.ThrowsAsync<InvalidBlobKeyException>(() => Store.GetAsync(key));
            Assert.Contains("symbolic link", error.Message, StringComparison.Ordinal);
            await Assert.ThrowsAsync<InvalidBlobKeyException>(() => Store.PutAsync(key, Text("escaped")));
            await Assert.ThrowsAsync<InvalidBlobKeyException>(() => Store.AppendAsync(key, "escaped"u8.ToArray()));
            await Assert.ThrowsAsync<InvalidBlobKeyException>(() => Store.ExistsAsync(key));
            await Assert.ThrowsAsync<InvalidBlobKeyException>(() => Store.GetPropertiesAsync(key));
            await Assert.ThrowsAsync<InvalidBlobKeyException>(() => Store.DeleteAsync(key));
        }

        await Assert.ThrowsAsync<InvalidBlobKeyException>(() => Store.ListAsync("linkdir/"));
        Assert.Equal(["real/blob"], (await Store.ListAsync("")).Items.Select(i => i.Key));
        Assert.Equal(["real/blob"], (await Store.ListAsync("real/")).Items.Select(i => i.Key));
        Assert.Equal(["secret"], Directory.EnumerateFileSystemEntries(outside).Select(Path.GetFileName));
        Assert.EndsWith("\nsecret", await File.ReadAllTextAsync(secret), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Percent_encoded_separators_and_dots_are_plain_characters_in_one_file()
    {
        string[] keys = ["enc/a%2Fb", "enc/..%2F..%2Foutside", "enc/%2e%2e", "enc/%2E%2E%5Cx", "enc/a%252Fb"];
        foreach (var key in keys)
        {
            await Store.PutAsync(key, Text(key));
        }

        Assert.Equal(keys.Order(StringComparer.Ordinal), Directory.EnumerateFiles(Path.Combine(_root, "data", "enc")).Select(f => "enc/" + Path.GetFileName(f)).Order(StringComparer.Ordinal));
        Assert.DoesNotContain(Directory.EnumerateFiles(_sandbox, "*outside*", SearchOption.AllDirectories), f => !f.StartsWith(Path.Combine(_root, "data", "enc") + "/", StringComparison.Ordinal));
        Assert.False(Directory.Exists(Path.Combine(_root, "data", "enc", "a")));
    }

    [Fact]
    public async Task Writes_are_staged_and_renamed_so_nothing_half_written_is_left()
    {
        await Store.PutAsync("kept", Text("complete"));
        await Assert.ThrowsAsync<IOException>(() => Store.PutAsync("kept", new FailingStream(3 * 1024 * 1024)));

        Assert.Empty(Directory.EnumerateFiles(Path.Combine(_root, "staging")));
        Assert.Equal(["kept"], Directory.EnumerateFiles(Path.Combine(_root, "data")).Select(Path.GetFileName));
        var onDisk = await File.ReadAllTextAsync(Path.Combine(_root, "data", "kept"));
        Assert.StartsWith("DMBLOB1 {", onDisk, StringComparison.Ordinal);
        Assert.EndsWith("}\ncomplete", onDisk, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_reader_keeps_the_version_it_opened_while_a_writer_replaces_it()
    {
        await Store.PutAsync("doc", Text(new string('a', 100_000)));
        await using var reader = await Store.GetAsync("doc");

        await Store.PutAsync("doc", Text(new string('b', 50)));

        var old = await ReadTextAsync(reader.Content);
        Assert.Equal(new string('a', 100_000), old);
        await using var fresh = await Store.GetAsync("doc");
        Assert.Equal(new string('b', 50), await ReadTextAsync(fresh.Content));
    }

    [Fact]
    public async Task A_blob_cannot_also_be_a_directory_and_the_error_says_so()
    {
        await Store.PutAsync("node", Text("file"));

        var error = await Assert.ThrowsAsync<BlobStoreException>(() => Store.PutAsync("node/child", Text("x")));

        Assert.Contains("'node' is a blob", error.Message, StringComparison.Ordinal);
        await Store.PutAsync("tree/leaf", Text("x"));
        var reverse = await Assert.ThrowsAsync<BlobStoreException>(() => Store.PutAsync("tree", Text("x")));
        Assert.Contains("'tree/…' blobs exist", reverse.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Deleting_the_last_blob_of_a_directory_removes_the_directory()
    {
        await Store.PutAsync("deep/er/still/blob", Text("x"));

        await Store.DeleteAsync("deep/er/still/blob");

        Assert.False(Directory.Exists(Path.Combine(_root, "data", "deep")));
        await Store.PutAsync("deep", Text("now a file")); // no directory in the way
        Assert.Equal("now a file", Encoding.UTF8.GetString((await Store.GetAsync("deep")).Content is var s ? await ReadAllAsync(s) : []));
    }

    private static async Task<byte[]> ReadAllAsync(Stream stream)
    {
        await using (stream)
        {
            using var buffer = new MemoryStream();
            await stream.CopyToAsync(buffer);
            return buffer.ToArray();
        }
    }
}
