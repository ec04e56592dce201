using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace DevMentor.Core.Caching;

/// <summary>Redis settings: ConnectionStrings:Redis and the Redis:* keys.</summary>
public sealed record RedisOptions
{
    /// <summary>A StackExchange.Redis configuration string, e.g. <c>cache.example.com:6380,password=…,ssl=true</c>.</summary>
    public required string ConnectionString { get; init; }
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(3);
    /// <summary>The longest any one cache or counter operation may take before it counts as an outage.</summary>
    public TimeSpan OperationTimeout { get; init; } = TimeSpan.FromSeconds(1);
    /// <summary>Put in front of every key, so several services (or test runs) can share one Redis.</summary>
    public string KeyPrefix { get; init; } = "devmentor:";
}

/// <summary>
/// The one Redis connection of this instance (StackExchange.Redis 1.2.6, the newest that restores
/// here). It connects in the background and reconnects by itself (abortConnect=false), so the
/// service starts and keeps answering while Redis is away; callers use <see cref="TryRunAsync{T}"/>,
/// which gives up at once while the connection is down and after <see cref="RedisOptions.OperationTimeout"/>
/// otherwise, and then fall back (a cache miss, in-process counters).
/// </summary>
public sealed partial class RedisConnection : IAsyncDisposable
{
    /// <summary>After an operation timed out, Redis is skipped for this long instead of making every request wait.</summary>
    private static readonly TimeSpan TimeoutBackoff = TimeSpan.FromSeconds(2);

    private readonly ConfigurationOptions _configuration;
    private readonly ILogger _logger;
    private readonly object _gate = new();
    private Task<ConnectionMultiplexer>? _connecting;
    private volatile ConnectionMultiplexer? _multiplexer;
    private long _skipUntil;
    private int _down = -1; // -1 unknown, 0 up, 1 down: outages are logged once, not per request

    public RedisConnection(RedisOptions options, ILogger<RedisConnection> logger)
    {
        _logger = logger;
        Options = options;
        _configuration = Configure(options);
        Description = "Redis at " + string.Join(", ", _configuration.EndPoints.Select(e => e.ToString()));
    }

    public RedisOptions Options { get; }

    /// <summary>"Redis at host:port" — endpoints only, never the password.</summary>
    public string Description { get; }

    public string KeyPrefix => Options.KeyPrefix;

    public bool IsConnected => _multiplexer?.IsConnected == true;

    /// <summary>Raised (on a background thread) when the connection comes back after an outage.</summary>
    public event Action? Restored;

    /// <summary>The StackExchange.Redis options the connection uses, with our timeouts and abortConnect=false.</summary>
    public static ConfigurationOptions Configure(RedisOptions options)
    {
        var configuration = ConfigurationOptions.Parse(options.ConnectionString);
        if (configuration.EndPoints.Count == 0)
        {
            throw new ArgumentException("it names no host:port.", nameof(options));
        }

        configuration.AbortOnConnectFail = false; // start and keep retrying while Redis is down
        configuration.ConnectTimeout = (int)options.ConnectTimeout.TotalMilliseconds;
        configuration.SyncTimeout = (int)options.OperationTimeout.TotalMilliseconds;
        configuration.ResponseTimeout = (int)options.OperationTimeout.TotalMilliseconds;
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
    /// Runs <paramref name="operation"/> on Redis; (false, default) when Redis is down, slow or
    /// failing. Only the caller's own cancellation is thrown.
    /// </summary>
    public async Task<(bool Ok, T Value)> TryRunAsync<T>(Func<IDatabase, Task<T>> operation, CancellationToken cancellationToken)
    {
        var multiplexer = _multiplexer;
        if (multiplexer is null)
        {
            Start();
            return (false, default!);
        }

        if (!multiplexer.IsConnected || Environment.TickCount64 < Interlocked.Read(ref _skipUntil))
        {
            return (false, default!);
        }

        Task<T>? task = null;
        try
        {
            task = operation(multiplexer.GetDatabase());
            var value = await task.WaitAsync(Options.OperationTimeout, cancellationToken);
            return (true, value);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            Observe(task);
            throw;
        }
        catch (TimeoutException e)
        {
            Observe(task);
            Interlocked.Exchange(ref _skipUntil, Environment.TickCount64 + (long)TimeoutBackoff.TotalMilliseconds);
            MarkDown(e.Message);
            return (false, default!);
        }
        catch (RedisServerException e)
        {
            LogOperationFailed(_logger, Description, e.Message);
            return (false, default!);
        }
        catch (RedisException e)
        {
            MarkDown(e.Message);
            return (false, default!);
        }
    }

    /// <summary>A round trip to Redis for readiness; null when it cannot be had within the operation timeout.</summary>
    public async Task<TimeSpan?> PingAsync(CancellationToken cancellationToken)
    {
        var multiplexer = _multiplexer;
        if (multiplexer is null || !multiplexer.IsConnected)
        {
            return null;
        }

        Task<TimeSpan>? task = null;
        try
        {
            task = multiplexer.GetDatabase().PingAsync();
            var latency = await task.WaitAsync(Options.OperationTimeout, cancellationToken);
            Interlocked.Exchange(ref _skipUntil, 0);
            return latency;
        }
        catch (Exception e) when (e is TimeoutException or RedisException)
        {
            Observe(task);
            return null;
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
            multiplexer.Dispose();
        }
        catch (Exception e) when (e is RedisException or ObjectDisposedException)
        {
        }
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
            MarkDown(e.Message); // stays in fallback; readiness keeps saying Degraded
            throw;
        }

        multiplexer.ConnectionFailed += (_, e) =>
        {
            if (e.ConnectionType == ConnectionType.Interactive)
            {
                MarkDown($"{e.FailureType}");
            }
        };
        multiplexer.ConnectionRestored += (_, e) =>
        {
            if (e.ConnectionType == ConnectionType.Interactive)
            {
                MarkUp();
            }
        };
        _multiplexer = multiplexer;
        if (multiplexer.IsConnected)
        {
            MarkUp();
        }
        else
        {
            MarkDown("no connection at start");
        }

        return multiplexer;
    }

    private void MarkDown(string reason)
    {
        if (Interlocked.Exchange(ref _down, 1) != 1)
        {
            LogUnavailable(_logger, Description, reason);
        }
    }

    private void MarkUp()
    {
        Interlocked.Exchange(ref _skipUntil, 0);
        var previous = Interlocked.Exchange(ref _down, 0);
        if (previous == 0)
        {
            return;
        }

        LogAvailable(_logger, Description);
        if (previous == 1)
        {
            var handlers = Restored;
            if (handlers is not null)
            {
                _ = Task.Run(handlers);
            }
        }
    }

    private static void Observe(Task? task) => task?.ContinueWith(static t => _ = t.Exception, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Redis} is unreachable ({Reason}): the cache is bypassed and rate limits are counted in this instance until it is back")]
    private static partial void LogUnavailable(ILogger logger, string redis, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Redis} is connected: cache and rate limits are shared")]
    private static partial void LogAvailable(ILogger logger, string redis);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Redis} refused an operation: {Error}")]
    private static partial void LogOperationFailed(ILogger logger, string redis, string error);
}
