using System.Text.Json;
using DevMentor.Core.Data;
using Npgsql;
using NpgsqlTypes;

namespace DevMentor.Core.Integrations.Webhooks;

/// <summary>webhook_deliveries: stored before the answer, claimed under a lease for processing.</summary>
public sealed class WebhookDeliveryStore(Database database, TimeProvider clock)
{
    /// <summary>How long a processor may hold a delivery before another may take it over.</summary>
    public static readonly TimeSpan ProcessingLease = TimeSpan.FromMinutes(2);

    public sealed record StoreResult(Guid Id, bool Duplicate, string Status);

    /// <summary>Stores a new delivery, or reports the one already stored under the same delivery id.</summary>
    public async Task<StoreResult> StoreAsync(string provider, string deliveryId, string eventName, IReadOnlyDictionary<string, string> headers, byte[] payload, string? initialStatus, string? outcome, CancellationToken cancellationToken)
    {
        var id = Guid.CreateVersion7(clock.GetUtcNow());
        await using var insert = database.DataSource.CreateCommand("""
            INSERT INTO webhook_deliveries (id, provider, delivery_id, event, headers, payload, status, outcome, processed_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, CASE WHEN $7 = 'received' THEN NULL ELSE now() END)
            ON CONFLICT (provider, delivery_id) DO NOTHING
            """);
        insert.Parameters.AddWithValue(id);
        insert.Parameters.AddWithValue(provider);
        insert.Parameters.AddWithValue(deliveryId);
        insert.Parameters.AddWithValue(eventName);
        insert.Parameters.Add(new NpgsqlParameter { Value = JsonSerializer.Serialize(headers, WebhookJsonContext.Default.IReadOnlyDictionaryStringString), NpgsqlDbType = NpgsqlDbType.Jsonb });
        insert.Parameters.AddWithValue(payload);
        insert.Parameters.AddWithValue(initialStatus ?? "received");
        insert.Parameters.AddWithValue(outcome is null ? DBNull.Value : outcome);
        if (await insert.ExecuteNonQueryAsync(cancellationToken) == 1)
        {
            return new StoreResult(id, Duplicate: false, initialStatus ?? "received");
        }

        await using var existing = database.DataSource.CreateCommand("SELECT id, status FROM webhook_deliveries WHERE provider = $1 AND delivery_id = $2");
        existing.Parameters.AddWithValue(provider);
        existing.Parameters.AddWithValue(deliveryId);
        await using var reader = await existing.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return new StoreResult(reader.GetGuid(0), Duplicate: true, reader.GetString(1));
    }

    /// <summary>Takes a specific delivery, or the oldest one waiting (never started, or its processor's lease ran out).</summary>
    public async Task<WebhookDelivery?> ClaimAsync(Guid? id, CancellationToken cancellationToken)
    {
        await using var claim = database.DataSource.CreateCommand("""
            UPDATE webhook_deliveries d
            SET status = 'processing', lease_until = now() + $2, attempts = attempts + 1
            WHERE d.id = (
                SELECT id FROM webhook_deliveries
                WHERE (status = 'received' OR (status = 'processing' AND lease_until < now()))
                  AND ($1::uuid IS NULL OR id = $1)
                ORDER BY received_at
                FOR UPDATE SKIP LOCKED
                LIMIT 1)
            RETURNING id, provider, delivery_id, event, headers, payload, received_at, status, attempts, outcome
            """);
        claim.Parameters.Add(new NpgsqlParameter { Value = id.HasValue ? id.Value : DBNull.Value, NpgsqlDbType = NpgsqlDbType.Uuid });
        claim.Parameters.AddWithValue(ProcessingLease);
        await using var reader = await claim.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? Read(reader) : null;
    }

    public async Task CompleteAsync(Guid id, WebhookOutcome outcome, CancellationToken cancellationToken)
    {
        await using var complete = database.DataSource.CreateCommand("""
            UPDATE webhook_deliveries SET status = $2, outcome = $3, processed_at = now(), lease_until = NULL WHERE id = $1
            """);
        complete.Parameters.AddWithValue(id);
        complete.Parameters.AddWithValue(outcome.Status);
        complete.Parameters.AddWithValue(outcome.Summary);
        await complete.ExecuteNonQueryAsync(cancellationToken);
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
            SELECT id, provider, delivery_id, event, headers, payload, received_at, status, attempts, outcome
            FROM webhook_deliveries WHERE id = $1
            """);
        get.Parameters.AddWithValue(id);
        await using var reader = await get.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? Read(reader) : null;
    }

    private static WebhookDelivery Read(NpgsqlDataReader reader) => new(
        reader.GetGuid(0),
        reader.GetString(1),
        reader.GetString(2),
        reader.GetString(3),
        JsonSerializer.Deserialize(reader.GetString(4), WebhookJsonContext.Default.IReadOnlyDictionaryStringString) ?? new Dictionary<string, string>(),
        (byte[])reader.GetValue(5),
        new DateTimeOffset(reader.GetDateTime(6), TimeSpan.Zero),
        reader.GetString(7),
        reader.GetInt32(8),
        reader.IsDBNull(9) ? null : reader.GetString(9));
}
