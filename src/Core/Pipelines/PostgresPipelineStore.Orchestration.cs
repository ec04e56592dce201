using System.Text.Json;
using DevMentor.Core.Pipelines.Orchestration;
using Npgsql;
using NpgsqlTypes;

namespace DevMentor.Core.Pipelines;

/// <summary>
/// What the run orchestration's activities write (queue a step's attempt, check its timeout, end the run) and the
/// outbox that carries recorded outcomes, starts and cancels to the orchestration. Every write is idempotent: an
/// activity Durable runs twice, or a row dispatched twice, changes nothing the second time.
/// </summary>
public sealed partial class PostgresPipelineStore
{
    /// <summary>
    /// Puts attempt <paramref name="attempt"/> of the step on the runner queue. When that attempt already has an
    /// outcome (a replayed activity, an upgraded run, a canceled run), returns it instead, so the orchestration never
    /// waits for an event that will not come.
    /// </summary>
    public async Task<StepOutcome?> QueueStepAsync(Guid runId, int position, int attempt, CancellationToken cancellationToken)
    {
        await using var command = database.DataSource.CreateCommand("""
            WITH queued AS (
                UPDATE pipeline_steps SET status = 'queued', due_at = now()
                WHERE run_id = $1 AND position = $2 AND attempt = $3 - 1
                  AND (status = 'pending' OR (status = 'queued' AND due_at IS NULL))
                  AND EXISTS (SELECT 1 FROM pipeline_runs WHERE id = $1 AND status IN ('queued', 'running'))
                RETURNING name),
            event AS (
                INSERT INTO pipeline_run_events (run_id, type, step, data)
                SELECT $1, 'step.queued', name, jsonb_build_object('attempt', $3) FROM queued)
            SELECT (SELECT count(*) FROM queued)::int, s.status, s.attempt, s.outcome::text, r.status
            FROM pipeline_steps s JOIN pipeline_runs r ON r.id = s.run_id
            WHERE s.run_id = $1 AND s.position = $2
            """);
        command.Parameters.AddWithValue(runId);
        command.Parameters.AddWithValue(position);
        command.Parameters.AddWithValue(attempt);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            throw new InvalidOperationException($"Run {runId} has no step at position {position}.");
        }

        if (reader.GetInt32(0) == 1)
        {
            return null;
        }

        var status = PipelineStatusNames.ParseStep(reader.GetString(1));
        var claims = reader.GetInt32(2);
        var recorded = ReadOutcome(reader, 3);
        var runStatus = PipelineStatusNames.ParseRun(reader.GetString(4));
        if (recorded is { } outcome && outcome.Attempt == attempt)
        {
            return outcome;
        }

        if (status is StepStatus.Canceled or StepStatus.Skipped || runStatus.IsTerminal())
        {
            return new StepOutcome(StepResultKind.Canceled, null, "the run ended before this step", null, attempt);
        }

        if (status.IsTerminal())
        {
            // Recorded before outcomes were kept (a run the engine had in flight when the service was upgraded).
            var kind = status switch
            {
                StepStatus.Succeeded => StepResultKind.Succeeded,
                StepStatus.TimedOut => StepResultKind.TimedOut,
                _ => StepResultKind.Failed,
            };
            return new StepOutcome(kind, null, null, null, attempt);
        }

