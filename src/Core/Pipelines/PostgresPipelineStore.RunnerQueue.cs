using System.Text.Json;
using DevMentor.Core.Pipelines.Orchestration;
using Npgsql;
using NpgsqlTypes;

namespace DevMentor.Core.Pipelines;

/// <summary>
/// The runner queue: claims (the oldest due step a runner's labels allow, under a lease), heartbeats, and a step
/// attempt's outcome, fenced by its attempt number and lease owner, recorded with the outbox row that hands it to the
/// run's orchestration.
/// </summary>
public sealed partial class PostgresPipelineStore
{
    public async Task<ClaimedStep?> ClaimAsync(string owner, IReadOnlyList<string> labels, CancellationToken cancellationToken)
    {
        await using var command = database.DataSource.CreateCommand(ClaimSql);
        AddClaimParameters(command.Parameters, new ClaimRequest(owner, labels));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? ReadClaimed(reader) : null;
    }

    /// <summary>Takes the oldest due step this runner's labels allow, with a lease and a started event, in one statement.</summary>
    private const string ClaimSql = """
        WITH next AS (
            -- A queued run's steps wait for its promotion (the concurrency limits): only running runs' steps are claimed.
            SELECT s.id FROM pipeline_steps s JOIN pipeline_runs r ON r.id = s.run_id AND r.status = 'running'
            WHERE s.status = 'queued' AND s.due_at <= now() AND s.requires <@ $2::text[]
            ORDER BY s.due_at, s.id
            LIMIT 1
            FOR UPDATE OF s SKIP LOCKED),
        claimed AS (
            UPDATE pipeline_steps s
            SET status = 'running', attempt = s.attempt + 1, lease_owner = $1, lease_expires_at = now() + $3,
                started_at = coalesce(s.started_at, now()), attempt_started_at = now(), due_at = NULL
            FROM next WHERE s.id = next.id
            RETURNING s.id, s.run_id, s.name, s.position, s.attempt, s.timeout_seconds, s.lease_expires_at),
        event AS (
            INSERT INTO pipeline_run_events (run_id, type, step, data)
            SELECT run_id, 'step.started', name, jsonb_build_object('attempt', attempt, 'runner', $1::text) FROM claimed)
        SELECT c.id AS claimed_step_id, c.run_id, r.project_id, r.number, c.name, c.position, c.attempt, c.timeout_seconds, c.lease_expires_at,
               r.branch, r.commit_sha, r.definition::text
        FROM claimed c JOIN pipeline_runs r ON r.id = c.run_id
        """;

    public async Task<RunnerQueueStats> QueueStatsAsync(CancellationToken cancellationToken)
    {
        // The claim's own condition (status queued and due), so the figure is what runners could take right now.
        await using var command = database.DataSource.CreateCommand("""
            WITH due AS (
                SELECT s.due_at, s.requires FROM pipeline_steps s JOIN pipeline_runs r ON r.id = s.run_id AND r.status = 'running'
                WHERE s.status = 'queued' AND s.due_at <= now())
            SELECT NULL::text, count(*)::int, coalesce(extract(epoch FROM now() - min(due_at)), 0)::float8 FROM due
            UNION ALL
            SELECT label, count(*)::int, 0 FROM due, unnest(requires) AS label GROUP BY label
            """);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        int queued = 0;
        double oldest = 0;
        var byLabel = new SortedDictionary<string, int>(StringComparer.Ordinal);
        while (await reader.ReadAsync(cancellationToken))
        {
            if (reader.IsDBNull(0))
            {
                queued = reader.GetInt32(1);
                oldest = Math.Max(0, reader.GetDouble(2));
            }
            else
            {
                byLabel[reader.GetString(0)] = reader.GetInt32(1);
            }
        }

        return new RunnerQueueStats(queued, Math.Round(oldest, 3), byLabel);
    }

    private void AddClaimParameters(NpgsqlParameterCollection parameters, ClaimRequest claim)
    {
        parameters.AddWithValue(claim.Owner);
        parameters.AddWithValue(claim.Labels.ToArray());
        parameters.AddWithValue(options.LeaseDuration);
    }

    private static ClaimedStep ReadClaimed(NpgsqlDataReader reader) => new(
        reader.GetGuid(0), reader.GetGuid(1), reader.GetGuid(2), reader.GetInt32(3), reader.GetString(4), reader.GetInt32(5), reader.GetInt32(6), reader.GetInt32(7),
        reader.GetFieldValue<DateTimeOffset>(8), NullableString(reader, 9), NullableString(reader, 10),
        JsonSerializer.Deserialize(reader.GetString(11), PipelineJsonContext.Default.PipelineDefinition)!);

