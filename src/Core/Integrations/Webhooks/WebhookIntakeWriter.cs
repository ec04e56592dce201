using System.Threading.Channels;
using DevMentor.Core.Data;
using Npgsql;
using NpgsqlTypes;

namespace DevMentor.Core.Integrations.Webhooks;

/// <summary>A delivery to store before it is answered.</summary>
/// <param name="TraceParent">The receiving request's span (W3C traceparent): processing continues its trace.</param>
public sealed record NewDelivery(Guid Id, string Provider, string DeliveryId, string Event, string HeadersJson, byte[] Payload, string Status, string? Outcome, Guid? VerifiedProjectId, string? TraceParent = null);

/// <summary>
/// Group commit for webhook intake: deliveries that arrive while a commit is under way are stored
/// together in the next one, one multi-row INSERT … ON CONFLICT DO NOTHING committed durably
/// (synchronous_commit stays on: a 202 is only sent after its row is on disk). Each waiting request
/// learns whether its row was new or which stored row it duplicates. Under load this turns one
/// transaction, WAL flush and round trip per delivery into one per batch; alone, a delivery is
/// written at once, as before.
/// </summary>
public sealed class WebhookIntakeWriter(Database database) : IAsyncDisposable
{
    /// <summary>Most rows in one statement; more waiting deliveries go to the next one.</summary>
    public const int MaxBatch = 128;

    /// <summary>Batches in flight at once, so a batch forms while the previous one commits.</summary>
    public const int Writers = 3;