        // Queued (already, by this same activity earlier) or claimed for this attempt: its outcome will be raised.
        return claims >= attempt - 1 ? null : throw new InvalidOperationException($"Step {position} of run {runId} is at attempt {claims}, not {attempt}.");
    }

    /// <summary>
    /// The queueing activity's last look (run orchestration version 3): the attempt's outcome when it is recorded, its
    /// outbox row deleted in the same statement, since the activity carries the outcome to the orchestration itself.
    /// Should the activity's answer be lost (this process dies before Durable records it), Durable runs the activity
    /// again and <see cref="QueueStepAsync"/> answers the recorded outcome: nothing depends on the deleted row.
    /// </summary>
    public async Task<StepOutcome?> TakeStepOutcomeAsync(Guid runId, int position, int attempt, CancellationToken cancellationToken)
    {
        await using var command = database.DataSource.CreateCommand("""
            WITH recorded AS (
                SELECT outcome FROM pipeline_steps
                WHERE run_id = $1 AND position = $2 AND (outcome ->> 'attempt')::int = $3),
            taken AS (
                DELETE FROM pipeline_outbox
                WHERE run_id = $1 AND name = $4 AND kind = 'event' AND EXISTS (SELECT 1 FROM recorded))
            SELECT outcome::text FROM recorded
            """);
        command.Parameters.AddWithValue(runId);
        command.Parameters.AddWithValue(position);
        command.Parameters.AddWithValue(attempt);
        command.Parameters.AddWithValue(StepOutcome.NameFor(position, attempt));
        return await command.ExecuteScalarAsync(cancellationToken) is string json
            ? JsonSerializer.Deserialize(json, PipelineJsonContext.Default.StepOutcome)
            : null;
    }

    /// <summary>
    /// The orchestration's timer for the step's attempt fired. The timeout counts from the attempt's claim (time in
    /// the queue is not the step's), so this either ends the attempt as timed out (its runner hears "cancel" at its
    /// next heartbeat and kills it), reports the outcome it already has, or says when to look again.
    /// </summary>
    public async Task<StepTimeoutCheck> CheckStepTimeoutAsync(Guid runId, int position, int attempt, CancellationToken cancellationToken)
    {
        await using var connection = await database.DataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var lockRun = new NpgsqlCommand("SELECT 1 FROM pipeline_runs WHERE id = $1 FOR NO KEY UPDATE", connection, transaction))
        {
            lockRun.Parameters.AddWithValue(runId);
            await lockRun.ExecuteScalarAsync(cancellationToken);
        }

        StepStatus status;
        int claims, timeoutSeconds;
        DateTimeOffset? started;
        DateTimeOffset now;
        StepOutcome? recorded;
        await using (var read = new NpgsqlCommand("""
            SELECT status, attempt, attempt_started_at, timeout_seconds, outcome::text, now()
            FROM pipeline_steps WHERE run_id = $1 AND position = $2 FOR UPDATE
            """, connection, transaction))
        {
            read.Parameters.AddWithValue(runId);
            read.Parameters.AddWithValue(position);
            await using var reader = await read.ExecuteReaderAsync(cancellationToken);
            if (!await reader.ReadAsync(cancellationToken))
            {
                throw new InvalidOperationException($"Run {runId} has no step at position {position}.");
            }

            status = PipelineStatusNames.ParseStep(reader.GetString(0));
            claims = reader.GetInt32(1);
            started = NullableTime(reader, 2);
            timeoutSeconds = reader.GetInt32(3);
            recorded = ReadOutcome(reader, 4);
            now = reader.GetFieldValue<DateTimeOffset>(5);
        }

        var timeout = TimeSpan.FromSeconds(timeoutSeconds);
        if (recorded is { } outcome && outcome.Attempt == attempt)
        {
            return new StepTimeoutCheck(outcome, null);
        }

        if (status is StepStatus.Canceled or StepStatus.Skipped)
        {
            return new StepTimeoutCheck(new StepOutcome(StepResultKind.Canceled, null, "canceled", null, attempt), null);
        }

        if (status != StepStatus.Running || claims != attempt || started is null)
        {
            return new StepTimeoutCheck(null, (now + timeout).UtcDateTime); // not claimed yet: waiting for a runner is not running
        }

        if (started.Value + timeout > now)
        {
            return new StepTimeoutCheck(null, (started.Value + timeout).UtcDateTime);
        }

        var error = $"the step ran past its timeout of {timeoutSeconds} s";
        var timedOut = new StepOutcome(StepResultKind.TimedOut, null, error, null, attempt);
        await using (var end = new NpgsqlCommand("""
            WITH t AS (
                UPDATE pipeline_steps SET status = 'timed_out', finished_at = now(), lease_expires_at = NULL, error = $3, outcome = $4
                WHERE run_id = $1 AND position = $2 RETURNING name, attempt)
            INSERT INTO pipeline_run_events (run_id, type, step, data)
            SELECT $1, 'step.timed_out', name, jsonb_build_object('attempt', attempt, 'error', $3::text) FROM t
            """, connection, transaction))
        {
            end.Parameters.AddWithValue(runId);
            end.Parameters.AddWithValue(position);
            end.Parameters.AddWithValue(error);
            end.Parameters.Add(new NpgsqlParameter { Value = JsonSerializer.Serialize(timedOut, PipelineJsonContext.Default.StepOutcome), NpgsqlDbType = NpgsqlDbType.Jsonb });
            await end.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        return new StepTimeoutCheck(timedOut, null);
    }

    /// <summary>Ends the run with its final status (waiting steps skipped); false when it had already ended (a cancel, a replay).</summary>
    public async Task<bool> FinishRunAsync(Guid runId, RunStatus status, string? reason, CancellationToken cancellationToken)
    {
        await using var connection = await database.DataSource.OpenConnectionAsync(cancellationToken);
        await using (var transaction = await connection.BeginTransactionAsync(cancellationToken))
        {
            var current = await ScalarAsync<string>(connection, transaction, "SELECT status FROM pipeline_runs WHERE id = $1 FOR NO KEY UPDATE", cancellationToken, runId);
            if (current is null || PipelineStatusNames.ParseRun(current).IsTerminal())
            {
                return false;
            }

            PipelineStateMachine.EnsureMove(PipelineStatusNames.ParseRun(current), status);
            await using (var batch = new NpgsqlBatch(connection, transaction) { BatchCommands = { FinishRun(runId, status, reason) } })
            {
                await batch.ExecuteNonQueryAsync(cancellationToken);
            }

            await transaction.CommitAsync(cancellationToken);
        }

        await PromoteAfterRunEndAsync(connection, cancellationToken);
        return true;
    }

    /// <summary>Running steps whose runner stopped renewing its lease (lost): each becomes an infrastructure failure.</summary>
    public async Task<IReadOnlyList<(Guid StepId, int Attempt)>> ExpiredLeasesAsync(int limit, CancellationToken cancellationToken)
    {
        await using var command = database.DataSource.CreateCommand("""
            SELECT id, attempt FROM pipeline_steps
            WHERE status = 'running' AND lease_expires_at < now()
            ORDER BY lease_expires_at
            LIMIT $1
            """);
        command.Parameters.AddWithValue(limit);
        var expired = new List<(Guid, int)>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            expired.Add((reader.GetGuid(0), reader.GetInt32(1)));
        }

        return expired;
    }

    /// <summary>What the orchestration of a run starts with: its pinned definition, today's retry and timeout settings and the current orchestration version.</summary>
    public async Task<RunInput?> RunInputAsync(Guid runId, CancellationToken cancellationToken)
    {
        await using var command = database.DataSource.CreateCommand("SELECT project_id, definition::text FROM pipeline_runs WHERE id = $1");
        command.Parameters.AddWithValue(runId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return null;
        }

        var definition = JsonSerializer.Deserialize(reader.GetString(1), PipelineJsonContext.Default.PipelineDefinition)!;
        return new RunInput(runId, reader.GetGuid(0), definition, RunRetrySettings.From(options), (int)Math.Ceiling(options.DefaultStepTimeout.TotalSeconds),
            RunVersions.Current, (int)Math.Ceiling(options.DeployTimeout.TotalSeconds));
    }

    /// <summary>
    /// Takes up to <paramref name="limit"/> due outbox rows, oldest first, hiding them from other dispatchers for
    /// <paramref name="lease"/>: a dispatcher that dies before deleting them leaves them to be sent again then.
    /// </summary>
    public async Task<IReadOnlyList<OutboxItem>> TakeOutboxAsync(int limit, TimeSpan lease, CancellationToken cancellationToken)
    {
        await using var command = database.DataSource.CreateCommand("""
            UPDATE pipeline_outbox o SET due_at = now() + $2, attempts = o.attempts + 1
            FROM (SELECT id FROM pipeline_outbox WHERE due_at <= now() ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED) due
            WHERE o.id = due.id
            RETURNING o.id, o.run_id, o.kind, o.name, o.payload::text, o.attempts
            """);
        command.Parameters.AddWithValue(limit);
        command.Parameters.AddWithValue(lease);
        var items = new List<OutboxItem>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            items.Add(new OutboxItem(reader.GetInt64(0), reader.GetGuid(1), reader.GetString(2), reader.GetString(3), NullableString(reader, 4), reader.GetInt32(5)));
        }

        return items.OrderBy(i => i.Id).ToList();
    }

    public async Task DeleteOutboxAsync(IReadOnlyList<long> ids, CancellationToken cancellationToken)
    {
        await using var command = database.DataSource.CreateCommand("DELETE FROM pipeline_outbox WHERE id = ANY($1)");
        command.Parameters.AddWithValue(ids.ToArray());
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static NpgsqlBatchCommand Outbox(Guid runId, string kind, string name, string? payload)
    {
        var command = new NpgsqlBatchCommand("INSERT INTO pipeline_outbox (run_id, kind, name, payload) VALUES ($1, $2, $3, $4)");
        command.Parameters.AddWithValue(runId);
        command.Parameters.AddWithValue(kind);
        command.Parameters.AddWithValue(name);
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)payload ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Jsonb });
        return command;
    }

    private static StepOutcome? ReadOutcome(NpgsqlDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : JsonSerializer.Deserialize(reader.GetString(ordinal), PipelineJsonContext.Default.StepOutcome);
}

/// <summary>A row of the run outbox: <c>start</c> (schedule the run's orchestration) or <c>event</c> (raise <see cref="Name"/> on it).</summary>
public sealed record OutboxItem(long Id, Guid RunId, string Kind, string Name, string? Payload, int Attempts);
