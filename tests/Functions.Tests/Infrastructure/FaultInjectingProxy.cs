using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;

namespace DevMentor.Functions.Tests.Infrastructure;

/// <summary>
/// A real HTTP server on loopback in front of another one (Azurite): it forwards every request
/// byte for byte, except that requests matching a planted fault get that fault's status instead,
/// one per matching request, so a client's retries meet a server that fails and then succeeds.
/// </summary>
public sealed class FaultInjectingProxy : IAsyncDisposable
{
    private static readonly HashSet<string> HopByHop = new(StringComparer.OrdinalIgnoreCase)
    {
        "Host", "Connection", "Transfer-Encoding", "Keep-Alive", "Expect", "Upgrade", "Proxy-Connection", "TE", "Trailer",
    };

    private readonly WebApplication _app;
    private readonly HttpClient _upstream = new(new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false }) { Timeout = TimeSpan.FromMinutes(2) };
    private readonly ConcurrentQueue<Fault> _faults = new();

    /// <param name="Answered">The status this proxy answered: the planted one, or the upstream's.</param>
    /// <param name="Injected">True when the answer was a planted fault, not the upstream's.</param>
    public sealed record Seen(string Method, string Target, int Answered, bool Injected, string ClientRequestId, string Date, string Authorization);

    private sealed record Fault(Func<HttpRequest, bool> Matches, int Status, string ErrorCode);

    private FaultInjectingProxy(WebApplication app, Uri upstream)
    {
        _app = app;
        Upstream = upstream;
    }

    public Uri Upstream { get; }

    public Uri BaseAddress => new(_app.Urls.First());

    /// <summary>Every request, in arrival order.</summary>
    public ConcurrentQueue<Seen> Requests { get; } = new();

    /// <summary>
    /// The next requests that match <paramref name="matches"/> are answered with these statuses, one
    /// each, in order (with an x-ms-error-code as the Blob service sends); later ones are forwarded.
    /// </summary>
    public void Fail(Func<HttpRequest, bool> matches, params (int Status, string ErrorCode)[] answers)
    {
        foreach (var (status, code) in answers)
        {
            _faults.Enqueue(new Fault(matches, status, code));
        }
    }

    public int PendingFaults => _faults.Count;

    public static async Task<FaultInjectingProxy> StartAsync(Uri upstream)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = null);
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var proxy = new FaultInjectingProxy(app, upstream);
        app.Run(proxy.HandleAsync);
        await app.StartAsync();
        return proxy;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        _upstream.Dispose();
    }

    private async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        // The raw target, not Path: the path's percent-encoding is part of what the client signed.
        var target = context.Features.Get<IHttpRequestFeature>()!.RawTarget;
        var fault = TakeFault(request);
        if (fault is not null)
        {
            await request.Body.CopyToAsync(Stream.Null, context.RequestAborted); // a whole request, then the failure
            Record(request, target, fault.Status, injected: true);
            context.Response.StatusCode = fault.Status;
            context.Response.Headers["x-ms-error-code"] = fault.ErrorCode;
            context.Response.ContentLength = 0;
            return;
        }

        using var forward = new HttpRequestMessage(new HttpMethod(request.Method), new Uri(Upstream, target));
        if (request.ContentLength > 0 || request.Headers.TransferEncoding.Count > 0 || HttpMethods.IsPut(request.Method) || HttpMethods.IsPost(request.Method))
        {
            forward.Content = new StreamContent(request.Body);
        }

        foreach (var (name, values) in request.Headers)
        {
            if (HopByHop.Contains(name))
            {
                continue;
            }

            if (!forward.Headers.TryAddWithoutValidation(name, values.ToArray()))
            {
                forward.Content?.Headers.TryAddWithoutValidation(name, values.ToArray());
            }
        }

        using var answer = await _upstream.SendAsync(forward, HttpCompletionOption.ResponseHeadersRead, context.RequestAborted);
        Record(request, target, (int)answer.StatusCode, injected: false);
        context.Response.StatusCode = (int)answer.StatusCode;
        foreach (var (name, values) in answer.Headers.Concat(answer.Content.Headers))
        {
            if (!HopByHop.Contains(name))
            {
                context.Response.Headers[name] = values.ToArray();
            }
        }

        if (!HttpMethods.IsHead(request.Method))
        {
            await answer.Content.CopyToAsync(context.Response.Body, context.RequestAborted);
        }
    }

    private Fault? TakeFault(HttpRequest request)
    {
        lock (_faults)
        {
            if (_faults.TryPeek(out var next) && next.Matches(request))
            {
                _faults.TryDequeue(out _);
                return next;
            }

            return null;
        }
    }

    private void Record(HttpRequest request, string target, int status, bool injected) => Requests.Enqueue(new Seen(
        request.Method,
        target,
        status,
        injected,
        request.Headers["x-ms-client-request-id"].ToString(),
        request.Headers["x-ms-date"].ToString(),
        request.Headers.Authorization.ToString()));
}

/// <summary>Keeps every log entry with its structured values, for tests that check what was logged.</summary>
public sealed class RecordingLogger : ILogger
{
    public sealed record Entry(LogLevel Level, string Message, IReadOnlyDictionary<string, object?> Values);

    public ConcurrentQueue<Entry> Entries { get; } = new();

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        var values = state is IEnumerable<KeyValuePair<string, object?>> pairs
            ? pairs.ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal)
            : new Dictionary<string, object?>(StringComparer.Ordinal);
        Entries.Enqueue(new Entry(logLevel, formatter(state, exception), values));
    }
}