    public async Task<HeartbeatResult> HeartbeatAsync(Guid stepId, int attempt, string owner, CancellationToken cancellationToken)
    {
        await using var command = database.DataSource.CreateCommand($"""
            WITH extended AS (
                UPDATE pipeline_steps SET lease_expires_at = now() + $4
                WHERE {HeldWhileRunning}
                RETURNING lease_expires_at)
            SELECT s.status, s.attempt = $2 AND s.lease_owner = $3, (SELECT lease_expires_at FROM extended)
            FROM pipeline_steps s WHERE s.id = $1
            """);
        AddLeaseParameters(command.Parameters, stepId, attempt, owner);
        command.Parameters.AddWithValue(options.LeaseDuration);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return new HeartbeatResult(HeartbeatAction.Lost, null);
        }

        if (!reader.IsDBNull(2))
        {
            return new HeartbeatResult(HeartbeatAction.Continue, reader.GetFieldValue<DateTimeOffset>(2));
        }

        // Still this runner's attempt but no longer running: the server ended it (cancel, timeout).
        var stillMine = reader.GetBoolean(1);
        var status = PipelineStatusNames.ParseStep(reader.GetString(0));
        if (stillMine && status == StepStatus.Running)
        {
            // Read before the update waited for the row: a timeout or cancel committed meanwhile (the update saw it,
            // this statement's snapshot did not). Its status is read again, or the runner would think its lease lost.
            await reader.DisposeAsync();
            await using var again = database.DataSource.CreateCommand("SELECT status, attempt = $2 AND lease_owner = $3 FROM pipeline_steps WHERE id = $1");
            AddLeaseParameters(again.Parameters, stepId, attempt, owner);
            await using var current = await again.ExecuteReaderAsync(cancellationToken);
            if (!await current.ReadAsync(cancellationToken))
            {
                return new HeartbeatResult(HeartbeatAction.Lost, null);
            }

            (status, stillMine) = (PipelineStatusNames.ParseStep(current.GetString(0)), current.GetBoolean(1));
        }

