using System.Diagnostics;
using System.Text;
using System.Text.Json;
using DevMentor.Core.Storage;
using DevMentor.Core.Storage.Azure;
using DevMentor.Functions.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;

namespace DevMentor.Functions.Tests.Storage;

/// <summary>
/// The blob store contract on the Azure REST adapter against Azurite (a fresh container per test),
/// plus interop with the official JavaScript SDK in both directions.
/// </summary>
public sealed class AzureBlobStoreTests : BlobStoreContractTests
{
    private AzuriteServer? _azurite;
    private string _container = "";

    protected override async Task<IBlobStore> CreateStoreAsync()
    {
        _azurite = await TestAzurite.SharedAsync();
        _container = "t" + Guid.NewGuid().ToString("N")[..20];
        return new AzureBlobStore(AzureBlobStoreOptions.FromConnectionString(_azurite.ConnectionString, _container) with { RetryBaseDelay = TimeSpan.FromMilliseconds(50) });
    }

    private AzuriteServer Azurite => _azurite!;

    /// <summary>The official SDK's Get Block List: committed 4 MiB blocks (the last one shorter), nothing left uncommitted.</summary>
    protected override async Task AssertWrittenInBlocksAsync(string key, long size)
    {
        var blocks = await SdkAsync("blocks", key);
        var committed = blocks.GetProperty("committed").EnumerateArray().Select(b => b.GetInt64()).ToList();
        Assert.Equal((int)((size + AzureBlobStore.BlockSize - 1) / AzureBlobStore.BlockSize), committed.Count);
        Assert.All(committed.SkipLast(1), b => Assert.Equal(AzureBlobStore.BlockSize, b));
        Assert.Equal(size, committed.Sum());
        Assert.Equal(0, blocks.GetProperty("uncommitted").GetInt32());
    }

    [Fact]
    public async Task A_blob_our_adapter_writes_is_read_by_the_official_sdk()
    {
        var bytes = RandomBytes(9 * 1024 * 1024 + 17, seed: 3); // three blocks
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
        var connection = Azurite.ConnectionString.Replace(AzureStorageConnectionString.DevelopmentAccountKey, wrongKey, StringComparison.Ordinal);
        using var store = new AzureBlobStore(AzureBlobStoreOptions.FromConnectionString(connection, _container));

        var error = await Assert.ThrowsAsync<BlobAccessDeniedException>(() => store.PutAsync("x", Text("x")));

        Assert.Equal(403, error.StatusCode);
        Assert.Contains("ConnectionStrings:Blob", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(wrongKey, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unreachable_endpoint_fails_after_the_retries_with_a_clear_error()
    {
        var port = ChildServer.FreePort(); // nothing listens there
        var connection = $"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={AzureStorageConnectionString.DevelopmentAccountKey};BlobEndpoint=http://127.0.0.1:{port}/devstoreaccount1;";
        using var store = new AzureBlobStore(AzureBlobStoreOptions.FromConnectionString(connection, "unreachable") with { MaxRetries = 2, RetryBaseDelay = TimeSpan.FromMilliseconds(10) });

        var error = await Assert.ThrowsAsync<BlobStoreException>(() => store.GetAsync("x"));

        Assert.Contains("did not answer after 3 attempts", error.Message, StringComparison.Ordinal);
        Assert.Contains($"127.0.0.1:{port}", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Transient_failures_of_a_real_server_are_retried_with_backoff_and_jitter_until_it_succeeds()
    {
        await using var proxy = await FaultInjectingProxy.StartAsync(new Uri($"http://127.0.0.1:{Azurite.Server.Port}"));
        var logger = new RecordingLogger();
        var connection = Azurite.ConnectionString.Replace(Azurite.BlobEndpoint.ToString(), $"{proxy.BaseAddress.AbsoluteUri.TrimEnd('/')}/devstoreaccount1", StringComparison.Ordinal);
        using var store = new AzureBlobStore(
            AzureBlobStoreOptions.FromConnectionString(connection, _container) with { MaxRetries = 4, RetryBaseDelay = TimeSpan.FromMilliseconds(20) },
            logger: logger);
        static bool IsBlob(HttpRequest r, string name) => r.Path.Value!.EndsWith("/" + name, StringComparison.Ordinal);

        // Put Blob: each retryable status once, then the real server.
        proxy.Fail(r => HttpMethods.IsPut(r.Method) && IsBlob(r, "small"),
            (503, "ServerBusy"), (500, "InternalError"), (429, "TooManyRequests"), (408, "OperationTimedOut"));
        await store.PutAsync("retry/small", Text("small body"), new BlobWriteOptions { ContentType = "text/plain" });

        Assert.Equal(0, proxy.PendingFaults);
        var smallRetries = logger.Entries.Where(e => e.Values.ContainsKey("DelayMs")).ToList();
        Assert.Equal(["503 ServerBusy", "500 InternalError", "429 TooManyRequests", "408 OperationTimedOut"], smallRetries.Select(e => (string)e.Values["Outcome"]!));
        Assert.Equal([1, 2, 3, 4], smallRetries.Select(e => (int)e.Values["Attempt"]!));
        var delays = smallRetries.Select(e => (long)e.Values["DelayMs"]!).ToList();
        Assert.All(delays, d => Assert.InRange(d, 0, 30_000));
        Assert.NotEqual([20L, 40L, 80L, 160L], delays); // exponential, but jittered
        var attempts = proxy.Requests.Where(r => r.Method == "PUT" && r.Target.EndsWith("/small", StringComparison.Ordinal)).ToList();
        Assert.Equal([503, 500, 429, 408], attempts.Take(4).Select(a => a.Answered));
        Assert.Equal(201, attempts[^1].Answered); // the real server accepted the last attempt's fresh signature
        Assert.Equal(attempts.Count, attempts.Select(a => a.ClientRequestId).Distinct().Count());

        // Put Block and Put Block List of a large body, and Get Blob.
        var bytes = RandomBytes(9 * 1024 * 1024 + 1, seed: 11); // three blocks
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
