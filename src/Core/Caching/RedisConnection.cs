using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace DevMentor.Core.Caching;

/// <summary>
/// The one Redis connection of this instance: a StackExchange.Redis multiplexer over a single node
/// or a Redis Cluster. The library does the hard parts: it finds the cluster's nodes and slot map,
/// routes each key to its node and follows MOVED/ASK redirections, reconnects by itself
/// (abortConnect=false, so the service starts and keeps answering while Redis is away), fails
/// commands for a node it is not connected to at once (BacklogPolicy.FailFast) instead of queueing
/// them, and drops a connection that has answered nothing for four operation timeouts. Callers use
/// <see cref="TryRunAsync{T}"/>, which turns every failure and anything slower than
/// <see cref="RedisOptions.OperationTimeout"/> into (false, default) so they can fall back (a cache
/// miss, in-process counters).
/// </summary>
public sealed partial class RedisConnection : IAsyncDisposable
{
    /// <summary>Failed operations are logged at most this often (a count of the others goes with it), not once per request.</summary>
    private static readonly TimeSpan FailureLogInterval = TimeSpan.FromSeconds(10);

    private readonly ConfigurationOptions _configuration;
    private readonly ILogger _logger;
    private readonly Lock _gate = new();
    private readonly ConcurrentDictionary<string, byte> _unreachable = new(StringComparer.Ordinal); // endpoints whose outage was logged
    private Task<ConnectionMultiplexer>? _connecting;
    private volatile ConnectionMultiplexer? _multiplexer;
    private long _nextFailureLog;
    private int _unloggedFailures;

    private readonly IRedisConnectionObserver[] _observers;

    /// <param name="observers">Told of each multiplexer once it exists (tracing instruments it).</param>
    public RedisConnection(RedisOptions options, ILogger<RedisConnection> logger, IEnumerable<IRedisConnectionObserver>? observers = null)
    {
        _logger = logger;
        _observers = observers?.ToArray() ?? [];
        Options = options;
        _configuration = Configure(options);
        Description = "Redis at " + string.Join(", ", _configuration.EndPoints.Select(Format));
    }

    public RedisOptions Options { get; }

    /// <summary>"Redis at host:port[, host:port…]": the configured endpoints only, never the password.</summary>
    public string Description { get; }

    public string KeyPrefix => Options.KeyPrefix;

    /// <summary>Connected to at least one node (on a cluster, others may still be away).</summary>
    public bool IsConnected => _multiplexer?.IsConnected == true;

    /// <summary>The multiplexer once the first connection attempt has finished; null before.</summary>
    internal IConnectionMultiplexer? Multiplexer => _multiplexer;

    /// <summary>The StackExchange.Redis options the connection uses: the configuration string with our timeouts and policies.</summary>
    public static ConfigurationOptions Configure(RedisOptions options)
    {
        var configuration = ConfigurationOptions.Parse(options.ConnectionString);
        if (configuration.EndPoints.Count == 0)
        {
            throw new ArgumentException("it names no host:port.", nameof(options));
        }

        var operationTimeout = (int)options.OperationTimeout.TotalMilliseconds;
        configuration.AbortOnConnectFail = false; // start, and keep retrying, while Redis is down
        configuration.ConnectTimeout = (int)options.ConnectTimeout.TotalMilliseconds;
        configuration.SyncTimeout = operationTimeout;
        configuration.AsyncTimeout = operationTimeout; // also what the library's dead-connection check counts in
        configuration.BacklogPolicy = BacklogPolicy.FailFast; // a cache must not make requests wait for a reconnection
        configuration.ReconnectRetryPolicy = new ExponentialRetry(deltaBackOffMilliseconds: 500, maxDeltaBackOffMilliseconds: 5000);
        configuration.KeepAlive = 5; // seconds: notices a silently dead connection
        configuration.ConnectRetry = 1;
        configuration.ClientName ??= "devmentor";
        return configuration;
    }

    /// <summary>Starts connecting in the background; does not wait.</summary>
    public void Start()
    {
        lock (_gate)
        {
            _connecting ??= Task.Run(ConnectAsync);
        }
    }

    /// <summary>Waits until the first connection attempt has finished (connected or not).</summary>
    public async Task WaitForFirstAttemptAsync(CancellationToken cancellationToken)
    {
        Start();
        await _connecting!.WaitAsync(cancellationToken);
    }

    /// <summary>
    /// Runs <paramref name="operation"/> on Redis; (false, default) when the node that holds the key
    /// is unreachable, slow or refuses. Only the caller's own cancellation is thrown.
    /// </summary>
    public async Task<(bool Ok, T Value)> TryRunAsync<T>(Func<IDatabase, Task<T>> operation, CancellationToken cancellationToken)
    {
        var multiplexer = _multiplexer;
        if (multiplexer is null)
        {
            Start();
            return (false, default!);
        }

        Task<T>? task = null;
        try
        {
            task = operation(multiplexer.GetDatabase());
            return (true, await task.WaitAsync(Options.OperationTimeout, cancellationToken));
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            Observe(task);
            throw;
        }
        catch (Exception e) when (e is TimeoutException or RedisException)
        {
            Observe(task);
            NoteFailure(e);
            return (false, default!);
        }
    }

