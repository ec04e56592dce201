using System.Diagnostics;
using System.Text;
using System.Text.Json;
using DevMentor.Core.Storage;
using DevMentor.Core.Storage.Account;
using DevMentor.Functions.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;

namespace DevMentor.Functions.Tests.Storage;

/// <summary>
/// The blob store contract on the SDK adapter (Azure.Storage.Blobs) against Azurite, a fresh
/// container per test, plus interop with the official JavaScript SDK in both directions, the
/// SDK's configured retries against a real server that fails, and clear errors.
/// </summary>
public sealed class AzureBlobStoreTests : BlobStoreContractTests
{
    private AzuriteServer? _azurite;
    private string _container = "";

    protected override async Task<IBlobStore> CreateStoreAsync()
    {
        _azurite = await TestAzurite.SharedAsync();
        _container = TestAzurite.NewContainer();
        return new AzureBlobStore(_azurite.Account, Options(_container));
    }

    private static AzureBlobStoreOptions Options(string container, int maxRetries = 4) => new()
    {
        Container = container,
        MaxRetries = maxRetries,
        RetryDelay = TimeSpan.FromMilliseconds(20),
        MaxRetryDelay = TimeSpan.FromMilliseconds(500),
    };

    private AzuriteServer Azurite => _azurite!;

    /// <summary>The official SDK's Get Block List: committed blocks of the configured size (the last one shorter), nothing left uncommitted.</summary>
    protected override async Task AssertWrittenInBlocksAsync(string key, long size)
    {
        var blocks = await SdkAsync("blocks", key);
        var committed = blocks.GetProperty("committed").EnumerateArray().Select(b => b.GetInt64()).ToList();
        Assert.Equal((int)((size + AzureBlobStoreOptions.DefaultBlockSize - 1) / AzureBlobStoreOptions.DefaultBlockSize), committed.Count);
        Assert.All(committed.SkipLast(1), b => Assert.Equal(AzureBlobStoreOptions.DefaultBlockSize, b));
        Assert.Equal(size, committed.Sum());
        Assert.Equal(0, blocks.GetProperty("uncommitted").GetInt32());
    }

