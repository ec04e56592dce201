using System.Net;
using System.Text;
using Azure.Core;
using DevMentor.Core.Storage;
using DevMentor.Core.Storage.Azure;

namespace DevMentor.Core.Tests.Storage;

/// <summary>
/// The REST adapter's protocol details that a real server cannot show on demand: the exact
/// SharedKey string-to-sign, retries and their limits, Bearer tokens, container creation, and
/// flat memory on a large upload. (Against Azurite and the official SDK: the Functions.Tests suite.)
/// </summary>
public sealed class AzureBlobStoreProtocolTests
{
    private const string Azurite = "http://127.0.0.1:10000/devstoreaccount1";

    [Fact]
    public void The_shared_key_string_to_sign_follows_the_documented_layout_for_azurite_path_style_urls()
    {
        var signer = new SharedKeyAuthorizer("devstoreaccount1", Convert.FromBase64String(AzureStorageConnectionString.DevelopmentAccountKey));
        using var request = new HttpRequestMessage(HttpMethod.Put, $"{Azurite}/devmentor/a%20b/c.txt?comp=block&blockid=QUJD%2BLw%3D%3D")
        {
            Content = new ByteArrayContent(Encoding.ASCII.GetBytes("hello")),
        };
        request.Headers.TryAddWithoutValidation("x-ms-version", "2024-11-04");
        request.Headers.TryAddWithoutValidation("x-ms-date", "Sun, 22 Nov 2026 10:00:00 GMT");
        request.Headers.TryAddWithoutValidation("X-MS-Meta-B", " 2 ");
        request.Headers.TryAddWithoutValidation("x-ms-blob-type", "BlockBlob");
        request.Headers.IfNoneMatch.Add(System.Net.Http.Headers.EntityTagHeaderValue.Any);
        request.Headers.TryAddWithoutValidation("User-Agent", "not signed");

        var expected = string.Join('\n',
            "PUT",
            "", // Content-Encoding
            "", // Content-Language
            "5", // Content-Length
            "", // Content-MD5
            "", // Content-Type
            "", // Date (x-ms-date is used)
            "", // If-Modified-Since
            "", // If-Match
            "*", // If-None-Match
            "", // If-Unmodified-Since
            "", // Range
            "x-ms-blob-type:BlockBlob",
            "x-ms-date:Sun, 22 Nov 2026 10:00:00 GMT",
            "x-ms-meta-b:2",
            "x-ms-version:2024-11-04",
            "/devstoreaccount1/devstoreaccount1/devmentor/a%20b/c.txt",
            "blockid:QUJD+Lw==",
            "comp:block");
        Assert.Equal(expected, signer.StringToSign(request));
    }

