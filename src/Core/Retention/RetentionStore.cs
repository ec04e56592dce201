using DevMentor.Core.Data;
using Npgsql;

namespace DevMentor.Core.Retention;

/// <summary>
/// The SQL of retention. Each due set is chosen with the project's own days or the platform default
/// ($1.. parameters); an archived project's runs and artifacts are due once its archive is older than
/// the same retention. Rollup tables are never touched.
/// </summary>
public sealed class RetentionStore(Database database)
{
    private const string Effective = """
        LEFT JOIN project_retention pr ON pr.project_id = r.project_id
        LEFT JOIN projects p ON p.id = r.project_id
        """;

    /// <summary>Finished runs whose step logs are due and not purged yet.</summary>
    public Task<IReadOnlyList<Guid>> RunsWithDueLogsAsync(RetentionOptions o, CancellationToken cancellationToken) => GuidsAsync($"""
        SELECT r.id FROM pipeline_runs r {Effective}
        WHERE r.finished_at IS NOT NULL
          AND NOT EXISTS (SELECT 1 FROM retention_purged_logs l WHERE l.run_id = r.id)
          AND (r.finished_at < now() - make_interval(days => coalesce(pr.step_logs_days, $1))
               OR p.archived_at < now() - make_interval(days => coalesce(pr.step_logs_days, $1)))
        ORDER BY r.finished_at LIMIT $2
        """, o.StepLogsDays, o.BatchSize, cancellationToken);

