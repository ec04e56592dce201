using System.Text.Json;
using DevMentor.Core.Data;
using DevMentor.Core.Diagnostics;
using Npgsql;
using NpgsqlTypes;

namespace DevMentor.Core.Integrations.Webhooks;

/// <summary>webhook_deliveries: stored before the answer, claimed under a lease for processing.</summary>
public sealed class WebhookDeliveryStore(Database database, WebhookIntakeWriter intake, TimeProvider clock)
{
    /// <summary>How long a processor may hold a delivery before another may take it over.</summary>
    public static readonly TimeSpan ProcessingLease = TimeSpan.FromMinutes(2);

    public sealed record StoreResult(Guid Id, bool Duplicate, string Status);

    /// <summary>Stores a new delivery, or reports the one already stored under the same delivery id; durable when it returns.</summary>
    /// <remarks>Concurrent deliveries share one commit: see <see cref="WebhookIntakeWriter"/>.</remarks>
    public Task<StoreResult> StoreAsync(string provider, string deliveryId, string eventName, IReadOnlyDictionary<string, string> headers, byte[] payload, string? initialStatus, string? outcome, Guid? verifiedProjectId, CancellationToken cancellationToken) =>
        intake.StoreAsync(new NewDelivery(
            Guid.CreateVersion7(clock.GetUtcNow()), provider, deliveryId, eventName,
            JsonSerializer.Serialize(headers, WebhookJsonContext.Default.IReadOnlyDictionaryStringString), payload, initialStatus ?? "received", outcome, verifiedProjectId,
            TraceContext.Current()));

    /// <summary>
    /// Takes up to <paramref name="limit"/> waiting deliveries (never started, or their processor's
    /// lease ran out), or the given one. Committed without waiting for the WAL flush
    /// (synchronous_commit off): a claim lost in a database crash leaves the delivery waiting, and
    /// processing it again is harmless (runs carry the delivery's idempotency key).
    /// </summary>
    public async Task<IReadOnlyList<WebhookDelivery>> ClaimAsync(Guid? id, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await database.DataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using var batch = new NpgsqlBatch(connection, transaction);
        batch.BatchCommands.Add(new NpgsqlBatchCommand("SET LOCAL synchronous_commit = off"));
        var claim = new NpgsqlBatchCommand("""
            UPDATE webhook_deliveries d
            SET status = 'processing', lease_until = now() + $2, attempts = attempts + 1
            WHERE d.id IN (
                SELECT id FROM webhook_deliveries
                WHERE (status = 'received' OR (status = 'processing' AND lease_until < now()))
                  AND ($1::uuid IS NULL OR id = $1)
                ORDER BY received_at
                LIMIT $3
                FOR UPDATE SKIP LOCKED)
            RETURNING id, provider, delivery_id, event, headers, payload, received_at, status, attempts, outcome, project_id, traceparent
            """);
        claim.Parameters.Add(new NpgsqlParameter { Value = id.HasValue ? id.Value : DBNull.Value, NpgsqlDbType = NpgsqlDbType.Uuid });
        claim.Parameters.AddWithValue(ProcessingLease);
        claim.Parameters.AddWithValue(limit);
        batch.BatchCommands.Add(claim);
        var claimed = new List<WebhookDelivery>();
        await using (var reader = await batch.ExecuteReaderAsync(cancellationToken))
        {
            // Whether the SET's empty result is exposed depends on the driver: take the result that has columns.
            do
            {
                while (reader.FieldCount > 0 && await reader.ReadAsync(cancellationToken))
                {
                    claimed.Add(Read(reader));
                }
            }
            while (await reader.NextResultAsync(cancellationToken));
        }

        await transaction.CommitAsync(cancellationToken);
        claimed.Sort((a, b) => a.ReceivedAt.CompareTo(b.ReceivedAt));
        return claimed;
    }

    /// <summary>Records the outcomes of a batch in one statement; not waiting for the WAL flush, for the reason given at <see cref="ClaimAsync"/>.</summary>
    public async Task CompleteAsync(IReadOnlyList<(Guid Id, WebhookOutcome Outcome)> outcomes, CancellationToken cancellationToken)
    {
        if (outcomes.Count == 0)
        {
            return;
        }

        await using var connection = await database.DataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using var batch = new NpgsqlBatch(connection, transaction);
        batch.BatchCommands.Add(new NpgsqlBatchCommand("SET LOCAL synchronous_commit = off"));
        var complete = new NpgsqlBatchCommand("""
            UPDATE webhook_deliveries d SET status = o.status, outcome = o.outcome, processed_at = now(), lease_until = NULL
            FROM unnest($1::uuid[], $2::text[], $3::text[]) AS o (id, status, outcome)
            WHERE d.id = o.id
            """);
        complete.Parameters.Add(new NpgsqlParameter<Guid[]> { TypedValue = outcomes.Select(o => o.Id).ToArray() });
        complete.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = outcomes.Select(o => o.Outcome.Status).ToArray() });
        complete.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = outcomes.Select(o => o.Outcome.Summary).ToArray() });
        batch.BatchCommands.Add(complete);
        await batch.ExecuteNonQueryAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }

    /// <summary>Hands claimed deliveries that were not processed (the process is stopping) back to the queue at once, instead of after the lease.</summary>
    public async Task ReleaseAsync(IReadOnlyList<Guid> ids, CancellationToken cancellationToken)
    {
        if (ids.Count == 0)
        {
            return;
        }

        await using var release = database.DataSource.CreateCommand(
            "UPDATE webhook_deliveries SET status = 'received', lease_until = NULL WHERE id = ANY($1) AND status = 'processing'");
        release.Parameters.Add(new NpgsqlParameter<Guid[]> { TypedValue = ids.ToArray() });
        await release.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Puts a finished delivery back in the queue (the admin "re-process" action).</summary>
    public async Task<bool> RequeueAsync(Guid id, CancellationToken cancellationToken)
    {
        await using var requeue = database.DataSource.CreateCommand("""
            UPDATE webhook_deliveries SET status = 'received', lease_until = NULL WHERE id = $1 AND status <> 'processing'
            """);
        requeue.Parameters.AddWithValue(id);
        return await requeue.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    public async Task<WebhookDelivery?> GetAsync(Guid id, CancellationToken cancellationToken)
    {
        await using var get = database.DataSource.CreateCommand("""
            SELECT id, provider, delivery_id, event, headers, payload, received_at, status, attempts, outcome, project_id, traceparent
            FROM webhook_deliveries WHERE id = $1
            """);
        get.Parameters.AddWithValue(id);
        await using var reader = await get.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? Read(reader) : null;
    }

    private static WebhookDelivery Read(System.Data.Common.DbDataReader reader) => new(
        reader.GetGuid(0),
        reader.GetString(1),
        reader.GetString(2),
        reader.GetString(3),
        JsonSerializer.Deserialize(reader.GetString(4), WebhookJsonContext.Default.IReadOnlyDictionaryStringString) ?? new Dictionary<string, string>(),
        (byte[])reader.GetValue(5),
        new DateTimeOffset(reader.GetDateTime(6), TimeSpan.Zero),
        reader.GetString(7),
        reader.GetInt32(8),
        reader.IsDBNull(9) ? null : reader.GetString(9),
        reader.IsDBNull(10) ? null : reader.GetGuid(10),
        reader.IsDBNull(11) ? null : reader.GetString(11));
}