    [Fact]
    public void An_empty_body_signs_an_empty_content_length()
    {
        var signer = new SharedKeyAuthorizer("acct", new byte[32]);
        using var request = new HttpRequestMessage(HttpMethod.Put, "https://acct.blob.core.windows.net/c?restype=container") { Content = new ByteArrayContent([]) };

        Assert.StartsWith("PUT\n\n\n\n", signer.StringToSign(request), StringComparison.Ordinal);
        Assert.EndsWith("\n/acct/c\nrestype:container", signer.StringToSign(request), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("UseDevelopmentStorage=true", "http://127.0.0.1:10000/devstoreaccount1", "devstoreaccount1", "SharedKey")]
    [InlineData("DefaultEndpointsProtocol=https;AccountName=prodacct;AccountKey=AAAA;EndpointSuffix=core.windows.net", "https://prodacct.blob.core.windows.net/", "prodacct", "SharedKey")]
    [InlineData("AccountName=cn;AccountKey=AAAA;EndpointSuffix=core.chinacloudapi.cn", "https://cn.blob.core.chinacloudapi.cn/", "cn", "SharedKey")]
    [InlineData("BlobEndpoint=https://sas.blob.core.windows.net/;SharedAccessSignature=sv=2024-11-04&sig=abc", "https://sas.blob.core.windows.net/", "sas", "SAS")]
    [InlineData("DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=AAAA;BlobEndpoint=http://127.0.0.1:12345/devstoreaccount1;", "http://127.0.0.1:12345/devstoreaccount1", "devstoreaccount1", "SharedKey")]
    public void Connection_strings_name_the_endpoint_the_account_and_the_scheme(string connectionString, string endpoint, string account, string scheme)
    {
        var parsed = AzureStorageConnectionString.Parse(connectionString);

        Assert.Equal(new Uri(endpoint), parsed.BlobEndpoint);
        Assert.Equal(account, parsed.AccountName);
        Assert.Equal(scheme, AzureBlobStoreOptions.FromConnectionString(connectionString, "devmentor").Authorizer.Kind);
        Assert.DoesNotContain("AAAA", parsed.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("sig=", parsed.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("AccountName=a", "neither AccountKey nor SharedAccessSignature")]
    [InlineData("AccountName=a;AccountKey=not*base64!", "AccountKey is not base64")]
    [InlineData("nonsense", "Name=value")]
    [InlineData("AccountKey=AAAA", "no AccountName")]
    [InlineData("BlobEndpoint=ftp://x;AccountName=a;AccountKey=AAAA", "http(s)")]
    public void Bad_connection_strings_say_what_is_wrong_without_the_secret(string connectionString, string expected)
    {
        var error = Assert.Throws<FormatException>(() => AzureStorageConnectionString.Parse(connectionString));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("not*base64!", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("devmentor", true)]
    [InlineData("a1-b2", true)]
    [InlineData("ab", false)]
    [InlineData("Upper", false)]
    [InlineData("-lead", false)]
    [InlineData("trail-", false)]
    [InlineData("dou--ble", false)]
    [InlineData("under_score", false)]
    public void Container_names_follow_azures_rules(string name, bool valid) =>
        Assert.Equal(valid, AzureBlobStore.CheckContainerName(name) is null);

    [Fact]
    public async Task Transient_failures_are_retried_with_a_fresh_signature_and_then_succeed()
    {
        var answers = new Queue<HttpStatusCode>([HttpStatusCode.ServiceUnavailable, HttpStatusCode.InternalServerError, HttpStatusCode.TooManyRequests, HttpStatusCode.RequestTimeout, HttpStatusCode.Created]);
        var service = new FakeBlobService(_ => FakeBlobService.Status(answers.Dequeue()));
        using var store = Store(service);

        await store.PutAsync("k", new MemoryStream([1, 2, 3]));

        Assert.Equal(5, service.Requests.Count);
        Assert.Equal(5, service.Requests.Select(r => r.Header("x-ms-client-request-id")).Distinct().Count());
        Assert.All(service.Requests, r =>
        {
            Assert.Equal(AzureBlobStore.ApiVersion, r.Header("x-ms-version"));
            Assert.StartsWith("SharedKey devstoreaccount1:", r.Header("authorization"), StringComparison.Ordinal);
            Assert.Equal(3, r.BodyLength);
        });
    }

    [Fact]
    public async Task Retries_stop_at_the_limit_and_other_errors_are_not_retried()
    {
        var busy = new FakeBlobService(_ => FakeBlobService.Status(HttpStatusCode.ServiceUnavailable, "ServerBusy"));
        using (var store = Store(busy, maxRetries: 2))
        {
            var error = await Assert.ThrowsAsync<BlobStoreException>(() => store.PutAsync("k", new MemoryStream([1])));
            Assert.Equal(503, error.StatusCode);
            Assert.Equal("ServerBusy", error.ErrorCode);
            Assert.Equal(3, busy.Requests.Count);
        }

        var bad = new FakeBlobService(_ => FakeBlobService.Status(HttpStatusCode.BadRequest, "InvalidHeaderValue"));
        using (var store = Store(bad))
        {
            var error = await Assert.ThrowsAsync<BlobStoreException>(() => store.PutAsync("k", new MemoryStream([1])));
            Assert.Equal(400, error.StatusCode);
            Assert.Contains("Put Blob of 'k' in container 'devmentor'", error.Message, StringComparison.Ordinal);
            Assert.Single(bad.Requests);
        }
    }

    [Fact]
    public async Task A_missing_container_is_created_on_the_first_write()
    {
        var created = false;
        var service = new FakeBlobService(r =>
        {
            if (r.Uri.Query.Contains("restype=container", StringComparison.Ordinal))
            {
                created = true;
                return FakeBlobService.Status(HttpStatusCode.Created);
            }

            return created ? FakeBlobService.Status(HttpStatusCode.Created) : FakeBlobService.Status(HttpStatusCode.NotFound, "ContainerNotFound");
        });
        using var store = Store(service);

        await store.PutAsync("dir/k", new MemoryStream([1]));

        Assert.Equal(["PUT /devstoreaccount1/devmentor/dir/k", "PUT /devstoreaccount1/devmentor?restype=container", "PUT /devstoreaccount1/devmentor/dir/k"],
            service.Requests.Select(r => $"{r.Method} {r.Uri.PathAndQuery}"));
    }

    [Fact]
    public async Task Access_denied_and_not_found_are_distinct_clear_errors()
    {
        var service = new FakeBlobService(r => r.Method == "GET"
            ? FakeBlobService.Status(HttpStatusCode.NotFound, "BlobNotFound")
            : FakeBlobService.Status(HttpStatusCode.Forbidden, "AuthorizationPermissionMismatch"));
        using var store = new AzureBlobStore(
            AzureBlobStoreOptions.FromServiceUri(new Uri("https://acct.blob.core.windows.net"), "devmentor", new FakeCredential()) with { RetryBaseDelay = TimeSpan.FromMilliseconds(1) },
            new HttpClient(service));

        var denied = await Assert.ThrowsAsync<BlobAccessDeniedException>(() => store.PutAsync("k", new MemoryStream([1])));
        var missing = await Assert.ThrowsAsync<BlobNotFoundException>(() => store.GetAsync("k"));

        Assert.Contains("403 AuthorizationPermissionMismatch", denied.Message, StringComparison.Ordinal);
        Assert.Contains("Storage Blob Data Contributor", denied.Message, StringComparison.Ordinal);
        Assert.Contains("404 BlobNotFound", missing.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_service_uri_alone_uses_bearer_tokens_for_the_storage_scope_fetched_once()
    {
        var credential = new FakeCredential();
        var service = new FakeBlobService(_ => FakeBlobService.Status(HttpStatusCode.Created));
        using var store = new AzureBlobStore(AzureBlobStoreOptions.FromServiceUri(new Uri("https://acct.blob.core.windows.net/"), "devmentor", credential), new HttpClient(service));

        for (var i = 0; i < 3; i++)
        {
            await store.PutAsync($"k{i}", new MemoryStream([1]));
        }

        Assert.Equal(1, credential.Calls);
        Assert.Equal(["https://storage.azure.com/.default"], credential.Scopes);
        Assert.All(service.Requests, r =>
        {
            Assert.Equal("Bearer token-1", r.Header("authorization"));
            Assert.Equal(AzureBlobStore.ApiVersion, r.Header("x-ms-version"));
            Assert.Equal("acct.blob.core.windows.net", r.Uri.Host);
        });
        Assert.Equal("Azure Blob Storage container 'devmentor' at https://acct.blob.core.windows.net (Bearer)", store.Description);
    }

    [Fact]
    public async Task A_download_whose_connection_breaks_resumes_where_it_was_for_the_same_version()
    {
        var blob = Enumerable.Range(0, 10_000).Select(i => (byte)(i * 7)).ToArray();
        var service = new FakeBlobService(r => r.Header("x-ms-range") is { Length: > 0 } range
            ? Body(blob, int.Parse(range["bytes=".Length..range.IndexOf('-', StringComparison.Ordinal)], System.Globalization.CultureInfo.InvariantCulture), breakAfter: 2_500)
            : Body(blob, 0, breakAfter: 3_000));
        using var store = Store(service);

        await using var download = await store.GetAsync("k");
        using var copy = new MemoryStream();
        await download.Content.CopyToAsync(copy, 700);

        Assert.Equal(blob, copy.ToArray());
        Assert.Equal(["", "bytes=3000-9999", "bytes=5500-9999", "bytes=8000-9999"], service.Requests.Select(r => r.Header("x-ms-range")));
        Assert.All(service.Requests.Skip(1), r => Assert.Equal("\"0x8D0\"", r.Header("if-match")));
    }

    [Fact]
    public async Task A_blob_replaced_while_it_is_read_fails_the_read_instead_of_mixing_versions()
    {
        var blob = new byte[10_000];
        var service = new FakeBlobService(r => r.Header("x-ms-range").Length > 0
            ? FakeBlobService.Status(HttpStatusCode.PreconditionFailed, "ConditionNotMet")
            : Body(blob, 0, breakAfter: 4_000));
        using var store = Store(service);

        await using var download = await store.GetAsync("k");
        var error = await Assert.ThrowsAsync<BlobStoreException>(() => download.Content.CopyToAsync(Stream.Null));

        Assert.Contains("was replaced while it was being read", error.Message, StringComparison.Ordinal);
    }

    /// <summary>A Get Blob answer from <paramref name="from"/> to the end whose connection breaks after <paramref name="breakAfter"/> bytes.</summary>
    private static HttpResponseMessage Body(byte[] blob, int from, int breakAfter)
    {
        var response = new HttpResponseMessage(from == 0 ? HttpStatusCode.OK : HttpStatusCode.PartialContent)
        {
            Content = new StreamContent(new BreakingStream(blob.AsMemory(from), breakAfter)),
        };
        response.Content.Headers.ContentLength = blob.Length - from;
        if (from > 0)
        {
            response.Content.Headers.ContentRange = new System.Net.Http.Headers.ContentRangeHeaderValue(from, blob.Length - 1, blob.Length);
        }

        response.Headers.TryAddWithoutValidation("ETag", "\"0x8D0\"");
        response.Headers.TryAddWithoutValidation("x-ms-blob-type", "BlockBlob");
        return response;
    }

    private sealed class BreakingStream(ReadOnlyMemory<byte> bytes, int breakAfter) : Stream
    {
        private int _position;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => bytes.Length;

        public override long Position
        {
            get => _position;
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count)
        {
            if (_position >= breakAfter && _position < bytes.Length)
            {
                throw new IOException("Connection reset by peer.");
            }

            var n = Math.Min(Math.Min(count, bytes.Length - _position), breakAfter - _position);
            bytes.Span.Slice(_position, n).CopyTo(buffer.AsSpan(offset));
            _position += n;
            return n;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    private static AzureBlobStore Store(FakeBlobService service, int maxRetries = 4) => new(
        AzureBlobStoreOptions.FromConnectionString("UseDevelopmentStorage=true", "devmentor") with { MaxRetries = maxRetries, RetryBaseDelay = TimeSpan.FromMilliseconds(1) },
        new HttpClient(service));

    [Fact]
    public async Task A_sas_is_sent_in_the_query_and_never_in_the_description()
    {
        var service = new FakeBlobService(_ => FakeBlobService.Status(HttpStatusCode.Created));
        using var store = new AzureBlobStore(
            AzureBlobStoreOptions.FromConnectionString("BlobEndpoint=https://acct.blob.core.windows.net;SharedAccessSignature=sv=2024-11-04&sig=secret%2B", "devmentor"),
            new HttpClient(service));

        await store.PutAsync("dir/k", new MemoryStream([1]));

        var request = Assert.Single(service.Requests);
        Assert.Equal("?sv=2024-11-04&sig=secret%2B", request.Uri.Query);
        Assert.Equal("", request.Header("authorization"));
        Assert.DoesNotContain("secret", store.Description, StringComparison.Ordinal);
    }
}

/// <summary>Stands in for DefaultAzureCredential: hands out numbered tokens valid for an hour.</summary>
internal sealed class FakeCredential : TokenCredential
{
    public int Calls { get; private set; }
    public List<string> Scopes { get; } = [];

    public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken)
    {
        Calls++;
        Scopes.AddRange(requestContext.Scopes);
        return new AccessToken($"token-{Calls}", DateTimeOffset.UtcNow.AddHours(1));
    }

    public override ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
        ValueTask.FromResult(GetToken(requestContext, cancellationToken));
}
