using System.Diagnostics;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace DevMentor.Functions.Tests.Analytics;

/// <summary>
/// A page in a real headless Chromium (the Debian package), driven over the DevTools protocol, so a
/// test can read the page again and again while it changes (one --dump-dom is a single moment, and
/// never comes while a stream is open). Uncaught exceptions and console errors are collected.
/// </summary>
public sealed partial class ChromiumPage : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ClientWebSocket _socket = new();
    private readonly string _profile;
    private int _nextId;

    private ChromiumPage(Process process, string profile)
    {
        _process = process;
        _profile = profile;
    }

    public List<string> Errors { get; } = [];

    public static async Task<ChromiumPage> OpenAsync(string url, CancellationToken cancellationToken)
    {
        var profile = Directory.CreateTempSubdirectory("chromium-cdp-").FullName;
        var start = new ProcessStartInfo("chromium") { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var argument in new[]
        {
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--no-first-run", "--window-size=1200,1600", "--remote-debugging-port=0", "--remote-allow-origins=*", $"--user-data-dir={profile}", "about:blank",
        })
        {
            start.ArgumentList.Add(argument);
        }

        var process = Process.Start(start)!;
        var page = new ChromiumPage(process, profile);
        _ = process.StandardOutput.ReadToEndAsync(cancellationToken);
        string? browser = null;
        while (browser is null && await process.StandardError.ReadLineAsync(cancellationToken) is { } line)
        {
            browser = DevToolsLine().Match(line) is { Success: true } m ? m.Groups[1].Value : null;
        }

        _ = process.StandardError.ReadToEndAsync(cancellationToken);
        var port = new Uri(browser ?? throw new InvalidOperationException("Chromium did not print its DevTools address.")).Port;
        using var http = new HttpClient();
        string? pageSocket = null;
        for (var i = 0; i < 100 && pageSocket is null; i++)
        {
            var targets = JsonNode.Parse(await http.GetStringAsync(new Uri($"http://127.0.0.1:{port}/json/list"), cancellationToken))!.AsArray();
            pageSocket = targets.FirstOrDefault(t => t?["type"]?.GetValue<string>() == "page")?["webSocketDebuggerUrl"]?.GetValue<string>();
            if (pageSocket is null)
            {
                await Task.Delay(100, cancellationToken);
            }
        }

        await page._socket.ConnectAsync(new Uri(pageSocket!), cancellationToken);
        // Listening before the page loads, so an error while it starts is seen too.
        await page.CallAsync("Runtime.enable", new JsonObject(), cancellationToken);
        await page.CallAsync("Page.navigate", new JsonObject { ["url"] = url }, cancellationToken);
        return page;
    }

    /// <summary>Evaluates a JavaScript expression in the page and returns its value as JSON.</summary>
    public async Task<JsonNode?> EvaluateAsync(string expression, CancellationToken cancellationToken)
    {
        var result = await CallAsync("Runtime.evaluate", new JsonObject { ["expression"] = expression, ["returnByValue"] = true }, cancellationToken);
        return result?["result"]?["value"]?.DeepClone();
    }

    /// <summary>Evaluates until the expression gives <paramref name="expected"/>; returns the last value.</summary>
    public async Task<string?> WaitForAsync(string expression, string expected, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        string? value = null;
        while (watch.Elapsed < timeout)
        {
            value = (await EvaluateAsync(expression, cancellationToken))?.ToString();
            if (value == expected)
            {
                break;
            }

            await Task.Delay(100, cancellationToken);
        }

        return value;
    }

    public async Task<byte[]> ScreenshotAsync(CancellationToken cancellationToken) =>
        Convert.FromBase64String((await CallAsync("Page.captureScreenshot", new JsonObject { ["format"] = "png" }, cancellationToken))!["data"]!.GetValue<string>());

    private async Task<JsonNode?> CallAsync(string method, JsonObject parameters, CancellationToken cancellationToken)
    {
        var id = Interlocked.Increment(ref _nextId);
        var message = new JsonObject { ["id"] = id, ["method"] = method, ["params"] = parameters }.ToJsonString();
        await _socket.SendAsync(Encoding.UTF8.GetBytes(message), WebSocketMessageType.Text, true, cancellationToken);
        while (true)
        {
            var reply = await ReceiveAsync(cancellationToken);
            if (reply["id"]?.GetValue<int>() == id)
            {
                return reply["error"] is { } error ? throw new InvalidOperationException($"{method}: {error.ToJsonString()}") : reply["result"];
            }

            // Events in between: keep what tells of a broken page.
            var kind = reply["method"]?.GetValue<string>();
            if (kind == "Runtime.exceptionThrown" || (kind == "Runtime.consoleAPICalled" && reply["params"]?["type"]?.GetValue<string>() == "error"))
            {
                Errors.Add(reply.ToJsonString());
            }
        }
    }

    private async Task<JsonNode> ReceiveAsync(CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[64 * 1024];
        WebSocketReceiveResult result;
        do
        {
            result = await _socket.ReceiveAsync(chunk, cancellationToken);
            buffer.Write(chunk, 0, result.Count);
        }
        while (!result.EndOfMessage);

        return JsonNode.Parse(buffer.ToArray())!;
    }

    public async ValueTask DisposeAsync()
    {
        _socket.Dispose();
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
        try
        {
            Directory.Delete(_profile, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Chromium's helpers may still hold a file for a moment: the temp folder is scratch.
        }
    }

    [GeneratedRegex(@"DevTools listening on (ws://\S+)")]
    private static partial Regex DevToolsLine();
}