    public async ValueTask DisposeAsync()
    {
        Task<ConnectionMultiplexer>? connecting;
        lock (_gate)
        {
            connecting = _connecting;
        }

        if (connecting is null)
        {
            return;
        }

        try
        {
            var multiplexer = await connecting;
            await multiplexer.CloseAsync(allowCommandsToComplete: false);
            await multiplexer.DisposeAsync();
        }
        catch (Exception e) when (e is RedisException or ObjectDisposedException)
        {
        }
    }

    internal static string Format(System.Net.EndPoint endPoint) => Format(endPoint.ToString());

    /// <summary>"Unspecified/host:port" (a name not resolved yet) reads as "host:port".</summary>
    internal static string Format(string? endPoint) => endPoint is null ? "?" : endPoint.StartsWith("Unspecified/", StringComparison.Ordinal) ? endPoint["Unspecified/".Length..] : endPoint;

    /// <summary>What went wrong, short: the library's connection failure type, the server's error line, or the timeout.</summary>
    internal string Describe(Exception e) => e switch
    {
        RedisConnectionException connection => $"no connection ({connection.FailureType})",
        TimeoutException => $"no answer within {Options.OperationTimeout.TotalMilliseconds:0} ms",
        _ => Redact(e.Message),
    };

    /// <summary>An error message fit for a log or a readiness report: one line, the password (if any) masked.</summary>
    internal string Redact(string message)
    {
        var line = message.Split('\n', 2)[0].Trim();
        if (line.Length > 300)
        {
            line = line[..300] + "…";
        }

        return _configuration.Password is { Length: > 0 } password ? line.Replace(password, "***", StringComparison.Ordinal) : line;
    }

    private async Task<ConnectionMultiplexer> ConnectAsync()
    {
        ConnectionMultiplexer multiplexer;
        try
        {
            multiplexer = await ConnectionMultiplexer.ConnectAsync(_configuration);
        }
        catch (Exception e)
        {
            LogUnavailable(_logger, Description, Redact(e.Message)); // stays in fallback; readiness keeps saying Degraded
            throw;
        }

        // The library raises these per node and per physical connection; the interactive one is ours
        // (no pub/sub is used). Each node's outage is logged once, and its return once.
        multiplexer.ConnectionFailed += (_, e) =>
        {
            var endPoint = Format(e.EndPoint?.ToString());
            if (e.ConnectionType == ConnectionType.Interactive && _unreachable.TryAdd(endPoint, 0))
            {
                LogUnavailable(_logger, Description, $"{endPoint}: {e.FailureType}");
            }
        };
        multiplexer.ConnectionRestored += (_, e) =>
        {
            var endPoint = Format(e.EndPoint?.ToString());
            if (e.ConnectionType == ConnectionType.Interactive && _unreachable.TryRemove(endPoint, out byte _))
            {
                LogAvailable(_logger, Description, endPoint);
            }
        };
        foreach (var observer in _observers)
        {
            observer.Created(multiplexer);
        }

        _multiplexer = multiplexer;
        if (multiplexer.IsConnected)
        {
            LogAvailable(_logger, Description, string.Join(", ", multiplexer.GetEndPoints().Select(Format)));
        }
        else
        {
            foreach (var endPoint in multiplexer.GetEndPoints())
            {
                _unreachable.TryAdd(Format(endPoint), 0);
            }

            LogUnavailable(_logger, Description, "no connection at start");
        }

        return multiplexer;
    }

    private void NoteFailure(Exception e)
    {
        var now = Environment.TickCount64;
        var next = Interlocked.Read(ref _nextFailureLog);
        if (now < next || Interlocked.CompareExchange(ref _nextFailureLog, now + (long)FailureLogInterval.TotalMilliseconds, next) != next)
        {
            Interlocked.Increment(ref _unloggedFailures);
            return;
        }

        LogOperationFailed(_logger, Description, Describe(e), Interlocked.Exchange(ref _unloggedFailures, 0));
    }

    private static void Observe(Task? task) => task?.ContinueWith(static t => _ = t.Exception, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Redis} is unreachable ({Reason}): the cache is bypassed and rate limits are counted in this instance for what it serves until it is back")]
    private static partial void LogUnavailable(ILogger logger, string redis, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Redis} is connected ({Nodes}): cache and rate limits are shared")]
    private static partial void LogAvailable(ILogger logger, string redis, string nodes);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Redis} failed an operation, served without it: {Error} ({Others} more failures since the last such message)")]
    private static partial void LogOperationFailed(ILogger logger, string redis, string error, int others);
}
