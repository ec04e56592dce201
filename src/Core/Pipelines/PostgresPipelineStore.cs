using System.Text.Json;
using DevMentor.Core.Data;
using DevMentor.Core.Pipelines.Orchestration;
using Npgsql;
using NpgsqlTypes;

namespace DevMentor.Core.Pipelines;

/// <summary>
/// Runs and steps in PostgreSQL. Lock order, everywhere: the run row (FOR NO KEY UPDATE, which
/// leaves the key-share locks of event inserts alone), then its step rows, then the promotion
/// advisory lock. Claims lock only a step row (SKIP LOCKED) and never the run, so no claim can
/// deadlock with a completion or a cancel.
/// </summary>
public sealed partial class PostgresPipelineStore(Database database, PipelineOptions options) : IPipelineStore
{
    // Serialises promotion of queued runs so the per-project and global limits hold.
    private const long PromotionLockKey = 0x5049_5045_4C49_4E45;

    public async Task<(StartedRun Run, bool StepQueued)> StartRunAsync(StartRunRequest request, PipelineDefinition definition, string requestHash, CancellationToken cancellationToken)
    {
        await using var connection = await database.DataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);

        var scope = $"pipelines:start:{request.ProjectId}";
        if (request.IdempotencyKey is { } key)
        {
            await using var claim = new NpgsqlCommand("""
                INSERT INTO idempotency_keys (scope, key, request_hash, expires_at)
                VALUES ($1, $2, $3, now() + interval '24 hours')
                ON CONFLICT (scope, key) DO NOTHING
                """, connection, transaction);
            claim.Parameters.AddWithValue(scope);
            claim.Parameters.AddWithValue(key);
            claim.Parameters.AddWithValue(requestHash);
            if (await claim.ExecuteNonQueryAsync(cancellationToken) == 0)
            {
                var existing = await ReplayAsync(connection, transaction, scope, key, requestHash, cancellationToken);
                await transaction.CommitAsync(cancellationToken);
                return (existing, false);
            }
        }

        var runId = Guid.CreateVersion7();
        int number;
        await using (var insert = new NpgsqlCommand("""
            WITH n AS (
                INSERT INTO pipeline_run_counters (project_id, last_number) VALUES ($2, 1)
                ON CONFLICT (project_id) DO UPDATE SET last_number = pipeline_run_counters.last_number + 1
                RETURNING last_number)
            INSERT INTO pipeline_runs (id, project_id, number, status, trigger, branch, commit_sha, deploy, environment, definition, retry_of)
            SELECT $1, $2, n.last_number, 'queued', $3, $4, $5, $6, $7, $8, $9 FROM n
            RETURNING number
            """, connection, transaction))
        {
            insert.Parameters.AddWithValue(runId);
            insert.Parameters.AddWithValue(request.ProjectId);
            insert.Parameters.AddWithValue(request.Trigger);
            insert.Parameters.AddWithValue((object?)request.Branch ?? DBNull.Value);
            insert.Parameters.AddWithValue((object?)request.Commit ?? DBNull.Value);
            insert.Parameters.AddWithValue(request.Deploy);
            insert.Parameters.AddWithValue((object?)request.Environment ?? DBNull.Value);
            insert.Parameters.Add(new NpgsqlParameter { Value = JsonSerializer.Serialize(definition, PipelineJsonContext.Default.PipelineDefinition), NpgsqlDbType = NpgsqlDbType.Jsonb });
            insert.Parameters.AddWithValue((object?)request.RetryOf ?? DBNull.Value);
            number = (int)(await insert.ExecuteScalarAsync(cancellationToken))!;
        }

