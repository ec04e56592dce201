using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using DevMentor.Bench.Live;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

// bench/live: against a running service (bench/live/run.sh starts it)
//  1. dashboard first render in headless Chromium (navigation start to performance.mark("dashboard-rendered"): page,
//     assets, sign-in and every API call its charts and tables make), beside two baselines measured in the same run:
//     fetching the page's bytes (HTML, script, stylesheet) with HttpClient, and Chromium loading the same page signed out;
//  2. a notification delivered after its event: a task assigned through the API (the event) until a local receiver
//     gets the signed webhook, beside the API call itself and a direct POST to the same receiver.
if (args.Length < 2)
{
    Console.Error.WriteLine("usage: DevMentor.Bench.Live <base-url> <admin-api-key> [rounds]");
    return 2;
}

var baseUrl = args[0].TrimEnd('/');
var key = args[1];
var rounds = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 10;
using var api = new HttpClient { BaseAddress = new Uri(baseUrl + "/") };
api.DefaultRequestHeaders.Add("X-Api-Key", key);
var created = await api.PostAsJsonAsync("projects", new { name = "bench-live-" + Environment.ProcessId });
var project = (await created.EnsureSuccessStatusCode().Content.ReadFromJsonAsync<JsonObject>())!["id"]!.GetValue<string>();
Console.WriteLine($"project {project}; {rounds} rounds; {Environment.ProcessorCount} cores, load {Load()}");

// 1. Dashboard.
var bytes = new List<double>();
foreach (var _ in Enumerable.Range(0, rounds + 1))
{
    var watch = Stopwatch.StartNew();
    foreach (var path in new[] { $"projects/{project}/dashboard", "dashboard/assets/dashboard.js", "dashboard/assets/dashboard.css" })
    {
        (await api.GetAsync(path)).EnsureSuccessStatusCode();
    }

    bytes.Add(watch.Elapsed.TotalMilliseconds);
}

var signedOut = new List<double>();
var rendered = new List<double>();
await using (var browser = await Cdp.StartAsync())
{
    var url = $"{baseUrl}/projects/{project}/dashboard";
    for (var i = 0; i <= rounds; i++)
    {
        await browser.NavigateAsync("about:blank");
        await browser.EvaluateAsync("sessionStorage.clear()");
        await browser.NavigateAsync(url);
        signedOut.Add(await browser.WaitForNumberAsync("location.protocol === 'http:' && document.readyState === 'complete' ? performance.getEntriesByType('navigation')[0].loadEventEnd : null"));
        await browser.NavigateAsync("about:blank");
        await browser.NavigateAsync(url + "#credential=" + Uri.EscapeDataString(key));
        rendered.Add(await browser.WaitForNumberAsync("location.protocol === 'http:' ? performance.getEntriesByName('dashboard-rendered')[0]?.startTime ?? null : null"));
    }
}

// The first round warms connections and JIT on both sides: left out.
var (bytesP50, outP50, renderP50) = (Median(bytes.Skip(1)), Median(signedOut.Skip(1)), Median(rendered.Skip(1)));
Console.WriteLine($"dashboard: page bytes p50 {bytesP50:0.0} ms | signed-out load p50 {outP50:0.0} ms | first render p50 {renderP50:0.0} ms (max {rendered.Skip(1).Max():0.0} ms)");

// 2. Notifications.
var arrivals = new ConcurrentDictionary<int, long>();
var builder = WebApplication.CreateSlimBuilder();
builder.WebHost.UseUrls("http://127.0.0.1:0");
builder.Logging.ClearProviders();
await using var receiver = builder.Build();
receiver.MapPost("/hook", async (HttpContext context) =>
{
    var now = Stopwatch.GetTimestamp();
    var body = await JsonNode.ParseAsync(context.Request.Body);
    if (body?["task"]?["title"]?.GetValue<string>() is { } title && title.StartsWith("bench ", StringComparison.Ordinal))
    {
        arrivals.TryAdd(int.Parse(title[6..], CultureInfo.InvariantCulture), now);
    }

    return Results.Ok();
});
await receiver.StartAsync();
var hook = receiver.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First() + "/hook";
(await api.PostAsJsonAsync($"projects/{project}/notifications", new { kind = "webhook", target = hook, events = new[] { "task.assigned" } })).EnsureSuccessStatusCode();
var me = (await (await api.GetAsync($"projects/{project}/collaborators")).EnsureSuccessStatusCode().Content.ReadFromJsonAsync<JsonObject>())!["items"]![0]!["userId"]!.GetValue<string>();

var events = rounds * 3;
var delivered = new List<double>();
var calls = new List<double>();
var direct = new List<double>();
using var plain = new HttpClient();
var random = new Random(42);
for (var i = 1; i <= events; i++)
{
    var sent = Stopwatch.GetTimestamp();
    (await api.PostAsJsonAsync($"projects/{project}/tasks", new { title = $"bench {i}", assignees = new[] { me } })).EnsureSuccessStatusCode();
    calls.Add(Stopwatch.GetElapsedTime(sent).TotalMilliseconds);
    var deadline = Stopwatch.StartNew();
    while (!arrivals.ContainsKey(i) && deadline.Elapsed < TimeSpan.FromSeconds(30))
    {
        await Task.Delay(2);
    }

    delivered.Add(arrivals.TryGetValue(i, out var at) ? Stopwatch.GetElapsedTime(sent, at).TotalMilliseconds : double.NaN);
    var start = Stopwatch.GetTimestamp();
    (await plain.PostAsync(hook, new StringContent("""{"event":"baseline"}""", Encoding.UTF8, "application/json"))).EnsureSuccessStatusCode();
    direct.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
    await Task.Delay(random.Next(0, 500)); // events at no fixed phase of the worker's poll
}

var lost = delivered.Count(double.IsNaN);
var deliveredP50 = Median(delivered.Where(d => !double.IsNaN(d)));
Console.WriteLine($"notifications: {events} events, {lost} not delivered in 30 s | delivered p50 {deliveredP50:0} ms p95 {Percentile(delivered.Where(d => !double.IsNaN(d)), 0.95):0} ms " +
                  $"| API call p50 {Median(calls):0.0} ms | direct POST p50 {Median(direct):0.0} ms");
Console.WriteLine();
Console.WriteLine($"RESULT dashboard first render p50 {renderP50:0} ms (target <= 1000 ms) | page bytes {bytesP50:0.0} ms, ratio {renderP50 / bytesP50:0.0}x | signed-out load {outP50:0} ms, ratio {renderP50 / outP50:0.0}x");
Console.WriteLine($"RESULT notification delivered p50 {deliveredP50:0} ms after its event (target <= 2000 ms) | API call {Median(calls):0.0} ms, ratio {deliveredP50 / Median(calls):0.0}x | direct POST {Median(direct):0.0} ms, ratio {deliveredP50 / Median(direct):0}x | load {Load()}");
return lost == 0 ? 0 : 1;

static double Median(IEnumerable<double> values) => Percentile(values, 0.5);

static double Percentile(IEnumerable<double> values, double p)
{
    var sorted = values.Order().ToArray();
    if (sorted.Length == 0)
    {
        return double.NaN;
    }

    var rank = p * (sorted.Length - 1);
    var low = (int)Math.Floor(rank);
    return sorted[low] + (sorted[Math.Min(low + 1, sorted.Length - 1)] - sorted[low]) * (rank - low);
}

static string Load() => File.ReadAllText("/proc/loadavg").Split(' ')[0];