        return new HeartbeatResult(stillMine && status.IsTerminal() ? HeartbeatAction.Cancel : HeartbeatAction.Lost, null);
    }

    public async Task<StepCompletion?> CompleteAsync(Guid stepId, int attempt, string? owner, StepResult result, ClaimRequest? claimNext, CancellationToken cancellationToken)
    {
        // The hot path of every step: two round trips. BEGIN rides with the locking read, COMMIT
        // with the writes (an NpgsqlTransaction would add a third for COMMIT). A connection given
        // back to the pool inside a transaction is rolled back by Npgsql, so an exception in
        // between leaves nothing half-written. The outcome is recorded, not acted on: its outbox
        // row commits with it and the run's orchestration decides what follows. With claimNext,
        // the runner's next claim rides in the same commit.
        await using var connection = await database.DataSource.OpenConnectionAsync(cancellationToken);

        Guid runId;
        RunStatus runStatus;
        StepStatus stepStatus;
        int currentAttempt, maxAttempts, position;
        string? leaseOwner, stepName;
        bool leaseExpired, hasNext;
        await using (var read = new NpgsqlBatch(connection) { BatchCommands = { new NpgsqlBatchCommand("BEGIN") } })
        {
            var locking = new NpgsqlBatchCommand("""
            WITH run AS (
                SELECT r.id, r.status FROM pipeline_runs r
                WHERE r.id = (SELECT run_id FROM pipeline_steps WHERE id = $1)
                FOR NO KEY UPDATE)
            SELECT run.id, run.status, s.status, s.attempt, s.lease_owner, s.max_attempts, s.position, s.name, s.expired, s.has_next
            FROM run CROSS JOIN LATERAL (
                -- Depends on run, so the run row is locked before the step row (the order cancel uses).
                SELECT status, attempt, lease_owner, max_attempts, position, name, coalesce(lease_expires_at < now(), false) AS expired,
                       EXISTS (SELECT 1 FROM pipeline_steps n WHERE n.run_id = run.id AND n.position = st.position + 1) AS has_next
                FROM pipeline_steps st WHERE st.id = $1 AND st.run_id = run.id
                FOR UPDATE) s
            """);
            locking.Parameters.AddWithValue(stepId);
            read.BatchCommands.Add(locking);
            await using var reader = await read.ExecuteReaderAsync(cancellationToken);
            if (!await reader.ReadAsync(cancellationToken))
            {
                await reader.DisposeAsync();
                await RollbackAsync(connection);
                return null;
            }

            runId = reader.GetGuid(0);
            runStatus = PipelineStatusNames.ParseRun(reader.GetString(1));
            stepStatus = PipelineStatusNames.ParseStep(reader.GetString(2));
            currentAttempt = reader.GetInt32(3);
            leaseOwner = NullableString(reader, 4);
            maxAttempts = reader.GetInt32(5);
            position = reader.GetInt32(6);
            stepName = reader.GetString(7);
            leaseExpired = reader.GetBoolean(8);
            hasNext = reader.GetBoolean(9);
        }

        // The fencing check: only the attempt that holds the lease may end it; the sweeper
        // (owner null) only ends leases that have really expired.
        var holdsLease = stepStatus == StepStatus.Running && currentAttempt == attempt &&
            (owner is null ? leaseExpired : owner == leaseOwner);
        if (!holdsLease)
        {
            await RollbackAsync(connection);
            return new StepCompletion(new CompletionOutcome(false, stepStatus, runStatus), false, null);
        }

        // The step's own status follows the rules the orchestration applies (an infrastructure failure with
        // attempts left waits, queued but not yet due, for its retry), and so does the run's end it announces
        // to the runner: the orchestration decides the same from the same outcome and writes it just after.
        var plan = result is { Kind: StepResultKind.Succeeded, Plan.Steps.Count: > 0 } ? result.Plan : null;
        var decision = StepCompletionRules.Decide(result, attempt, maxAttempts, hasNext || plan is not null, _ => TimeSpan.Zero);
        PipelineStateMachine.EnsureMove(stepStatus, decision.StepStatus);
        var deploys = result.Kind == StepResultKind.Succeeded && result.Outputs?.ContainsKey(RunTasks.DeployEnvironmentsOutput) == true;
        var outcome = JsonSerializer.Serialize(new StepOutcome(result.Kind, result.ExitCode, result.Error, plan, attempt, deploys), PipelineJsonContext.Default.StepOutcome);

        await using var batch = new NpgsqlBatch(connection);
        if (plan is not null)
        {
            foreach (var command in AppendSteps(runId, plan, result.Outputs?.GetValueOrDefault("commit")))
            {
                batch.BatchCommands.Add(command);
            }
        }

        var outputs = result.Outputs is null ? null : JsonSerializer.Serialize(new Dictionary<string, string>(result.Outputs), PipelineJsonContext.Default.DictionaryStringString);
        if (decision.StepStatus == StepStatus.Queued)
        {
            var retry = new NpgsqlBatchCommand("""
                UPDATE pipeline_steps SET status = 'queued', due_at = NULL, lease_expires_at = NULL, error = $2, outcome = $3
                WHERE id = $1
                """);
            retry.Parameters.AddWithValue(stepId);
            retry.Parameters.AddWithValue((object?)decision.Error ?? DBNull.Value);
            retry.Parameters.Add(new NpgsqlParameter { Value = outcome, NpgsqlDbType = NpgsqlDbType.Jsonb });
            batch.BatchCommands.Add(retry);
            batch.BatchCommands.Add(Event(runId, "step.retrying", stepName, EventData.Of(("attempt", attempt), ("error", decision.Error))));
        }
        else
        {
            var end = new NpgsqlBatchCommand("""
                WITH ended AS (
                    UPDATE pipeline_steps SET status = $2, finished_at = now(), lease_expires_at = NULL, exit_code = $3, error = $4, outputs = $5, outcome = $7
                    WHERE id = $1
                    RETURNING run_id, name)
                INSERT INTO pipeline_run_events (run_id, type, step, data) SELECT run_id, 'step.' || $2, name, $6 FROM ended
                """);
            end.Parameters.AddWithValue(stepId);
            end.Parameters.AddWithValue(decision.StepStatus.ToWire());
            end.Parameters.AddWithValue((object?)result.ExitCode ?? DBNull.Value);
            end.Parameters.AddWithValue((object?)decision.Error ?? DBNull.Value);
            end.Parameters.Add(new NpgsqlParameter { Value = (object?)outputs ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Jsonb });
            end.Parameters.Add(new NpgsqlParameter { Value = EventData.Of(("attempt", attempt), ("exitCode", result.ExitCode), ("error", decision.Error)), NpgsqlDbType = NpgsqlDbType.Jsonb });
            end.Parameters.Add(new NpgsqlParameter { Value = outcome, NpgsqlDbType = NpgsqlDbType.Jsonb });
            batch.BatchCommands.Add(end);
        }

        batch.BatchCommands.Add(Outbox(runId, "event", StepOutcome.NameFor(position, attempt), outcome));
        if (claimNext is not null)
        {
            var claim = new NpgsqlBatchCommand(ClaimSql);
            AddClaimParameters(claim.Parameters, claimNext);
            batch.BatchCommands.Add(claim);
        }

        batch.BatchCommands.Add(new NpgsqlBatchCommand("COMMIT"));
        ClaimedStep? next = null;
        try
        {
            await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
            do
            {
                if (reader.FieldCount > 0 && reader.GetName(0) == "claimed_step_id" && await reader.ReadAsync(cancellationToken))
                {
                    next = ReadClaimed(reader);
                }
            }
            while (await reader.NextResultAsync(cancellationToken));
        }
        catch
        {
            await RollbackAsync(connection);
            throw;
        }

        return new StepCompletion(new CompletionOutcome(true, decision.StepStatus, decision.RunEnds ?? runStatus), false, next, runId, StepOutcome.NameFor(position, attempt));
    }

    /// <summary>
    /// Pins <paramref name="plan"/>'s steps at the end of the run's definition and inserts their
    /// (pending) rows after the last step. A run started for a branch also gets the commit the
    /// planning step checked out, so every later step (and a workspace restored elsewhere, and a
    /// retry) builds that commit, not whatever the branch points at by then.
    /// </summary>
    private IEnumerable<NpgsqlBatchCommand> AppendSteps(Guid runId, PipelineDefinition plan, string? commit)
    {
        var pin = new NpgsqlBatchCommand("""
            UPDATE pipeline_runs SET definition = jsonb_set(definition, '{steps}', (definition->'steps') || ($2::jsonb->'steps')),
                commit_sha = coalesce(commit_sha, $3)
            WHERE id = $1
            """);
        pin.Parameters.AddWithValue(runId);
        pin.Parameters.Add(new NpgsqlParameter { Value = JsonSerializer.Serialize(plan, PipelineJsonContext.Default.PipelineDefinition), NpgsqlDbType = NpgsqlDbType.Jsonb });
        var sha = commit is { Length: >= 7 and <= 64 } && commit.All(char.IsAsciiHexDigitLower) ? commit : null;
        pin.Parameters.Add(new NpgsqlParameter { Value = (object?)sha ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        yield return pin;
        foreach (var step in plan.Steps)
        {
            var insert = new NpgsqlBatchCommand("""
                INSERT INTO pipeline_steps (id, run_id, position, name, status, max_attempts, retry_first_ms, retry_factor, timeout_seconds, requires)
                SELECT $1, $2, max(position) + 1, $3, 'pending', $4, $5, $6, $7, $8 FROM pipeline_steps WHERE run_id = $2
                """);
            insert.Parameters.AddWithValue(Guid.CreateVersion7());
            insert.Parameters.AddWithValue(runId);
            insert.Parameters.AddWithValue(step.Name);
            insert.Parameters.AddWithValue(step.Retry?.MaxAttempts ?? options.DefaultMaxAttempts);
            insert.Parameters.AddWithValue((int)((step.Retry?.FirstDelaySeconds * 1000) ?? options.DefaultFirstRetryDelay.TotalMilliseconds));
            insert.Parameters.AddWithValue(step.Retry?.Factor ?? options.DefaultRetryFactor);
            insert.Parameters.AddWithValue(step.TimeoutSeconds ?? (int)Math.Ceiling(options.DefaultStepTimeout.TotalSeconds));
            insert.Parameters.AddWithValue((step.Requires ?? []).ToArray());
            yield return insert;
        }

        yield return Event(runId, "run.planned", null, EventData.Of(("steps", string.Join(",", plan.Steps.Select(s => s.Name)))));
    }

    /// <summary>Running steps whose lease owner starts with <paramref name="ownerPrefix"/> but not <paramref name="exceptPrefix"/>.</summary>
    public async Task<IReadOnlyList<(Guid StepId, int Attempt, string Owner)>> RunningStepsOfAsync(string ownerPrefix, string exceptPrefix, CancellationToken cancellationToken)
    {
        await using var command = database.DataSource.CreateCommand("""
            SELECT id, attempt, lease_owner FROM pipeline_steps
            WHERE status = 'running' AND starts_with(lease_owner, $1) AND NOT starts_with(lease_owner, $2)
            """);
        command.Parameters.AddWithValue(ownerPrefix);
        command.Parameters.AddWithValue(exceptPrefix);
        var steps = new List<(Guid, int, string)>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            steps.Add((reader.GetGuid(0), reader.GetInt32(1), reader.GetString(2)));
        }

        return steps;
    }
}