        await using (var batch = new NpgsqlBatch(connection, transaction))
        {
            for (var position = 0; position < definition.Steps.Count; position++)
            {
                var step = definition.Steps[position];
                var command = new NpgsqlBatchCommand("""
                    INSERT INTO pipeline_steps (id, run_id, position, name, status, max_attempts, retry_first_ms, retry_factor, timeout_seconds, requires)
                    VALUES ($1, $2, $3, $4, 'pending', $5, $6, $7, $8, $9)
                    """);
                command.Parameters.AddWithValue(Guid.CreateVersion7());
                command.Parameters.AddWithValue(runId);
                command.Parameters.AddWithValue(position);
                command.Parameters.AddWithValue(step.Name);
                command.Parameters.AddWithValue(step.Retry?.MaxAttempts ?? options.DefaultMaxAttempts);
                command.Parameters.AddWithValue((int)((step.Retry?.FirstDelaySeconds * 1000) ?? options.DefaultFirstRetryDelay.TotalMilliseconds));
                command.Parameters.AddWithValue(step.Retry?.Factor ?? options.DefaultRetryFactor);
                command.Parameters.AddWithValue(step.TimeoutSeconds ?? (int)Math.Ceiling(options.DefaultStepTimeout.TotalSeconds));
                command.Parameters.AddWithValue((step.Requires ?? []).ToArray());
                batch.BatchCommands.Add(command);
            }

            batch.BatchCommands.Add(Event(runId, "run.queued", null, EventData.Of(("trigger", request.Trigger), ("branch", request.Branch), ("commit", request.Commit), ("retryOf", request.RetryOf), ("label", request.Label))));
            batch.BatchCommands.Add(Outbox(runId, "start", "run", null));
            if (request.IdempotencyKey is { } idempotencyKey)
            {
                var record = new NpgsqlBatchCommand("UPDATE idempotency_keys SET status_code = 202, response_body = $3 WHERE scope = $1 AND key = $2");
                record.Parameters.AddWithValue(scope);
                record.Parameters.AddWithValue(idempotencyKey);
                record.Parameters.AddWithValue(runId.ToString());
                batch.BatchCommands.Add(record);
            }

            await batch.ExecuteNonQueryAsync(cancellationToken);
        }

