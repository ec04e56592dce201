using System.Threading.Channels;
using DevMentor.Core.Data;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using NpgsqlTypes;

namespace DevMentor.Core.Analytics;

/// <param name="At">When the request arrived.</param>
public sealed record UsageEvent(DateTimeOffset At, string FunctionName, int Status, double DurationMs, string? UserId, Guid? ApiKeyId);

/// <summary>
/// Records HTTP function calls as usage events without holding requests up: <see cref="Record"/>
/// only queues, and a background loop writes the queue in batches with COPY. When the database is
/// slow or down the queue fills and further events are dropped (and counted in the log): usage
/// analytics must never cost a request. Events still queued at shutdown are written before stopping.
/// </summary>
public sealed partial class UsageRecorder(Database database, AnalyticsOptions options, ILogger<UsageRecorder> logger) : BackgroundService
{
    private const int MaxBatch = 5000;

    private readonly Channel<UsageEvent> _queue = Channel.CreateBounded<UsageEvent>(
        new BoundedChannelOptions(options.UsageBufferCapacity) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true });

    private long _dropped;

    public void Record(UsageEvent usage)
    {
        if (!options.RecordUsage)
        {
            return;
        }

        if (!_queue.Writer.TryWrite(usage))
        {
            Interlocked.Increment(ref _dropped);
        }
    }

    /// <summary>Writes everything queued so far (tests and shutdown).</summary>
    public async Task FlushAsync(CancellationToken cancellationToken)
    {
        var batch = new List<UsageEvent>();
        while (_queue.Reader.TryRead(out var usage))
        {
            batch.Add(usage);
            if (batch.Count == MaxBatch)
            {
                await WriteAsync(batch, cancellationToken);
                batch.Clear();
            }
        }

        if (batch.Count > 0)
        {
            await WriteAsync(batch, cancellationToken);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                await Task.Delay(options.UsageFlushInterval, stoppingToken);
                await FlushQuietlyAsync(stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping: what is queued is written below.
        }

        using var last = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        await FlushQuietlyAsync(last.Token);
    }

    private async Task FlushQuietlyAsync(CancellationToken cancellationToken)
    {
        try
        {
            await FlushAsync(cancellationToken);
        }
        catch (Exception e) when (e is NpgsqlException or InvalidOperationException or TimeoutException or OperationCanceledException)
        {
            LogWriteFailed(logger, e);
        }

        if (Interlocked.Exchange(ref _dropped, 0) is > 0 and var dropped)
        {
            LogDropped(logger, dropped);
        }
    }

    private async Task WriteAsync(List<UsageEvent> batch, CancellationToken cancellationToken)
    {
        await using var connection = await database.DataSource.OpenConnectionAsync(cancellationToken);
        await using var writer = await connection.BeginBinaryImportAsync(
            "COPY usage_events (at, function_name, status, duration_ms, user_id, api_key_id) FROM STDIN (FORMAT BINARY)", cancellationToken);
        foreach (var usage in batch)
        {
            await writer.StartRowAsync(cancellationToken);
            await writer.WriteAsync(usage.At.ToUniversalTime(), NpgsqlDbType.TimestampTz, cancellationToken);
            await writer.WriteAsync(usage.FunctionName, NpgsqlDbType.Text, cancellationToken);
            await writer.WriteAsync(usage.Status, NpgsqlDbType.Integer, cancellationToken);
            await writer.WriteAsync(usage.DurationMs, NpgsqlDbType.Double, cancellationToken);
            if (usage.UserId is null)
            {
                await writer.WriteNullAsync(cancellationToken);
            }
            else
            {
                await writer.WriteAsync(usage.UserId, NpgsqlDbType.Text, cancellationToken);
            }

            if (usage.ApiKeyId is null)
            {
                await writer.WriteNullAsync(cancellationToken);
            }
            else
            {
                await writer.WriteAsync(usage.ApiKeyId.Value, NpgsqlDbType.Uuid, cancellationToken);
            }
        }

        await writer.CompleteAsync(cancellationToken);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Writing usage events failed; they are lost")]
    private static partial void LogWriteFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Dropped {Dropped} usage event(s): the queue was full")]
    private static partial void LogDropped(ILogger logger, long dropped);
}
