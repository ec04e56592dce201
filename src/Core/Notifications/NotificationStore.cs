using DevMentor.Core.Data;
using Npgsql;

namespace DevMentor.Core.Notifications;

/// <summary>The SQL of notifications: subscriptions, event detection into the outbox, claiming and recording attempts.</summary>
public sealed partial class NotificationStore(Database database)
{
    // Run events: failed (or timed out), and fixed (succeeded after the branch's previous finished run failed).
    private const string DetectRuns = """
        WITH w AS (
            SELECT least(coalesce((SELECT changed_through FROM notification_watermarks WHERE source = 'runs'), '-infinity'),
                         now() - make_interval(secs => $1)) AS low
        ), found AS (
            SELECT r.*, CASE
                WHEN r.status IN ('failed', 'timed_out') THEN 'run.failed'
                WHEN r.status = 'succeeded' AND (
                    SELECT p.status FROM pipeline_runs p
                    WHERE p.project_id = r.project_id AND p.branch IS NOT DISTINCT FROM r.branch AND p.finished_at < r.finished_at
                    ORDER BY p.finished_at DESC LIMIT 1) IN ('failed', 'timed_out') THEN 'run.fixed' END AS event
            FROM pipeline_runs r, w WHERE r.finished_at > w.low
        ), moved AS (
            INSERT INTO notification_watermarks (source, changed_through)
            SELECT 'runs', max(finished_at) FROM found HAVING max(finished_at) IS NOT NULL
            ON CONFLICT (source) DO UPDATE SET changed_through = greatest(notification_watermarks.changed_through, excluded.changed_through)
        )
        INSERT INTO notification_outbox (id, subscription_id, event_key, event, occurred_at, payload)
        SELECT gen_random_uuid(), s.id, f.event || ':' || f.id, f.event, f.finished_at, jsonb_build_object(
            'event', f.event, 'occurredAt', f.finished_at,
            'project', jsonb_build_object('id', pj.id, 'slug', pj.slug, 'name', pj.name),
            'run', jsonb_build_object('id', f.id, 'number', f.number, 'status', f.status, 'trigger', f.trigger,
                                      'branch', f.branch, 'commit', f.commit_sha, 'finishedAt', f.finished_at))
        FROM found f
        JOIN projects pj ON pj.id = f.project_id
        JOIN notification_subscriptions s ON s.project_id = f.project_id AND s.enabled AND f.event = ANY (s.events) AND f.finished_at >= s.created_at
        WHERE f.event IS NOT NULL
        ON CONFLICT (subscription_id, event_key) DO NOTHING
        """;

    private const string DetectDeployments = """
        WITH w AS (
            SELECT least(coalesce((SELECT changed_through FROM notification_watermarks WHERE source = 'deployments'), '-infinity'),
                         now() - make_interval(secs => $1)) AS low
        ), found AS (
            SELECT d.*, CASE
                WHEN d.status = 'failed' THEN 'deployment.failed'
                WHEN d.status IN ('current', 'superseded', 'stopped') AND d.trigger = 'rollback' THEN 'deployment.rolled_back'
                WHEN d.status IN ('current', 'superseded', 'stopped') THEN 'deployment.succeeded' END AS event
            FROM deployments d, w WHERE d.finished_at > w.low
        ), moved AS (
            INSERT INTO notification_watermarks (source, changed_through)
            SELECT 'deployments', max(finished_at) FROM found HAVING max(finished_at) IS NOT NULL
            ON CONFLICT (source) DO UPDATE SET changed_through = greatest(notification_watermarks.changed_through, excluded.changed_through)
        )
        INSERT INTO notification_outbox (id, subscription_id, event_key, event, occurred_at, payload)
        SELECT gen_random_uuid(), s.id, f.event || ':' || f.id, f.event, f.finished_at, jsonb_build_object(
            'event', f.event, 'occurredAt', f.finished_at,
            'project', jsonb_build_object('id', pj.id, 'slug', pj.slug, 'name', pj.name),
            'deployment', jsonb_build_object('id', f.id, 'environment', f.environment, 'status', f.status, 'trigger', f.trigger,
                                             'runId', f.run_id, 'runNumber', f.run_number, 'rollbackOf', f.rollback_of,
                                             'url', f.url, 'error', f.error, 'finishedAt', f.finished_at))
        FROM found f
        JOIN projects pj ON pj.id = f.project_id
        JOIN notification_subscriptions s ON s.project_id = f.project_id AND s.enabled AND f.event = ANY (s.events) AND f.finished_at >= s.created_at
        WHERE f.event IS NOT NULL
        ON CONFLICT (subscription_id, event_key) DO NOTHING
        """;

