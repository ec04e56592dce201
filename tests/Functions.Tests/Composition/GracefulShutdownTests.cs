using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using DevMentor.Functions.Tests.Infrastructure;

namespace DevMentor.Functions.Tests.Composition;

/// <summary>
/// SIGTERM while a request is being served: no new connections are taken, the request in flight
/// finishes (and can still use the embedded database), then the cluster stops and the process exits 0.
/// </summary>
public sealed class GracefulShutdownTests
{
    /// <summary>
    /// A body sent only when the server asks for it: with Expect: 100-continue, Kestrel answers
    /// 100 Continue when the handler starts reading, so being asked proves the request is in the handler.
    /// </summary>
    private sealed class GatedBody(string json) : HttpContent
    {
        private readonly byte[] _bytes = Encoding.UTF8.GetBytes(json);
        private readonly TaskCompletionSource _requested = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task Requested => _requested.Task;

        public void Release() => _released.TrySetResult();

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            _requested.TrySetResult();
            await _released.Task;
            await stream.WriteAsync(_bytes);
        }

        protected override bool TryComputeLength(out long length)
        {
            length = _bytes.Length;
            return true;
        }
    }

    [Fact]
    public async Task Sigterm_lets_the_request_in_flight_finish_before_the_database_stops()
    {
        var workDir = Directory.CreateTempSubdirectory("shutdown-").FullName;
        Directory.CreateDirectory(TestPostgres.ScratchRoot);
        var dataDir = Path.Combine(TestPostgres.ScratchRoot, "shutdown-" + Guid.NewGuid().ToString("N")[..8]);
        const string key = "shutdown-admin-key-0123456789abcdef";
        await using var service = ServiceProcess.Start(workDir, new Dictionary<string, string?>
        {
            ["DEVMENTOR_DATA_DIR"] = dataDir,
            ["Scheduler__Enabled"] = "false",
            ["Auth__BootstrapApiKey"] = key,
        });
        await service.WaitUntilHealthyAsync(TimeSpan.FromSeconds(90));

        using var handler = new SocketsHttpHandler { Expect100ContinueTimeout = TimeSpan.FromMinutes(2) };
        using var client = new HttpClient(handler) { BaseAddress = service.BaseAddress, Timeout = TimeSpan.FromMinutes(2) };
        var body = new GatedBody("""{"name":"Created while stopping"}""");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/projects") { Content = body };
        body.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        request.Headers.ExpectContinue = true;
        request.Headers.Add("X-Api-Key", key);
        var responseTask = client.SendAsync(request);

        await body.Requested.WaitAsync(TimeSpan.FromSeconds(30));
        service.Terminate();
        await WaitUntilAsync(async () => !await ChildServer.AcceptsConnectionsAsync(service.Port), TimeSpan.FromSeconds(20));
        Assert.False(service.HasExited, "the service must wait for the request in flight");
        body.Release();

        using var response = await responseTask;
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, text);
        using var answer = JsonDocument.Parse(text);
        Assert.Equal("Created while stopping", answer.RootElement.GetProperty("name").GetString());

        Assert.Equal(0, await service.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        Assert.False(File.Exists(Path.Combine(dataDir, "pg", "postmaster.pid")), "the embedded cluster must be stopped cleanly");
        Assert.Contains("Embedded PostgreSQL stopped", service.Output, StringComparison.Ordinal);
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not met in time");
            await Task.Delay(50);
        }
    }
}
