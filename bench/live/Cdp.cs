using System.Diagnostics;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace DevMentor.Bench.Live;

/// <summary>Just enough of the DevTools protocol: one page, navigate, evaluate.</summary>
internal sealed partial class Cdp : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ClientWebSocket _socket = new();
    private readonly string _profile;
    private int _id;

    private Cdp(Process process, string profile) => (_process, _profile) = (process, profile);

    public static async Task<Cdp> StartAsync()
    {
        var profile = Directory.CreateTempSubdirectory("bench-live-chromium-").FullName;
        var start = new ProcessStartInfo("chromium") { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in new[] { "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync",
                     "--no-first-run", "--window-size=1200,1600", "--remote-debugging-port=0", "--remote-allow-origins=*", $"--user-data-dir={profile}", "about:blank" })
        {
            start.ArgumentList.Add(a);
        }

        var process = Process.Start(start)!;
        _ = process.StandardOutput.ReadToEndAsync();
        string? browser = null;
        while (browser is null && await process.StandardError.ReadLineAsync() is { } line)
        {
            browser = DevTools().Match(line) is { Success: true } m ? m.Groups[1].Value : null;
        }

        _ = process.StandardError.ReadToEndAsync();
        using var http = new HttpClient();
        var port = new Uri(browser ?? throw new InvalidOperationException("Chromium did not start")).Port;
        string? page = null;
        while (page is null)
        {
            page = JsonNode.Parse(await http.GetStringAsync(new Uri($"http://127.0.0.1:{port}/json/list")))!.AsArray()
                .FirstOrDefault(t => t?["type"]?.GetValue<string>() == "page")?["webSocketDebuggerUrl"]?.GetValue<string>();
            await Task.Delay(50);
        }

        var cdp = new Cdp(process, profile);
        await cdp._socket.ConnectAsync(new Uri(page), CancellationToken.None);
        await cdp.CallAsync("Page.enable", new JsonObject());
        return cdp;
    }

    public Task NavigateAsync(string url) => CallAsync("Page.navigate", new JsonObject { ["url"] = url });

    public async Task<JsonNode?> EvaluateAsync(string expression) =>
        (await CallAsync("Runtime.evaluate", new JsonObject { ["expression"] = expression, ["returnByValue"] = true }))?["result"]?["value"];

    public async Task<double> WaitForNumberAsync(string expression)
    {
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < TimeSpan.FromSeconds(60))
        {
            if (await EvaluateAsync(expression) is JsonValue v && v.TryGetValue<double>(out var number) && number > 0)
            {
                return number;
            }

            await Task.Delay(5);
        }

        throw new TimeoutException($"{expression} gave nothing within 60 s; the page says: {await EvaluateAsync("document.getElementById('status')?.textContent ?? document.title")}");
    }

    private async Task<JsonNode?> CallAsync(string method, JsonObject parameters)
    {
        var id = ++_id;
        await _socket.SendAsync(Encoding.UTF8.GetBytes(new JsonObject { ["id"] = id, ["method"] = method, ["params"] = parameters }.ToJsonString()),
            WebSocketMessageType.Text, true, CancellationToken.None);
        var buffer = new byte[1 << 20];
        while (true)
        {
            using var message = new MemoryStream();
            WebSocketReceiveResult result;
            do
            {
                result = await _socket.ReceiveAsync(buffer, CancellationToken.None);
                message.Write(buffer, 0, result.Count);
            }
            while (!result.EndOfMessage);

            var reply = JsonNode.Parse(message.ToArray())!;
            if (reply["id"]?.GetValue<int>() == id)
            {
                return reply["result"];
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        _socket.Dispose();
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
        _process.Dispose();
        try
        {
            Directory.Delete(_profile, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Chromium's helpers may still hold a file: the temp folder is scratch.
        }
    }

    [GeneratedRegex(@"DevTools listening on (ws://\S+)")]
    private static partial Regex DevTools();
}