    public async Task MarkLogsPurgedAsync(Guid runId, CancellationToken cancellationToken)
    {
        await using var command = database.DataSource.CreateCommand("""
            DELETE FROM pipeline_step_logs WHERE step_id IN (SELECT id FROM pipeline_steps WHERE run_id = $1)
            """);
        command.Parameters.AddWithValue(runId);
        await command.ExecuteNonQueryAsync(cancellationToken);
        await using var mark = database.DataSource.CreateCommand("INSERT INTO retention_purged_logs (run_id) VALUES ($1) ON CONFLICT DO NOTHING");
        mark.Parameters.AddWithValue(runId);
        await mark.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Deletes due artifact rows; returns the SHA-256s they pointed at.</summary>
    public async Task<IReadOnlyList<string>> DeleteDueArtifactsAsync(RetentionOptions o, CancellationToken cancellationToken)
    {
        await using var command = database.DataSource.CreateCommand($"""
            WITH due AS (
                SELECT r.run_id, r.name FROM build_artifacts r {Effective}
                WHERE r.created_at < now() - make_interval(days => coalesce(pr.artifacts_days, $1))
                   OR p.archived_at < now() - make_interval(days => coalesce(pr.artifacts_days, $1))
                LIMIT $2
            )
            DELETE FROM build_artifacts a USING due WHERE a.run_id = due.run_id AND a.name = due.name
            RETURNING a.sha256
            """);
        command.Parameters.AddWithValue(o.ArtifactsDays);
        command.Parameters.AddWithValue(o.BatchSize);
        return await StringsAsync(command, cancellationToken);
    }

    /// <summary>Of <paramref name="sha256s"/>, those no artifact row points at any more (their blobs may go).</summary>
    public async Task<IReadOnlyList<string>> UnreferencedAsync(IReadOnlyList<string> sha256s, CancellationToken cancellationToken)
    {
        await using var command = database.DataSource.CreateCommand("""
            SELECT DISTINCT s FROM unnest($1::text[]) s WHERE NOT EXISTS (SELECT 1 FROM build_artifacts a WHERE a.sha256 = s)
            """);
        command.Parameters.AddWithValue(sha256s.Distinct().ToArray());
        return await StringsAsync(command, cancellationToken);
    }

    /// <summary>
    /// Finished runs past their history retention. Runs a deployment points at stay (deployment
    /// history and rollback targets are kept); a later retry of a purged run loses only its link.
    /// </summary>
    public Task<IReadOnlyList<Guid>> DueRunsAsync(RetentionOptions o, CancellationToken cancellationToken) => GuidsAsync($"""
        SELECT r.id FROM pipeline_runs r {Effective}
        WHERE r.finished_at IS NOT NULL
          AND (r.finished_at < now() - make_interval(days => coalesce(pr.run_history_days, $1))
               OR p.archived_at < now() - make_interval(days => coalesce(pr.run_history_days, $1)))
          AND NOT EXISTS (SELECT 1 FROM deployments d WHERE d.run_id = r.id)
        ORDER BY r.finished_at LIMIT $2
        """, o.RunHistoryDays, o.BatchSize, cancellationToken);

    /// <summary>Deletes runs (their steps, events, results and artifact rows go with them); returns the artifacts' SHA-256s.</summary>
    public async Task<IReadOnlyList<string>> DeleteRunsAsync(IReadOnlyList<Guid> runs, CancellationToken cancellationToken)
    {
        await using var connection = await database.DataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var ids = runs.ToArray();
        await using (var unlink = new NpgsqlCommand("UPDATE pipeline_runs SET retry_of = NULL WHERE retry_of = ANY($1)", connection, transaction))
        {
            unlink.Parameters.AddWithValue(ids);
            await unlink.ExecuteNonQueryAsync(cancellationToken);
        }

        IReadOnlyList<string> shas;
        await using (var artifacts = new NpgsqlCommand("SELECT sha256 FROM build_artifacts WHERE run_id = ANY($1)", connection, transaction))
        {
            artifacts.Parameters.AddWithValue(ids);
            shas = await StringsAsync(artifacts, cancellationToken);
        }

        await using (var delete = new NpgsqlCommand("DELETE FROM pipeline_runs WHERE id = ANY($1)", connection, transaction))
        {
            delete.Parameters.AddWithValue(ids);
            await delete.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        return shas;
    }

    /// <summary>
    /// Finished webhook deliveries past retention: deleted, or (when a recorded push still points at
    /// one, which lead time reads) emptied of headers and payload.
    /// </summary>
    public async Task<int> PurgeWebhookDeliveriesAsync(RetentionOptions o, CancellationToken cancellationToken)
    {
        await using var command = database.DataSource.CreateCommand("""
            WITH due AS (
                SELECT w.id, EXISTS (SELECT 1 FROM repository_pushes rp WHERE rp.delivery_id = w.id) AS referenced
                FROM webhook_deliveries w LEFT JOIN project_retention pr ON pr.project_id = w.project_id
                WHERE w.status NOT IN ('received', 'processing')
                  AND w.received_at < now() - make_interval(days => coalesce(pr.webhook_deliveries_days, $1))
                  AND (octet_length(w.payload) > 0 OR NOT EXISTS (SELECT 1 FROM repository_pushes rp WHERE rp.delivery_id = w.id))
                LIMIT $2
            ), deleted AS (
                DELETE FROM webhook_deliveries w USING due WHERE w.id = due.id AND NOT due.referenced RETURNING 1
            ), emptied AS (
                UPDATE webhook_deliveries w SET payload = '', headers = '{}' FROM due WHERE w.id = due.id AND due.referenced RETURNING 1
            )
            SELECT (SELECT count(*) FROM deleted) + (SELECT count(*) FROM emptied)
            """);
        command.Parameters.AddWithValue(o.WebhookDeliveriesDays);
        command.Parameters.AddWithValue(o.BatchSize);
        return (int)(long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    public async Task<int> PurgeUsageEventsAsync(RetentionOptions o, CancellationToken cancellationToken)
    {
        await using var command = database.DataSource.CreateCommand("""
            DELETE FROM usage_events WHERE id IN (
                SELECT id FROM usage_events WHERE at < now() - make_interval(days => $1) ORDER BY at LIMIT $2 * 100)
            """);
        command.Parameters.AddWithValue(o.UsageEventsDays);
        command.Parameters.AddWithValue(o.BatchSize);
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<ProjectRetention> GetAsync(Guid projectId, CancellationToken cancellationToken)
    {
        await using var command = database.DataSource.CreateCommand(
            "SELECT step_logs_days, artifacts_days, run_history_days, webhook_deliveries_days FROM project_retention WHERE project_id = $1");
        command.Parameters.AddWithValue(projectId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken)
            ? new ProjectRetention(Int(reader, 0), Int(reader, 1), Int(reader, 2), Int(reader, 3))
            : new ProjectRetention(null, null, null, null);
    }

    public async Task SetAsync(Guid projectId, ProjectRetention retention, CancellationToken cancellationToken)
    {
        await using var command = database.DataSource.CreateCommand("""
            INSERT INTO project_retention (project_id, step_logs_days, artifacts_days, run_history_days, webhook_deliveries_days)
            VALUES ($1, $2, $3, $4, $5)
            ON CONFLICT (project_id) DO UPDATE SET step_logs_days = $2, artifacts_days = $3, run_history_days = $4,
                webhook_deliveries_days = $5, updated_at = now()
            """);
        command.Parameters.AddWithValue(projectId);
        foreach (var days in new[] { retention.StepLogsDays, retention.ArtifactsDays, retention.RunHistoryDays, retention.WebhookDeliveriesDays })
        {
            command.Parameters.Add(new NpgsqlParameter { Value = (object?)days ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Integer });
        }

        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static int? Int(NpgsqlDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetInt32(ordinal);

    private async Task<IReadOnlyList<Guid>> GuidsAsync(string sql, int days, int limit, CancellationToken cancellationToken)
    {
        await using var command = database.DataSource.CreateCommand(sql);
        command.Parameters.AddWithValue(days);
        command.Parameters.AddWithValue(limit);
        var ids = new List<Guid>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            ids.Add(reader.GetGuid(0));
        }

        return ids;
    }

    private static async Task<IReadOnlyList<string>> StringsAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        var values = new List<string>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            values.Add(reader.GetString(0));
        }

        return values;
    }
}