        await PromoteAsync(connection, transaction, cancellationToken);
        var status = await ScalarAsync<string>(connection, transaction, "SELECT status FROM pipeline_runs WHERE id = $1", cancellationToken, runId);
        await transaction.CommitAsync(cancellationToken);
        return (new StartedRun(runId, request.ProjectId, number, PipelineStatusNames.ParseRun(status!), Replayed: false), true);
    }

    private static async Task<StartedRun> ReplayAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string scope, string key, string requestHash, CancellationToken cancellationToken)
    {
        await using var read = new NpgsqlCommand("""
            SELECT k.request_hash, r.id, r.project_id, r.number, r.status
            FROM idempotency_keys k LEFT JOIN pipeline_runs r ON r.id::text = k.response_body
            WHERE k.scope = $1 AND k.key = $2
            """, connection, transaction);
        read.Parameters.AddWithValue(scope);
        read.Parameters.AddWithValue(key);
        await using var reader = await read.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken) || reader.IsDBNull(1))
        {
            throw new IdempotencyConflictException("A request with this Idempotency-Key is still being processed.");
        }

        if (reader.GetString(0) != requestHash)
        {
            throw new IdempotencyConflictException("This Idempotency-Key was already used with a different request.");
        }

        return new StartedRun(reader.GetGuid(1), reader.GetGuid(2), reader.GetInt32(3), PipelineStatusNames.ParseRun(reader.GetString(4)), Replayed: true);
    }

    private static async Task RollbackAsync(NpgsqlConnection connection)
    {
        if (connection.State != System.Data.ConnectionState.Open)
        {
            return;
        }

        try
        {
            await using var rollback = new NpgsqlCommand("ROLLBACK", connection);
            await rollback.ExecuteNonQueryAsync(CancellationToken.None);
        }
        catch (NpgsqlException)
        {
            // The connection is broken; the server rolls the transaction back when it goes.
        }
    }

    /// <summary>Ends a run: its waiting steps are skipped, the run gets its final status and event.</summary>
    private static NpgsqlBatchCommand FinishRun(Guid runId, RunStatus status, string? reason)
    {
        var command = new NpgsqlBatchCommand("""
            WITH skipped AS (
                UPDATE pipeline_steps SET status = 'skipped', finished_at = now(), due_at = NULL
                WHERE run_id = $1 AND status IN ('pending', 'queued')
                RETURNING name, position),
            run AS (
                UPDATE pipeline_runs SET status = $2, finished_at = now(), progressed_at = now() WHERE id = $1 RETURNING id)
            INSERT INTO pipeline_run_events (run_id, type, step, data)
            SELECT $1, type, step, data FROM (
                SELECT 0 AS ord, position, 'step.skipped' AS type, name AS step, NULL::jsonb AS data FROM skipped
                UNION ALL
                SELECT 1, 0, 'run.' || $2, NULL, CASE WHEN $3::text IS NULL THEN NULL ELSE jsonb_build_object('reason', $3::text) END) e
            ORDER BY ord, position
            """);
        command.Parameters.AddWithValue(runId);
        command.Parameters.AddWithValue(status.ToWire());
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)reason ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        return command;
    }

    private static NpgsqlBatchCommand Event(Guid runId, string type, string? step, string? data)
    {
        var command = new NpgsqlBatchCommand("INSERT INTO pipeline_run_events (run_id, type, step, data) VALUES ($1, $2, $3, $4)");
        command.Parameters.AddWithValue(runId);
        command.Parameters.AddWithValue(type);
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)step ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)data ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Jsonb });
        return command;
    }

    public async Task<(CancelResult Result, bool StepQueued)> CancelAsync(Guid projectId, Guid runId, string? by, CancellationToken cancellationToken)
    {
        await using var connection = await database.DataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var current = await ScalarAsync<string>(connection, transaction,
            "SELECT status FROM pipeline_runs WHERE id = $1 AND project_id = $2 FOR NO KEY UPDATE", cancellationToken, runId, projectId);
        if (current is null)
        {
            return (CancelResult.NotFound, false);
        }

        var status = PipelineStatusNames.ParseRun(current);
        if (status.IsTerminal())
        {
            return (CancelResult.AlreadyFinished, false);
        }

        // The running step is marked canceled at once (lease owner and attempt kept): its runner
        // hears "cancel" at its next heartbeat and kills the process tree.
        await using (var cancel = new NpgsqlCommand("""
            WITH steps AS (
                UPDATE pipeline_steps SET status = 'canceled', finished_at = now(), due_at = NULL, lease_expires_at = NULL
                WHERE run_id = $1 AND status IN ('pending', 'queued', 'running')
                RETURNING name, position),
            run AS (
                UPDATE pipeline_runs SET status = 'canceled', finished_at = now(), progressed_at = now() WHERE id = $1 RETURNING id),
            approvals AS (
                UPDATE pipeline_approvals SET status = 'canceled', decided_at = now() WHERE run_id = $1 AND status = 'waiting')
            INSERT INTO pipeline_run_events (run_id, type, step, data)
            SELECT $1, type, step, data FROM (
                SELECT 0 AS ord, position, 'step.canceled' AS type, name AS step, NULL::jsonb AS data FROM steps
                UNION ALL SELECT 1, 0, 'run.canceled', NULL, CASE WHEN $2::text IS NULL THEN NULL ELSE jsonb_build_object('by', $2::text) END) e
            ORDER BY ord, position
            """, connection, transaction))
        {
            cancel.Parameters.AddWithValue(runId);
            cancel.Parameters.Add(new NpgsqlParameter { Value = (object?)by ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
            await cancel.ExecuteNonQueryAsync(cancellationToken);
        }

        await using (var batch = new NpgsqlBatch(connection, transaction) { BatchCommands = { Outbox(runId, "event", RunTasks.CancelEvent, by is null ? null : JsonSerializer.Serialize(by, PipelineJsonContext.Default.String)) } })
        {
            await batch.ExecuteNonQueryAsync(cancellationToken);
        }

        var promoted = status == RunStatus.Running ? await PromoteAsync(connection, transaction, cancellationToken) : 0;
        await transaction.CommitAsync(cancellationToken);
        return (CancelResult.Canceled, promoted > 0);
    }

    public async Task<int> PromoteAsync(CancellationToken cancellationToken)
    {
        await using var connection = await database.DataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var promoted = await PromoteAsync(connection, transaction, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return promoted;
    }

    /// <summary>Moves queued runs to running, oldest first, while the per-project and global limits allow.</summary>
    private async Task<int> PromoteAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        await using var batch = new NpgsqlBatch(connection, transaction);
        foreach (var command in PromotionCommands())
        {
            batch.BatchCommands.Add(command);
        }

        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        await reader.NextResultAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return reader.GetInt32(0);
    }

    private async Task<int> PromoteAfterRunEndAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var batch = new NpgsqlBatch(connection)
        {
            BatchCommands = { new NpgsqlBatchCommand("BEGIN"), new NpgsqlBatchCommand("SET LOCAL synchronous_commit = off") },
        };
        foreach (var command in PromotionCommands())
        {
            batch.BatchCommands.Add(command);
        }

        batch.BatchCommands.Add(new NpgsqlBatchCommand("COMMIT"));
        try
        {
            await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
            var promoted = 0;
            do
            {
                if (reader.FieldCount == 1 && reader.GetName(0) == "promoted" && await reader.ReadAsync(cancellationToken))
                {
                    promoted = reader.GetInt32(0);
                }
            }
            while (await reader.NextResultAsync(cancellationToken));
            return promoted;
        }
        catch (NpgsqlException)
        {
            // The completion is committed and must be reported as such; the sweeper promotes.
            await RollbackAsync(connection);
            return 0;
        }
    }

    /// <summary>The promotion, under an advisory lock that serialises it so the limits hold; the last command returns how many runs started.</summary>
    private IEnumerable<NpgsqlBatchCommand> PromotionCommands()
    {
        var lockCommand = new NpgsqlBatchCommand("SELECT pg_advisory_xact_lock($1)");
        lockCommand.Parameters.AddWithValue(PromotionLockKey);
        yield return lockCommand;
        var promote = new NpgsqlBatchCommand("""
            WITH running AS (
                SELECT project_id, count(*) AS n FROM pipeline_runs WHERE status = 'running' GROUP BY project_id),
            candidates AS (
                SELECT r.id, r.project_id, r.created_at, r.number,
                       row_number() OVER (PARTITION BY r.project_id ORDER BY r.number) AS rank_in_project
                FROM pipeline_runs r WHERE r.status = 'queued'),
            eligible AS (
                SELECT c.id FROM candidates c LEFT JOIN running ru ON ru.project_id = c.project_id
                WHERE c.rank_in_project + coalesce(ru.n, 0) <= $1
                ORDER BY c.created_at, c.number
                LIMIT CASE WHEN $2 > 0 THEN greatest(0, $2 - (SELECT coalesce(sum(n), 0) FROM running)) END),
            promoted AS (
                UPDATE pipeline_runs r SET status = 'running', started_at = now(), progressed_at = now()
                FROM eligible e WHERE r.id = e.id AND r.status = 'queued'
                RETURNING r.id),
            events AS (
                INSERT INTO pipeline_run_events (run_id, type) SELECT id, 'run.started' FROM promoted)
            SELECT count(*)::int AS promoted FROM promoted
            """);
        promote.Parameters.AddWithValue((long)options.MaxRunningRunsPerProject);
        promote.Parameters.AddWithValue((long)options.MaxRunningRuns);
        yield return promote;
    }

    public async Task<RunView?> GetRunAsync(Guid projectId, Guid runId, CancellationToken cancellationToken)
    {
        await using var batch = database.DataSource.CreateBatch();
        var run = new NpgsqlBatchCommand("""
            SELECT id, project_id, number, status, trigger, branch, commit_sha, deploy, environment, retry_of, created_at, started_at, finished_at, definition::text
            FROM pipeline_runs WHERE id = $1 AND project_id = $2
            """);
        run.Parameters.AddWithValue(runId);
        run.Parameters.AddWithValue(projectId);
        var steps = new NpgsqlBatchCommand("""
            SELECT id, name, position, status, attempt, max_attempts, started_at, finished_at, due_at, exit_code, error, lease_owner, outputs::text
            FROM pipeline_steps WHERE run_id = $1 ORDER BY position
            """);
        steps.Parameters.AddWithValue(runId);
        var events = new NpgsqlBatchCommand("SELECT id, at, type, step, data::text FROM pipeline_run_events WHERE run_id = $1 ORDER BY id");
        events.Parameters.AddWithValue(runId);
        batch.BatchCommands.Add(run);
        batch.BatchCommands.Add(steps);
        batch.BatchCommands.Add(events);
        batch.BatchCommands.Add(Approvals(runId));

        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return null;
        }

        var head = (
            Id: reader.GetGuid(0), Project: reader.GetGuid(1), Number: reader.GetInt32(2), Status: PipelineStatusNames.ParseRun(reader.GetString(3)),
            Trigger: reader.GetString(4), Branch: NullableString(reader, 5), Commit: NullableString(reader, 6), Deploy: reader.GetBoolean(7),
            Environment: NullableString(reader, 8), RetryOf: reader.IsDBNull(9) ? (Guid?)null : reader.GetGuid(9),
            Created: reader.GetFieldValue<DateTimeOffset>(10), Started: NullableTime(reader, 11), Finished: NullableTime(reader, 12),
            Definition: JsonSerializer.Deserialize(reader.GetString(13), PipelineJsonContext.Default.PipelineDefinition)!);

        await reader.NextResultAsync(cancellationToken);
        var stepViews = new List<StepView>();
        while (await reader.ReadAsync(cancellationToken))
        {
            stepViews.Add(new StepView(
                reader.GetGuid(0), reader.GetString(1), reader.GetInt32(2), PipelineStatusNames.ParseStep(reader.GetString(3)), reader.GetInt32(4), reader.GetInt32(5),
                NullableTime(reader, 6), NullableTime(reader, 7), NullableTime(reader, 8), reader.IsDBNull(9) ? null : reader.GetInt32(9),
                NullableString(reader, 10), NullableString(reader, 11), NullableJson(reader, 12)));
        }

        await reader.NextResultAsync(cancellationToken);
        var eventList = new List<RunEvent>();
        while (await reader.ReadAsync(cancellationToken))
        {
            eventList.Add(new RunEvent(reader.GetInt64(0), reader.GetFieldValue<DateTimeOffset>(1), reader.GetString(2), NullableString(reader, 3), NullableJson(reader, 4)));
        }

        await reader.NextResultAsync(cancellationToken);
        var approvals = new List<RunApproval>();
        while (await reader.ReadAsync(cancellationToken))
        {
            approvals.Add(ReadApproval(reader));
        }

        return new RunView(head.Id, head.Project, head.Number, head.Status, head.Trigger, head.Branch, head.Commit, head.Deploy, head.Environment, head.RetryOf,
            head.Created, head.Started, head.Finished, head.Definition, stepViews, eventList, approvals);
    }

    public async Task<RunPage> ListRunsAsync(RunQuery query, CancellationToken cancellationToken)
    {
        await using var command = database.DataSource.CreateCommand("""
            SELECT id, project_id, number, status, trigger, branch, commit_sha, retry_of, created_at, started_at, finished_at
            FROM pipeline_runs
            WHERE project_id = $1
              AND ($2::text IS NULL OR status = $2)
              AND ($3::text IS NULL OR branch = $3)
              AND ($4::int IS NULL OR number < $4)
            ORDER BY number DESC
            LIMIT $5
            """);
        command.Parameters.AddWithValue(query.ProjectId);
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)query.Status?.ToWire() ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)query.Branch ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)query.BeforeNumber ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Integer });
        command.Parameters.AddWithValue(query.Limit + 1);
        var items = new List<RunSummary>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            items.Add(new RunSummary(reader.GetGuid(0), reader.GetGuid(1), reader.GetInt32(2), PipelineStatusNames.ParseRun(reader.GetString(3)), reader.GetString(4),
                NullableString(reader, 5), NullableString(reader, 6), reader.IsDBNull(7) ? null : reader.GetGuid(7),
                reader.GetFieldValue<DateTimeOffset>(8), NullableTime(reader, 9), NullableTime(reader, 10)));
        }

        var more = items.Count > query.Limit;
        if (more)
        {
            items.RemoveAt(items.Count - 1);
        }

        return new RunPage(items, more ? items[^1].Number : null);
    }

    private static async Task<T?> ScalarAsync<T>(NpgsqlConnection connection, NpgsqlTransaction transaction, string sql, CancellationToken cancellationToken, params object[] parameters)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        foreach (var parameter in parameters)
        {
            command.Parameters.AddWithValue(parameter);
        }

        var value = await command.ExecuteScalarAsync(cancellationToken);
        return value is null or DBNull ? default : (T)value;
    }

    private static string? NullableString(NpgsqlDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);

    private static DateTimeOffset? NullableTime(NpgsqlDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetFieldValue<DateTimeOffset>(ordinal);

    private static JsonElement? NullableJson(NpgsqlDataReader reader, int ordinal)
    {
        if (reader.IsDBNull(ordinal))
        {
            return null;
        }

        using var document = JsonDocument.Parse(reader.GetString(ordinal));
        return document.RootElement.Clone();
    }
}