    [Fact]
    public async Task A_blob_our_adapter_writes_is_read_by_the_official_sdk()
    {
        var bytes = RandomBytes(17 * 1024 * 1024 + 17, seed: 3); // three blocks
        await Store.PutAsync("interop/ours.bin", new MemoryStream(bytes), new BlobWriteOptions
        {
            ContentType = "application/x-ours",
            Metadata = new Dictionary<string, string> { ["origin"] = "devmentor", ["run"] = "42" },
        });
        await Store.PutAsync("interop/small.txt", Text("small one"));

        var big = await SdkAsync("download", "interop/ours.bin");
        var small = await SdkAsync("download", "interop/small.txt");

        Assert.Equal(bytes.Length, big.GetProperty("length").GetInt64());
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes)), big.GetProperty("sha256").GetString());
        Assert.Equal("application/x-ours", big.GetProperty("contentType").GetString());
        Assert.Equal("devmentor", big.GetProperty("metadata").GetProperty("origin").GetString());
        Assert.Equal("42", big.GetProperty("metadata").GetProperty("run").GetString());
        Assert.Equal("BlockBlob", big.GetProperty("blobType").GetString());
        Assert.Equal(9, small.GetProperty("length").GetInt64());
    }

    [Fact]
    public async Task An_append_blob_our_adapter_writes_is_read_by_the_official_sdk()
    {
        await Store.AppendAsync("interop/log", "first\n"u8.ToArray(), new BlobWriteOptions { ContentType = "text/plain" });
        await Store.AppendAsync("interop/log", "second\n"u8.ToArray());

        var log = await SdkAsync("download", "interop/log");

        Assert.Equal("AppendBlob", log.GetProperty("blobType").GetString());
        Assert.Equal(13, log.GetProperty("length").GetInt64());
        Assert.Equal("text/plain", log.GetProperty("contentType").GetString());
    }

    [Fact]
    public async Task A_blob_the_official_sdk_writes_is_read_by_our_adapter()
    {
        var source = Path.Combine(TestPostgres.ScratchRoot, "sdk-upload-" + Guid.NewGuid().ToString("N")[..8]);
        var bytes = RandomBytes(5 * 1024 * 1024 + 5, seed: 5); // the script uploads it in 1 MiB blocks
        await File.WriteAllBytesAsync(source, bytes);
        try
        {
            var sdk = await SdkAsync("upload", "interop/theirs.bin", source, "image/x-theirs", """{"origin":"sdk","Mixed_Case":"v"}""");

            await using var download = await Store.GetAsync("interop/theirs.bin");
            Assert.Equal(sdk.GetProperty("sha256").GetString(), await ContentAddress.ComputeSha256Async(download.Content));
            Assert.Equal(bytes.Length, download.Properties.Length);
            Assert.Equal("image/x-theirs", download.Properties.ContentType);
            Assert.Equal("sdk", download.Properties.Metadata["origin"]);
            Assert.Equal("v", download.Properties.Metadata["mixed_case"]);
            Assert.Equal(bytes[1000..2000], await RangeAsync("interop/theirs.bin", new BlobRange(1000, 1000)));
            var listed = Assert.Single((await Store.ListAsync("interop/")).Items);
            Assert.Equal("sdk", listed.Metadata["origin"]);
        }
        finally
        {
            File.Delete(source);
        }
    }

    [Fact]
    public async Task The_container_is_created_on_first_write_and_reads_before_it_find_nothing()
    {
        Assert.False(await Store.ExistsAsync("anything"));
        Assert.Empty((await Store.ListAsync("")).Items);

        await Store.PutAsync("first", Text("x"));

        Assert.True(await Store.ExistsAsync("first"));
    }

    [Fact]
    public async Task A_wrong_account_key_is_a_clear_access_denied_error()
    {
        var wrongKey = Convert.ToBase64String(new byte[64]);
        var account = Azurite.Account with { ConnectionString = Azurite.ConnectionString.Replace(StorageAccount.DevelopmentAccountKey, wrongKey, StringComparison.Ordinal) };
        var store = new AzureBlobStore(account, Options(_container));

        var error = await Assert.ThrowsAsync<BlobAccessDeniedException>(() => store.PutAsync("x", Text("x")));

        Assert.Equal(403, error.StatusCode);
        Assert.Contains("AzureWebJobsStorage", error.Message, StringComparison.Ordinal);
        Assert.Contains("'x'", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(wrongKey, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("\n", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unreachable_endpoint_fails_after_the_retries_with_a_clear_error()
    {
        var port = ChildServer.FreePort(); // nothing listens there
        var store = new AzureBlobStore(StorageAccount.ForAzurite(port, port, port, $"nothing on 127.0.0.1:{port}"), Options("unreachable", maxRetries: 2));

        var error = await Assert.ThrowsAsync<BlobStoreException>(() => store.GetAsync("x"));

        Assert.Contains("did not answer Get Blob of 'x' after 3 attempts", error.Message, StringComparison.Ordinal);
        Assert.Contains($"127.0.0.1:{port}", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Transient_failures_of_a_real_server_are_retried_by_the_sdk_as_configured_until_it_succeeds()
    {
        await using var proxy = await FaultInjectingProxy.StartAsync(new Uri($"http://127.0.0.1:{Azurite.BlobPort}"));
        var logger = new RecordingLogger();
        var proxied = StorageAccount.ForAzurite(proxy.BaseAddress.Port, Azurite.QueuePort, Azurite.TablePort, "Azurite behind a fault-injecting proxy");
        var store = new AzureBlobStore(proxied, Options(_container), logger);
        static bool IsBlob(HttpRequest r, string name) => r.Path.Value!.EndsWith("/" + name, StringComparison.Ordinal);
        await store.CheckHealthAsync(CancellationToken.None); // the container, before the faults are planted

        // Put Blob: each retryable status once, then the real server.
        proxy.Fail(r => HttpMethods.IsPut(r.Method) && IsBlob(r, "small"),
            (503, "ServerBusy"), (500, "InternalError"), (429, "TooManyRequests"), (408, "OperationTimedOut"));
        await store.PutAsync("retry/small", Text("small body"), new BlobWriteOptions { ContentType = "text/plain" });

        Assert.Equal(0, proxy.PendingFaults);
        var retries = logger.Entries.Where(e => e.Values.ContainsKey("Attempt")).ToList();
        Assert.Equal([503, 500, 429, 408], retries.Select(e => (int)e.Values["Status"]!));
        Assert.Equal(["ServerBusy", "InternalError", "TooManyRequests", "OperationTimedOut"], retries.Select(e => (string)e.Values["ErrorCode"]!));
        Assert.Equal([1, 2, 3, 4], retries.Select(e => (int)e.Values["Attempt"]!));
        Assert.All(retries, e => Assert.DoesNotContain("sig=", (string)e.Values["Path"]!, StringComparison.Ordinal));
        var attempts = proxy.Requests.Where(r => r.Method == "PUT" && r.Target.EndsWith("/small", StringComparison.Ordinal)).ToList();
        Assert.Equal([503, 500, 429, 408, 201], attempts.Select(a => a.Answered));
        Assert.Equal(5, attempts.Select(a => a.Date).Count()); // each attempt signed afresh, and the real server took the last

        // One more failure than the configured retries: the caller gets the server's last answer.
        proxy.Fail(r => HttpMethods.IsPut(r.Method) && IsBlob(r, "doomed"), Enumerable.Repeat((503, "ServerBusy"), 5).ToArray());
        var error = await Assert.ThrowsAsync<BlobStoreException>(() => store.PutAsync("retry/doomed", Text("x")));
        Assert.Equal(503, error.StatusCode);
        Assert.Equal("ServerBusy", error.ErrorCode);
        Assert.Equal(0, proxy.PendingFaults);

        // Put Block and Put Block List of a large body, and Get Blob.
        var bytes = RandomBytes(17 * 1024 * 1024 + 1, seed: 11); // three blocks
        proxy.Fail(r => HttpMethods.IsPut(r.Method) && (r.QueryString.Value ?? "").Contains("comp=block&", StringComparison.Ordinal), (503, "ServerBusy"), (500, "InternalError"));
        proxy.Fail(r => (r.QueryString.Value ?? "").Contains("comp=blocklist", StringComparison.Ordinal), (429, "TooManyRequests"));
        await store.PutAsync("retry/large", new MemoryStream(bytes));
        proxy.Fail(r => HttpMethods.IsGet(r.Method) && IsBlob(r, "large"), (503, "ServerBusy"), (408, "OperationTimedOut"));
        await using (var download = await store.GetAsync("retry/large"))
        {
            Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes)), await ContentAddress.ComputeSha256Async(download.Content));
        }

        Assert.Equal(0, proxy.PendingFaults);
        Assert.Equal(5, proxy.Requests.Count(r => r.Injected && r.Target.Contains("/large", StringComparison.Ordinal)));
        await using var direct = await Store.GetAsync("retry/small"); // what landed, read without the proxy
        Assert.Equal("small body", await ReadTextAsync(direct.Content));
        Assert.Equal("text/plain", direct.Properties.ContentType);
    }

    private async Task<byte[]> RangeAsync(string key, BlobRange range)
    {
        await using var download = await Store.GetAsync(key, range);
        using var buffer = new MemoryStream();
        await download.Content.CopyToAsync(buffer);
        return buffer.ToArray();
    }

    /// <summary>Runs tests/tools/blob-sdk.mjs (the official @azure/storage-blob) and returns the JSON it prints.</summary>
    private async Task<JsonElement> SdkAsync(string command, string blob, string? file = null, params string[] extra)
    {
        file ??= Path.Combine(TestPostgres.ScratchRoot, "sdk-download-" + Guid.NewGuid().ToString("N")[..8]);
        var info = new ProcessStartInfo("node")
        {
            WorkingDirectory = TestAzurite.ToolsDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { "blob-sdk.mjs", command, Azurite.ConnectionString, _container, blob, file }.Concat(extra))
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        await process.WaitForExitAsync(timeout.Token);
        if (command == "download")
        {
            File.Delete(file);
        }

        Assert.True(process.ExitCode == 0, $"blob-sdk.mjs {command} failed: {await errors}{await output}");
        return JsonDocument.Parse((await output).Trim()).RootElement.Clone();
    }
}
