using Npgsql;

namespace DevMentor.Core.Notifications;

public sealed partial class NotificationStore
{
    private const string Columns = "id, project_id, kind, target, events, enabled, consecutive_failures, disabled_reason, created_at, secret_hint";

    /// <param name="target">What may be shown (see <see cref="NotificationSubscription.Target"/>).</param>
    /// <param name="targetProtected">The encrypted full URL (webhook and Slack).</param>
    /// <param name="secretProtected">The encrypted signing secret (webhooks).</param>
    public async Task<NotificationSubscription> AddAsync(Guid projectId, string kind, string target, string? targetProtected, string? secretProtected, string? secretHint,
        IReadOnlyList<string> events, string? createdBy, CancellationToken cancellationToken)
    {
        await using var command = database.DataSource.CreateCommand($"""
            INSERT INTO notification_subscriptions (id, project_id, kind, target, target_protected, secret_protected, secret_hint, events, created_by)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING {Columns}
            """);
        command.Parameters.AddWithValue(Guid.NewGuid());
        command.Parameters.AddWithValue(projectId);
        command.Parameters.AddWithValue(kind);
        command.Parameters.AddWithValue(target);
        command.Parameters.Add(Text(targetProtected));
        command.Parameters.Add(Text(secretProtected));
        command.Parameters.Add(Text(secretHint));
        command.Parameters.AddWithValue(events.ToArray());
        command.Parameters.Add(Text(createdBy));
        return (await ReadSubscriptionsAsync(command, cancellationToken))[0];
    }

    /// <summary>Subscriptions still holding plaintext from before migration 0024.</summary>
    public async Task<IReadOnlyList<LegacyTarget>> LegacyTargetsAsync(CancellationToken cancellationToken)
    {
        await using var command = database.DataSource.CreateCommand("""
            SELECT id, kind, target, secret FROM notification_subscriptions
            WHERE secret IS NOT NULL OR (kind IN ('webhook', 'slack') AND target_protected IS NULL)
            """);
        var items = new List<LegacyTarget>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            items.Add(new LegacyTarget(reader.GetGuid(0), reader.GetString(1), reader.GetString(2), reader.IsDBNull(3) ? null : reader.GetString(3)));
        }

        return items;
    }

    /// <summary>Replaces a legacy row's plaintext by its encrypted form (only if nobody changed it meanwhile).</summary>
    public async Task<bool> ProtectLegacyAsync(LegacyTarget legacy, string target, string? targetProtected, string? secretProtected, string? secretHint, CancellationToken cancellationToken)
    {
        await using var command = database.DataSource.CreateCommand("""
            UPDATE notification_subscriptions SET target = $2, target_protected = $3, secret_protected = $4, secret_hint = $5, secret = NULL
            WHERE id = $1 AND target = $6 AND secret IS NOT DISTINCT FROM $7
            """);
        command.Parameters.AddWithValue(legacy.Id);
        command.Parameters.AddWithValue(target);
        command.Parameters.Add(Text(targetProtected));
        command.Parameters.Add(Text(secretProtected));
        command.Parameters.Add(Text(secretHint));
        command.Parameters.AddWithValue(legacy.Target);
        command.Parameters.Add(Text(legacy.Secret));
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    private static NpgsqlParameter Text(string? value) => new() { Value = (object?)value ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text };

    public async Task<IReadOnlyList<NotificationSubscription>> ListAsync(Guid projectId, CancellationToken cancellationToken)
    {
        await using var command = database.DataSource.CreateCommand($"SELECT {Columns} FROM notification_subscriptions WHERE project_id = $1 ORDER BY created_at, id");
        command.Parameters.AddWithValue(projectId);
        return await ReadSubscriptionsAsync(command, cancellationToken);
    }

    public async Task<bool> DeleteAsync(Guid projectId, Guid id, CancellationToken cancellationToken)
    {
        await using var command = database.DataSource.CreateCommand("DELETE FROM notification_subscriptions WHERE project_id = $1 AND id = $2");
        command.Parameters.AddWithValue(projectId);
        command.Parameters.AddWithValue(id);
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    /// <summary>Turns a disabled target back on (its failure count starts again).</summary>
    public async Task<bool> EnableAsync(Guid projectId, Guid id, CancellationToken cancellationToken)
    {
        await using var command = database.DataSource.CreateCommand("""
            UPDATE notification_subscriptions SET enabled = true, consecutive_failures = 0, disabled_reason = NULL WHERE project_id = $1 AND id = $2
            """);
        command.Parameters.AddWithValue(projectId);
        command.Parameters.AddWithValue(id);
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    /// <summary>The newest deliveries of a subscription with every attempt.</summary>
    public async Task<IReadOnlyList<NotificationDelivery>?> DeliveriesAsync(Guid projectId, Guid id, int limit, CancellationToken cancellationToken)
    {
        await using var command = database.DataSource.CreateCommand("""
            SELECT o.id, o.event, o.status, o.attempts, o.occurred_at, o.created_at, o.delivered_at, o.last_error,
                   coalesce((SELECT jsonb_agg(jsonb_build_array(a.attempt, a.at, a.succeeded, a.status_code, a.error, a.duration_ms) ORDER BY a.id)
                             FROM notification_attempts a WHERE a.outbox_id = o.id), '[]')::text
            FROM notification_subscriptions s LEFT JOIN notification_outbox o ON o.subscription_id = s.id
            WHERE s.project_id = $1 AND s.id = $2
            ORDER BY o.created_at DESC NULLS LAST LIMIT $3
            """);
        command.Parameters.AddWithValue(projectId);
        command.Parameters.AddWithValue(id);
        command.Parameters.AddWithValue(limit);
        var items = new List<NotificationDelivery>();
        var found = false;
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            found = true;
            if (reader.IsDBNull(0))
            {
                continue;
            }

            var attempts = System.Text.Json.JsonDocument.Parse(reader.GetString(8)).RootElement.EnumerateArray().Select(a => new NotificationAttempt(
                a[0].GetInt32(), a[1].GetDateTimeOffset(), a[2].GetBoolean(), a[3].ValueKind == System.Text.Json.JsonValueKind.Null ? null : a[3].GetInt32(),
                a[4].ValueKind == System.Text.Json.JsonValueKind.Null ? null : a[4].GetString(), a[5].GetDouble())).ToList();
            items.Add(new NotificationDelivery(reader.GetGuid(0), reader.GetString(1), reader.GetString(2), reader.GetInt32(3),
                reader.GetFieldValue<DateTimeOffset>(4), reader.GetFieldValue<DateTimeOffset>(5),
                reader.IsDBNull(6) ? null : reader.GetFieldValue<DateTimeOffset>(6), reader.IsDBNull(7) ? null : reader.GetString(7), attempts));
        }

        return found ? items : null;
    }

    private static async Task<IReadOnlyList<NotificationSubscription>> ReadSubscriptionsAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        var items = new List<NotificationSubscription>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            items.Add(new NotificationSubscription(reader.GetGuid(0), reader.GetGuid(1), reader.GetString(2), reader.GetString(3),
                reader.GetFieldValue<string[]>(4), reader.GetBoolean(5), reader.GetInt32(6), reader.IsDBNull(7) ? null : reader.GetString(7),
                reader.GetFieldValue<DateTimeOffset>(8), reader.IsDBNull(9) ? null : reader.GetString(9)));
        }

        return items;
    }
}