    private readonly Channel<Pending> _queue = Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions { AllowSynchronousContinuations = false });
    private readonly object _startLock = new();
    private Task[]? _writers;

    private sealed record Pending(NewDelivery Delivery, TaskCompletionSource<WebhookDeliveryStore.StoreResult> Result);

    public Task<WebhookDeliveryStore.StoreResult> StoreAsync(NewDelivery delivery)
    {
        EnsureStarted();
        var result = new TaskCompletionSource<WebhookDeliveryStore.StoreResult>(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!_queue.Writer.TryWrite(new Pending(delivery, result)))
        {
            result.SetException(new ObjectDisposedException(nameof(WebhookIntakeWriter), "The service is stopping."));
        }

        return result.Task;
    }

    private void EnsureStarted()
    {
        if (Volatile.Read(ref _writers) is not null)
        {
            return;
        }

        lock (_startLock)
        {
            // Not in the first caller's execution context: its span (Activity.Current) would become the
            // parent of every later batch's SQL spans.
            using (ExecutionContext.SuppressFlow())
            {
                _writers ??= Enumerable.Range(0, Writers).Select(_ => Task.Run(WriteLoopAsync)).ToArray();
            }
        }
    }

    private async Task WriteLoopAsync()
    {
        var batch = new List<Pending>(MaxBatch);
        while (await _queue.Reader.WaitToReadAsync())
        {
            while (batch.Count < MaxBatch && _queue.Reader.TryRead(out var pending))
            {
                batch.Add(pending);
            }

            if (batch.Count == 0)
            {
                continue;
            }

            try
            {
                var deliveries = batch.Select(p => p.Delivery).ToList();
                WebhookDeliveryStore.StoreResult[] results;
                for (var attempt = 1; ; attempt++)
                {
                    try
                    {
                        results = await WriteAsync(deliveries);
                        break;
                    }
                    catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.DeadlockDetected && attempt < 3)
                    {
                        // Rare (a redelivery racing the processor's update of the same row); the statement was rolled back whole.
                    }
                }

                for (var i = 0; i < batch.Count; i++)
                {
                    batch[i].Result.SetResult(results[i]);
                }
            }
            catch (Exception e)
            {
                // Nothing was committed (one statement): every request of the batch gets the error, none a 202.
                foreach (var pending in batch)
                {
                    pending.Result.TrySetException(e);
                }
            }

            batch.Clear();
        }
    }

    /// <remarks>
    /// Rows go in in key order: two batches holding copies of the same deliveries then wait for one
    /// another in one direction only, never in a cycle (a deadlock would fail both batches).
    /// </remarks>
    private async Task<WebhookDeliveryStore.StoreResult[]> WriteAsync(List<NewDelivery> deliveries)
    {
        var inserted = new HashSet<Guid>();
        await using (var insert = database.DataSource.CreateCommand("""
            INSERT INTO webhook_deliveries (id, provider, delivery_id, event, headers, payload, status, outcome, processed_at, project_id, traceparent)
            SELECT id, provider, delivery_id, event, headers, payload, status, outcome,
                   CASE WHEN status = 'received' THEN NULL ELSE now() END, project_id::uuid, traceparent
            FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::jsonb[], $6::bytea[], $7::text[], $8::text[], $9::text[], $10::text[])
                 AS d (id, provider, delivery_id, event, headers, payload, status, outcome, project_id, traceparent)
            ORDER BY provider, delivery_id
            ON CONFLICT (provider, delivery_id) DO NOTHING
            RETURNING id
            """))
        {
            insert.Parameters.Add(new NpgsqlParameter<Guid[]> { TypedValue = deliveries.Select(d => d.Id).ToArray() });
            insert.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = deliveries.Select(d => d.Provider).ToArray() });
            insert.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = deliveries.Select(d => d.DeliveryId).ToArray() });
            insert.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = deliveries.Select(d => d.Event).ToArray() });
            insert.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Jsonb, Value = deliveries.Select(d => d.HeadersJson).ToArray() });
            insert.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bytea, Value = deliveries.Select(d => d.Payload).ToArray() });
            insert.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = deliveries.Select(d => d.Status).ToArray() });
            insert.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text, Value = deliveries.Select(d => d.Outcome).ToArray() });
            insert.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text, Value = deliveries.Select(d => d.VerifiedProjectId?.ToString()).ToArray() });
            insert.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text, Value = deliveries.Select(d => d.TraceParent).ToArray() });
            await using var reader = await insert.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                inserted.Add(reader.GetGuid(0));
            }
        }

        var results = new WebhookDeliveryStore.StoreResult[deliveries.Count];
        var duplicates = new List<int>();
        for (var i = 0; i < deliveries.Count; i++)
        {
            if (inserted.Contains(deliveries[i].Id))
            {
                results[i] = new WebhookDeliveryStore.StoreResult(deliveries[i].Id, Duplicate: false, deliveries[i].Status);
            }
            else
            {
                duplicates.Add(i);
            }
        }

        if (duplicates.Count > 0)
        {
            // Copies of a delivery stored earlier, or earlier in this batch. ON CONFLICT waited for any
            // concurrent inserter to commit, so this later statement sees every row they conflicted with.
            await using var existing = database.DataSource.CreateCommand("""
                SELECT w.provider, w.delivery_id, w.id, w.status
                FROM webhook_deliveries w JOIN unnest($1::text[], $2::text[]) AS k (provider, delivery_id)
                  ON w.provider = k.provider AND w.delivery_id = k.delivery_id
                """);
            existing.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = duplicates.Select(i => deliveries[i].Provider).ToArray() });
            existing.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = duplicates.Select(i => deliveries[i].DeliveryId).ToArray() });
            var found = new Dictionary<(string, string), (Guid Id, string Status)>();
            await using (var reader = await existing.ExecuteReaderAsync())
            {
                while (await reader.ReadAsync())
                {
                    found[(reader.GetString(0), reader.GetString(1))] = (reader.GetGuid(2), reader.GetString(3));
                }
            }

            foreach (var i in duplicates)
            {
                var (id, status) = found[(deliveries[i].Provider, deliveries[i].DeliveryId)];
                results[i] = new WebhookDeliveryStore.StoreResult(id, Duplicate: true, status);
            }
        }

        return results;
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        if (_writers is { } writers)
        {
            await Task.WhenAll(writers);
        }
    }
}
