using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

#pragma warning disable CA5350 // git names objects by SHA-1: the tests compute the ids git does

namespace DevMentor.Functions.Tests.Infrastructure;

/// <summary>
/// A local stand-in for GitHub's and GitLab's REST APIs (which cannot be reached from here): a real
/// HTTP server on loopback that records every call and answers 201, or fails the next N calls.
/// Octokit takes any base URL but api.github.com for a GitHub Enterprise Server, whose API lives
/// under <c>/api/v3/</c>: GitHub's calls arrive there (and canned answers are keyed so); GitLab's
/// under the <c>api/v4/</c> base its tests configure. GitHub's contents API (PUT/DELETE
/// …/contents/{path}) answers as GitHub does by default: the new blob's git sha and a commit sha.
/// </summary>
public sealed class FakeRepositoryHost : IAsyncDisposable
{
    private readonly WebApplication _app;
    private int _failuresLeft;

    public sealed record Call(string Method, string PathAndQuery, string Body, IReadOnlyDictionary<string, string> Headers, DateTimeOffset At);

    private FakeRepositoryHost(WebApplication app) => _app = app;

    public ConcurrentQueue<Call> Calls { get; } = new();

    /// <summary>
    /// Canned answers by path prefix, longest first (e.g. an installation token), optionally for one
    /// method ("PUT /api/v3/…"); anything else gets the contents API's answer or 201 {"id":1}.
    /// </summary>
    public ConcurrentDictionary<string, (int Status, string Json)> Responses { get; } = new();
    public Uri BaseAddress => new(_app.Urls.First() + "/");

    /// <summary>
    /// A stateful stand-in consulted after <see cref="FailNext"/> and before the canned answers
    /// (e.g. <c>FakeGitHubRepositories</c>); null from it falls through to them.
    /// </summary>
    public Func<Call, (int Status, string Json)?>? Handler { get; set; }

    /// <summary>The next <paramref name="count"/> calls are answered 503.</summary>
    public void FailNext(int count) => Interlocked.Exchange(ref _failuresLeft, count);

    public static async Task<FakeRepositoryHost> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var host = new FakeRepositoryHost(app);
        app.Run(async context =>
        {
            using var reader = new StreamReader(context.Request.Body);
            var body = await reader.ReadToEndAsync();
            var call = new Call(
                context.Request.Method,
                context.Request.Path + context.Request.QueryString,
                body,
                context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase),
                DateTimeOffset.UtcNow);
            host.Calls.Enqueue(call);
            if (Interlocked.Decrement(ref host._failuresLeft) >= 0)
            {
                context.Response.StatusCode = (int)HttpStatusCode.ServiceUnavailable;
                return;
            }

            if (host.Handler?.Invoke(call) is { } handled)
            {
                context.Response.StatusCode = handled.Status;
                context.Response.ContentType = "application/json";
                await context.Response.WriteAsync(handled.Json);
                return;
            }

            // The longest matching prefix wins, so "/user" and "/user/repos" can answer differently.
            var path = context.Request.Path.Value!;
            var methodPath = context.Request.Method + " " + path;
            var canned = host.Responses.Where(r => path.StartsWith(r.Key, StringComparison.Ordinal) || methodPath.StartsWith(r.Key, StringComparison.Ordinal))
                .OrderByDescending(r => r.Key.Length).FirstOrDefault().Value;
            if (canned.Status == 0 && path.Contains("/contents/", StringComparison.Ordinal) && context.Request.Method is "PUT" or "DELETE")
            {
                canned = ContentsAnswer(context.Request.Method, path, body);
            }

            context.Response.StatusCode = canned.Status == 0 ? (int)HttpStatusCode.Created : canned.Status;
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync(canned.Json ?? """{"id":1}""");
        });
        await app.StartAsync();
        return host;
    }

    /// <summary>
    /// GitHub's answer to a contents write: the file (its git blob sha, computed from the base64
    /// content as git does) and the commit, whose sha is made up (nothing is stored).
    /// </summary>
    private static (int Status, string Json) ContentsAnswer(string method, string path, string body)
    {
        var commit = Convert.ToHexStringLower(System.Security.Cryptography.SHA1.HashData(System.Text.Encoding.UTF8.GetBytes(method + path + body)));
        var filePath = path[(path.IndexOf("/contents/", StringComparison.Ordinal) + "/contents/".Length)..];
        if (method == "DELETE")
        {
            return (200, $$$"""{"content":null,"commit":{"sha":"{{{commit}}}","message":"deleted"}}""");
        }

        var content = Convert.FromBase64String(System.Text.Json.JsonDocument.Parse(body).RootElement.GetProperty("content").GetString()!);
        var blob = Convert.ToHexStringLower(System.Security.Cryptography.SHA1.HashData([.. System.Text.Encoding.ASCII.GetBytes($"blob {content.Length}\0"), .. content]));
        var name = filePath[(filePath.LastIndexOf('/') + 1)..];
        return (201, $$$"""{"content":{"name":"{{{name}}}","path":"{{{filePath}}}","sha":"{{{blob}}}","size":{{{content.Length}}},"type":"file"},"commit":{"sha":"{{{commit}}}","message":"written"}}""");
    }

    public async Task<IReadOnlyList<Call>> WaitForCallsAsync(int count, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (Calls.Count < count)
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"expected {count} calls to the fake repository host, got {Calls.Count}: {string.Join(" | ", Calls.Select(c => c.PathAndQuery + " " + c.Body))}");
            }

            await Task.Delay(50);
        }

        return Calls.ToList();
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
