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
        using var response = chunked ? await SendChunkedAsync(_service.Port, body) : await SendDeclaredAsync(body);

        await AssertProblemAsync(response, HttpStatusCode.RequestEntityTooLarge);
        // Counted against the key like any other answer, also when the exception handler wrote it.
        Assert.Equal("10000", response.Headers.GetValues("RateLimit-Limit").Single());
        Assert.True(response.Headers.Contains("RateLimit-Remaining"));
        Assert.True(response.Headers.Contains("RateLimit-Reset"));
        // The client's mistake, answered as such: no "unhandled exception" error with a stack trace in the log.
        Assert.DoesNotContain("BadHttpRequestException", _service.Output, StringComparison.Ordinal);
    }

    private async Task<HttpResponseMessage> SendDeclaredAsync(byte[] body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/projects") { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new("application/json");
        // The server refuses a declared length before reading a byte; "Expect: 100-continue" lets the
        // client hear that instead of writing into a closed connection (what browsers and curl do).
        request.Headers.ExpectContinue = true;
        request.Headers.Add("X-Api-Key", AdminKey);
        return await _service.Client.SendAsync(request);
    }

    /// <summary>
    /// The body in chunks over a plain socket. The server answers 413 after the first MiB and closes
    /// the connection; HttpClient, still writing the rest, fails on the broken pipe without reading
    /// the answer already sent (a race of socket buffers, seen in CI). This client does what curl
    /// does: it stops writing when the connection refuses more, then reads the answer.
    /// </summary>
    private static async Task<HttpResponseMessage> SendChunkedAsync(int port, byte[] body)
    {
        using var tcp = new System.Net.Sockets.TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, port);
        var stream = tcp.GetStream();
        var head = $"POST /projects HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nX-Api-Key: {AdminKey}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n";
        try
        {
            await stream.WriteAsync(Encoding.ASCII.GetBytes(head));
            for (var offset = 0; offset < body.Length; offset += 64 * 1024)
            {
                var length = Math.Min(64 * 1024, body.Length - offset);
                await stream.WriteAsync(Encoding.ASCII.GetBytes($"{length:x}\r\n"));
                await stream.WriteAsync(body.AsMemory(offset, length));
                await stream.WriteAsync("\r\n"u8.ToArray());
            }

            await stream.WriteAsync("0\r\n\r\n"u8.ToArray());
        }
        catch (IOException)
        {
            // The server stopped reading; what it answered before closing is still in our receive buffer.
        }

        // The answer ends when the server closes the connection (it does after refusing a body).
        using var received = new MemoryStream();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            await stream.CopyToAsync(received, timeout.Token);
        }
        catch (IOException)
        {
            // Reset after the answer: the bytes read so far are the answer.
        }

        return ParseResponse(received.ToArray());
    }

    private static HttpResponseMessage ParseResponse(byte[] raw)
    {
        var text = Encoding.UTF8.GetString(raw);
        var headerEnd = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        Assert.True(headerEnd > 0, $"no complete HTTP answer: '{text}'");
        var lines = text[..headerEnd].Split("\r\n");
        var response = new HttpResponseMessage((HttpStatusCode)int.Parse(lines[0].Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture));
        var content = text[(headerEnd + 4)..];
        var contentHeaders = new List<(string, string)>();
        var chunkedBody = false;
        foreach (var line in lines.Skip(1))
        {
            var (name, value) = (line[..line.IndexOf(':', StringComparison.Ordinal)], line[(line.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim());
            if (name.Equals("Transfer-Encoding", StringComparison.OrdinalIgnoreCase))
            {
                chunkedBody = value.Contains("chunked", StringComparison.OrdinalIgnoreCase);
            }
            else if (name.StartsWith("Content-", StringComparison.OrdinalIgnoreCase))
            {
                contentHeaders.Add((name, value));
            }
            else
            {
                response.Headers.TryAddWithoutValidation(name, value);
            }
        }

        if (chunkedBody)
        {
            var decoded = new StringBuilder();
            for (var at = 0; ;)
            {
                var sizeEnd = content.IndexOf("\r\n", at, StringComparison.Ordinal);
                var size = Convert.ToInt32(content[at..sizeEnd], 16);
                if (size == 0)
                {
                    break;
                }

                decoded.Append(content, sizeEnd + 2, size);
                at = sizeEnd + 2 + size + 2;
            }

            content = decoded.ToString();
        }

        response.Content = new StringContent(content);
        response.Content.Headers.Clear();
        foreach (var (name, value) in contentHeaders.Where(h => !h.Item1.Equals("Content-Length", StringComparison.OrdinalIgnoreCase)))
        {
            response.Content.Headers.TryAddWithoutValidation(name, value);
        }

        return response;
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
}
