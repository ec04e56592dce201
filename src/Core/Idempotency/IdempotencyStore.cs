using Npgsql;

namespace DevMentor.Core.Idempotency;

/// <summary>The first answer given for an Idempotency-Key, replayed for retries of the same request.</summary>
public sealed record StoredResponse(string RequestHash, int StatusCode, string Body, string? Location);

/// <summary>
/// Idempotency keys in the foundation's <c>idempotency_keys</c> table. The key row is inserted in
/// the same transaction as the work it guards: a concurrent request with the same key waits on the
/// uncommitted row, and then either finds the finished answer (the first committed) or takes over
/// (the first rolled back). No request ever sees a half-done one.
/// </summary>
public static class IdempotencyStore
{
    public static readonly TimeSpan Retention = TimeSpan.FromHours(24);

    /// <returns>Null when this transaction now owns the key; otherwise the answer stored by the request that did.</returns>
    public static async Task<StoredResponse?> ClaimAsync(NpgsqlConnection connection, NpgsqlTransaction transaction,
        string scope, string key, string requestHash, CancellationToken cancellationToken)
    {
        // An expired key is as good as none, even before Housekeeping purges it.
        await using (var expired = new NpgsqlCommand(
            "DELETE FROM idempotency_keys WHERE scope = $1 AND key = $2 AND expires_at < now()", connection, transaction))
        {
            expired.Parameters.AddWithValue(scope);
            expired.Parameters.AddWithValue(key);
            await expired.ExecuteNonQueryAsync(cancellationToken);
        }

        await using (var claim = new NpgsqlCommand("""
            INSERT INTO idempotency_keys (scope, key, request_hash, expires_at) VALUES ($1, $2, $3, now() + $4)
            ON CONFLICT (scope, key) DO NOTHING
            """, connection, transaction))
        {
            claim.Parameters.AddWithValue(scope);
            claim.Parameters.AddWithValue(key);
            claim.Parameters.AddWithValue(requestHash);
            claim.Parameters.AddWithValue(Retention);
            if (await claim.ExecuteNonQueryAsync(cancellationToken) == 1)
            {
                return null;
            }
        }

        await using var read = new NpgsqlCommand(
            "SELECT request_hash, status_code, response_body, location FROM idempotency_keys WHERE scope = $1 AND key = $2", connection, transaction);
        read.Parameters.AddWithValue(scope);
        read.Parameters.AddWithValue(key);
        await using var reader = await read.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            // Purged between the two statements: vanishingly rare; the client may retry.
            throw new InvalidOperationException("The idempotency key disappeared while it was read; retry the request.");
        }

        return new StoredResponse(reader.GetString(0), reader.IsDBNull(1) ? 0 : reader.GetInt32(1),
            reader.IsDBNull(2) ? "" : reader.GetString(2), reader.IsDBNull(3) ? null : reader.GetString(3));
    }

    public static async Task CompleteAsync(NpgsqlConnection connection, NpgsqlTransaction transaction,
        string scope, string key, int statusCode, string body, string? location, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            "UPDATE idempotency_keys SET status_code = $3, response_body = $4, location = $5 WHERE scope = $1 AND key = $2", connection, transaction);
        command.Parameters.AddWithValue(scope);
        command.Parameters.AddWithValue(key);
        command.Parameters.AddWithValue(statusCode);
        command.Parameters.AddWithValue(body);
        command.Parameters.AddWithValue((object?)location ?? DBNull.Value);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