    // Task assigned: one row per assignee a task gained, written by the trigger of migration 0024.
    private const string DetectTaskAssignments = """
        WITH w AS (
            SELECT least(coalesce((SELECT changed_through FROM notification_watermarks WHERE source = 'task_assignments'), '-infinity'),
                         now() - make_interval(secs => $1)) AS low
        ), found AS (
            SELECT a.* FROM notification_task_assignments a, w WHERE a.at > w.low
        ), moved AS (
            INSERT INTO notification_watermarks (source, changed_through)
            SELECT 'task_assignments', max(at) FROM found HAVING max(at) IS NOT NULL
            ON CONFLICT (source) DO UPDATE SET changed_through = greatest(notification_watermarks.changed_through, excluded.changed_through)
        )
        INSERT INTO notification_outbox (id, subscription_id, event_key, event, occurred_at, payload)
        SELECT gen_random_uuid(), s.id, 'task.assigned:' || f.id, 'task.assigned', f.at, jsonb_build_object(
            'event', 'task.assigned', 'occurredAt', f.at,
            'project', jsonb_build_object('id', pj.id, 'slug', pj.slug, 'name', pj.name),
            'task', jsonb_build_object('id', f.task_id, 'number', f.number, 'title', f.title, 'assignee', f.assignee))
        FROM found f
        JOIN projects pj ON pj.id = f.project_id
        JOIN notification_subscriptions s ON s.project_id = f.project_id AND s.enabled AND 'task.assigned' = ANY (s.events) AND f.at >= s.created_at
        ON CONFLICT (subscription_id, event_key) DO NOTHING
        """;

    // Approval needed: a run started waiting for a deployment approval (pipeline_approvals, issue 13).
    private const string DetectApprovals = """
        WITH w AS (
            SELECT least(coalesce((SELECT changed_through FROM notification_watermarks WHERE source = 'approvals'), '-infinity'),
                         now() - make_interval(secs => $1)) AS low
        ), found AS (
            SELECT a.*, r.project_id, r.number, r.branch, r.commit_sha FROM pipeline_approvals a JOIN pipeline_runs r ON r.id = a.run_id, w
            WHERE a.requested_at > w.low
        ), moved AS (
            INSERT INTO notification_watermarks (source, changed_through)
            SELECT 'approvals', max(requested_at) FROM found HAVING max(requested_at) IS NOT NULL
            ON CONFLICT (source) DO UPDATE SET changed_through = greatest(notification_watermarks.changed_through, excluded.changed_through)
        )
        INSERT INTO notification_outbox (id, subscription_id, event_key, event, occurred_at, payload)
        SELECT gen_random_uuid(), s.id, 'approval.needed:' || f.run_id || ':' || f.environment, 'approval.needed', f.requested_at, jsonb_build_object(
            'event', 'approval.needed', 'occurredAt', f.requested_at,
            'project', jsonb_build_object('id', pj.id, 'slug', pj.slug, 'name', pj.name),
            'run', jsonb_build_object('id', f.run_id, 'number', f.number, 'branch', f.branch, 'commit', f.commit_sha),
            'approval', jsonb_build_object('environment', f.environment, 'approvers', to_jsonb(f.approvers), 'expiresAt', f.expires_at,
                                           'approveUri', '/projects/' || pj.id || '/builds/' || f.run_id || '/approve'))
        FROM found f
        JOIN projects pj ON pj.id = f.project_id
        JOIN notification_subscriptions s ON s.project_id = f.project_id AND s.enabled AND 'approval.needed' = ANY (s.events) AND f.requested_at >= s.created_at
        ON CONFLICT (subscription_id, event_key) DO NOTHING
        """;

    /// <summary>Writes an outbox row per enabled subscription for each new event; returns how many.</summary>
    public async Task<int> DetectAsync(TimeSpan lookback, CancellationToken cancellationToken)
    {
        var written = 0;
        foreach (var sql in new[] { DetectRuns, DetectDeployments, DetectTaskAssignments, DetectApprovals })
        {
            await using var command = database.DataSource.CreateCommand(sql);
            command.Parameters.AddWithValue(lookback.TotalSeconds);
            written += await command.ExecuteNonQueryAsync(cancellationToken);
        }

        return written;
    }

    /// <summary>Leases up to <paramref name="limit"/> due rows of enabled subscriptions and counts the attempt.</summary>
    public async Task<IReadOnlyList<ClaimedNotification>> ClaimDueAsync(int limit, TimeSpan lease, CancellationToken cancellationToken)
    {
        await using var command = database.DataSource.CreateCommand("""
            WITH due AS (
                SELECT o2.id FROM notification_outbox o2 JOIN notification_subscriptions s2 ON s2.id = o2.subscription_id
                WHERE o2.status = 'pending' AND o2.next_attempt_at <= now() AND (o2.lease_until IS NULL OR o2.lease_until < now()) AND s2.enabled
                ORDER BY o2.next_attempt_at LIMIT $1
                FOR UPDATE OF o2 SKIP LOCKED
            )
            UPDATE notification_outbox o SET lease_until = now() + make_interval(secs => $2), attempts = o.attempts + 1
            FROM due, notification_subscriptions s
            WHERE o.id = due.id AND s.id = o.subscription_id
            RETURNING o.id, o.attempts, o.event, o.payload::text, s.id, s.kind, s.target, s.secret, s.project_id, s.target_protected, s.secret_protected
            """);
        command.Parameters.AddWithValue(limit);
        command.Parameters.AddWithValue(lease.TotalSeconds);
        var claimed = new List<ClaimedNotification>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            claimed.Add(new ClaimedNotification(reader.GetGuid(0), reader.GetInt32(1), reader.GetString(2), reader.GetString(3), reader.GetGuid(4),
                reader.GetString(5), reader.GetString(6), reader.IsDBNull(7) ? null : reader.GetString(7), reader.GetGuid(8),
                reader.IsDBNull(9) ? null : reader.GetString(9), reader.IsDBNull(10) ? null : reader.GetString(10)));
        }

