using System.Net;
using System.Text;
using System.Text.Json;
using DevMentor.Functions.Tests.Infrastructure;

namespace DevMentor.Functions.Tests.Projects;

/// <summary>The real executable, started once for the class: API keys only, default rate limits.</summary>
public sealed class RealServer : IAsyncLifetime
{
    public const string AdminKey = "ugly-input-admin-key-0123456789abcdef";

    public ServiceProcess Service { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var directory = Directory.CreateTempSubdirectory("ugly-real-").FullName;
        Service = ServiceProcess.Start(directory, new Dictionary<string, string?>
        {
            ["ConnectionStrings__Postgres"] = await TestPostgres.CreateDatabaseAsync("uglyreal"),
            ["DEVMENTOR_DATA_DIR"] = Path.Combine(directory, "data"),
            ["Auth__BootstrapApiKey"] = AdminKey,
            ["Scheduler__Enabled"] = "false",
            ["Pipelines__Runner__Enabled"] = "false",
            ["Deployments__Worker__Enabled"] = "false",
        });
        await Service.WaitUntilHealthyAsync(TimeSpan.FromSeconds(60));
    }

    public async Task DisposeAsync() => await Service.DisposeAsync();
}

/// <summary>
/// Ugly input against the real executable on Kestrel, where the in-memory server differs: bodies
/// without a Content-Length cut off while being read, raw bytes in paths, default rate limits.
/// </summary>
public sealed class UglyInputRealServerTests(RealServer server) : IClassFixture<RealServer>
{
    private const string AdminKey = RealServer.AdminKey;
    private readonly ServiceProcess _service = server.Service;

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_5_MiB_create_is_a_413_problem_with_rate_limit_headers_chunked_or_not(bool chunked)
    {
        var body = Encoding.UTF8.GetBytes("{\"name\": \"" + new string('x', 5 * 1024 * 1024) + "\"}");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/projects")
        {
            Content = chunked ? new StopsWhenRefusedContent(body) : new StreamContent(new MemoryStream(body)),
        };
        request.Content.Headers.ContentType = new("application/json");
        if (chunked)
        {
            request.Headers.TransferEncodingChunked = true;
        }
        else
        {
            // The server refuses a declared length before reading a byte; "Expect: 100-continue" lets the
            // client hear that instead of writing into a closed connection (what browsers and curl do).
            request.Content.Headers.ContentLength = body.Length;
            request.Headers.ExpectContinue = true;
        }

        request.Headers.Add("X-Api-Key", AdminKey);
        using var response = await _service.Client.SendAsync(request);

        await AssertProblemAsync(response, HttpStatusCode.RequestEntityTooLarge);
        // Counted against the key like any other answer, also when the exception handler wrote it.
        Assert.Equal("10000", response.Headers.GetValues("RateLimit-Limit").Single());
        Assert.True(response.Headers.Contains("RateLimit-Remaining"));
        Assert.True(response.Headers.Contains("RateLimit-Reset"));
        // The client's mistake, answered as such: no "unhandled exception" error with a stack trace in the log.
        Assert.DoesNotContain("BadHttpRequestException", _service.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_nul_byte_in_the_path_is_refused_by_kestrel_itself_with_400()
    {
        // Kestrel rejects the request line before any middleware runs, so this 400 has no problem body.
        using var request = new HttpRequestMessage(HttpMethod.Get, "/projects/a%00b");
        request.Headers.Add("X-Api-Key", AdminKey);
        using var response = await _service.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Theory]
    [InlineData("/projects/%2e%2e%2f%2e%2e%2fetc%2fpasswd", 404)]
    [InlineData("/projects/%C0%AF", 404)]
    [InlineData("/projects/%F0%9F%9A%80-rocket", 404)]
    [InlineData("/projects/x'%20OR%20'1'='1", 404)]
    [InlineData("/projects/list?limit=1e2", 400)]
    [InlineData("/projects/list?limit=-1", 400)]
    [InlineData("/projects/list?cursor=%00", 400)]
    [InlineData("/projects/list?q=%00", 400)]
    [InlineData("/projects/list?q=%F0%9F%9A%80%20%D0%BF%D1%80%D0%BE%D0%B5%D0%BA%D1%82", 200)]
    public async Task Raw_bytes_in_paths_and_queries_are_4xx_never_500(string url, int expected)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.Add("X-Api-Key", AdminKey);
        using var response = await _service.Client.SendAsync(request);

        Assert.True(expected == (int)response.StatusCode, $"{url}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        if (expected >= 400)
        {
            await AssertProblemAsync(response, (HttpStatusCode)expected);
        }
    }

    [Theory]
    [InlineData("""{"name": "Robert'); DROP TABLE projects;--", "slug": "bobby-tables"}""", 201)]
    [InlineData("""{"name": "Проект 🚀 日本語"}""", 201)]
    [InlineData("""{"name": "ok", "slug": "..%2f..%2fetc"}""", 400)]
    [InlineData("""{"name": "ok", "slug": "/etc/passwd"}""", 400)]
    [InlineData("""{"name": "ok", "slug": "a\\b"}""", 400)]
    [InlineData("""{"name": {"$gt": ""}}""", 400)]
    [InlineData("""{"name": "ok", "visibility": ["public"]}""", 400)]
    [InlineData("""{"name": "ok", "settings": {"buildBranches": [null, 1, {"a": 1}]}}""", 400)]
    [InlineData("""{"name": "ok", "repository": {"provider": "git", "cloneUrl": "javascript:alert(1)"}}""", 400)]
    [InlineData("""{"name": "ok",}""", 400)]
    [InlineData("""{"name": "\u0000"}""", 400)]
    public async Task Ugly_create_bodies_are_answered_without_a_500(string json, int expected)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/projects") { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        request.Headers.Add("X-Api-Key", AdminKey);
        using var response = await _service.Client.SendAsync(request);

        Assert.True(expected == (int)response.StatusCode, $"{json}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        if (expected >= 400)
        {
            await AssertProblemAsync(response, (HttpStatusCode)expected);
        }
    }

    private static async Task AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal((int)status, problem.RootElement.GetProperty("status").GetInt32());
        Assert.StartsWith("https://devmentor.dev/problems/", problem.RootElement.GetProperty("type").GetString(), StringComparison.Ordinal);
    }

    /// <summary>
    /// A 5 MiB body offered the way curl offers one: the server answers 413 after the first MiB and
    /// closes the connection, and a client still writing the rest then hits a broken pipe before it
    /// reads the answer (a race of the socket buffers, not the server's doing). Like curl, this client
    /// stops writing when the connection refuses more and reads the answer that is already there.
    /// </summary>
    private sealed class StopsWhenRefusedContent(byte[] body) : HttpContent
    {
        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            try
            {
                for (var offset = 0; offset < body.Length; offset += 64 * 1024)
                {
                    await stream.WriteAsync(body.AsMemory(offset, Math.Min(64 * 1024, body.Length - offset)));
                    await stream.FlushAsync();
                }
            }
            catch (IOException)
            {
                // The server stopped reading: its answer is waiting.
            }
        }

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }
}