        return claimed;
    }

    /// <summary>Records an attempt; on failure schedules the next one (or gives up) and disables a target that keeps failing.</summary>
    /// <returns>True when this attempt disabled the subscription.</returns>
    public async Task<bool> RecordAsync(ClaimedNotification claimed, SendResult result, double durationMs, NotificationOptions options, CancellationToken cancellationToken)
    {
        await using var connection = await database.DataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var attempt = new NpgsqlCommand("""
            INSERT INTO notification_attempts (outbox_id, attempt, succeeded, status_code, error, duration_ms) VALUES ($1, $2, $3, $4, $5, $6)
            """, connection, transaction))
        {
            attempt.Parameters.AddWithValue(claimed.Id);
            attempt.Parameters.AddWithValue(claimed.Attempt);
            attempt.Parameters.AddWithValue(result.Succeeded);
            attempt.Parameters.Add(new NpgsqlParameter { Value = (object?)result.StatusCode ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Integer });
            attempt.Parameters.Add(new NpgsqlParameter { Value = (object?)result.Error ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
            attempt.Parameters.AddWithValue(durationMs);
            await attempt.ExecuteNonQueryAsync(cancellationToken);
        }

        var delay = Backoff(claimed.Attempt, options);
        await using (var outbox = new NpgsqlCommand("""
            UPDATE notification_outbox SET lease_until = NULL,
                status = CASE WHEN $2 THEN 'delivered' WHEN attempts >= $3 THEN 'failed' ELSE 'pending' END,
                delivered_at = CASE WHEN $2 THEN now() END,
                last_error = CASE WHEN $2 THEN NULL ELSE $4 END,
                next_attempt_at = CASE WHEN $2 THEN next_attempt_at ELSE now() + make_interval(secs => $5) END
            WHERE id = $1 AND attempts = $6
            """, connection, transaction))
        {
            outbox.Parameters.AddWithValue(claimed.Id);
            outbox.Parameters.AddWithValue(result.Succeeded);
            outbox.Parameters.AddWithValue(options.MaxAttempts);
            outbox.Parameters.Add(new NpgsqlParameter { Value = (object?)result.Error ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
            outbox.Parameters.AddWithValue(delay.TotalSeconds);
            outbox.Parameters.AddWithValue(claimed.Attempt);
            await outbox.ExecuteNonQueryAsync(cancellationToken);
        }

        bool disabled;
        await using (var subscription = new NpgsqlCommand("""
            UPDATE notification_subscriptions SET
                consecutive_failures = CASE WHEN $2 THEN 0 ELSE consecutive_failures + 1 END,
                enabled = CASE WHEN NOT $2 AND consecutive_failures + 1 >= $3 THEN false ELSE enabled END,
                disabled_reason = CASE WHEN NOT $2 AND consecutive_failures + 1 >= $3 AND enabled
                                       THEN $3 || ' deliveries failed in a row; the last: ' || coalesce($4, 'unknown') ELSE disabled_reason END
            WHERE id = $1
            RETURNING enabled = false AND NOT $2 AND consecutive_failures = $3
            """, connection, transaction))
        {
            subscription.Parameters.AddWithValue(claimed.SubscriptionId);
            subscription.Parameters.AddWithValue(result.Succeeded);
            subscription.Parameters.AddWithValue(options.DisableAfterFailures);
            subscription.Parameters.Add(new NpgsqlParameter { Value = (object?)result.Error ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
            disabled = await subscription.ExecuteScalarAsync(cancellationToken) is true;
        }

        await transaction.CommitAsync(cancellationToken);
        return disabled;
    }

    /// <summary>First delay, doubled per attempt, capped.</summary>
    public static TimeSpan Backoff(int attempt, NotificationOptions options)
    {
        var factor = Math.Pow(2, Math.Min(attempt - 1, 30));
        return TimeSpan.FromMilliseconds(Math.Min(options.FirstRetryDelay.TotalMilliseconds * factor, options.MaxRetryDelay.TotalMilliseconds));
    }
}
