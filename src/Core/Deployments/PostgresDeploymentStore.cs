using DevMentor.Core.Data;
using Npgsql;

namespace DevMentor.Core.Deployments;

/// <summary>deployments and deployment_run_checks (migrations 0006, 0033).</summary>
public sealed class PostgresDeploymentStore(Database database)
{
    private const string Columns = """
        id, project_id, environment, target, run_id, run_number, status, trigger, rollback_of, requested_by,
        release_dir, port, url, pid, healthy, health, error, created_at, started_at, finished_at
        """;

    public async Task<Deployment> InsertAsync(NewDeployment deployment, CancellationToken cancellationToken)
    {
        await using var insert = database.DataSource.CreateCommand($"""
            INSERT INTO deployments (id, project_id, environment, target, run_id, run_number, status, trigger, rollback_of, requested_by)
            VALUES ($1, $2, $3, $4, $5, $6, 'pending', $7, $8, $9)
            RETURNING {Columns}
            """);
        AddInsertParameters(insert, deployment);
        insert.Parameters.AddWithValue(deployment.Trigger);
        insert.Parameters.AddWithValue((object?)deployment.RollbackOf ?? DBNull.Value);
        insert.Parameters.AddWithValue((object?)deployment.RequestedBy ?? DBNull.Value);
        return (await ReadAllAsync(insert, cancellationToken))[0];
    }

    /// <summary>$1-$6 of both inserts: a new id, the project, environment, target, run and its number.</summary>
    private static void AddInsertParameters(NpgsqlCommand insert, NewDeployment deployment)
    {
        insert.Parameters.AddWithValue(Guid.CreateVersion7());
        insert.Parameters.AddWithValue(deployment.ProjectId);
        insert.Parameters.AddWithValue(deployment.Environment);
        insert.Parameters.AddWithValue(deployment.Target);
        insert.Parameters.AddWithValue(deployment.RunId);
        insert.Parameters.AddWithValue(deployment.RunNumber);
    }

    /// <summary>
    /// The deploy stage's deployment of a run to an environment: inserted once (a unique index on run and environment
    /// of 'auto' deployments, migration 0033), found as it is by a second call.
    /// </summary>
    public async Task<Deployment> InsertStageAsync(NewDeployment deployment, CancellationToken cancellationToken)
    {
        await using var insert = database.DataSource.CreateCommand($"""
            WITH inserted AS (
                INSERT INTO deployments (id, project_id, environment, target, run_id, run_number, status, trigger)
                VALUES ($1, $2, $3, $4, $5, $6, 'pending', 'auto')
                ON CONFLICT (run_id, environment) WHERE trigger = 'auto' DO NOTHING
                RETURNING {Columns})
            SELECT {Columns} FROM inserted
            UNION ALL
            SELECT {Columns} FROM deployments WHERE run_id = $5 AND environment = $3 AND trigger = 'auto' AND NOT EXISTS (SELECT 1 FROM inserted)
            """);
        AddInsertParameters(insert, deployment);
        if ((await ReadAllAsync(insert, cancellationToken)).FirstOrDefault() is { } found)
        {
            return found;
        }

        // A concurrent call inserted it after this statement's snapshot was taken: it is committed now.
        await using var read = database.DataSource.CreateCommand($"SELECT {Columns} FROM deployments WHERE run_id = $1 AND environment = $2 AND trigger = 'auto'");
        read.Parameters.AddWithValue(deployment.RunId);
        read.Parameters.AddWithValue(deployment.Environment);
        return (await ReadAllAsync(read, cancellationToken))[0];
    }

    /// <summary>
    /// Stops the deploy stage's deployment of a run to an environment (migration 0037, ADR 0044): a pending or
    /// deploying one ends 'canceled'; a current one is left as is. Both with their event in the run's history.
    /// </summary>
    /// <returns>The deployment and whether this call stopped it; null when the run has no such deployment.</returns>
    public async Task<(Guid DeploymentId, DeploymentStatus Was, bool Stopped)?> StopStageAsync(Guid runId, string environment, string reason, string? by, CancellationToken cancellationToken)
    {
        await using var stop = database.DataSource.CreateCommand("SELECT deployment_id, was, stopped FROM deployments_stop_stage($1, $2, $3, $4)");
        stop.Parameters.AddWithValue(runId);
        stop.Parameters.AddWithValue(environment);
        stop.Parameters.AddWithValue(reason);
        stop.Parameters.AddWithValue(NpgsqlTypes.NpgsqlDbType.Text, (object?)by ?? DBNull.Value);
        await using var reader = await stop.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken)
            ? (reader.GetGuid(0), DeploymentStatusNames.Parse(reader.GetString(1)), reader.GetBoolean(2))
            : null;
    }

    /// <summary>Whether a deployment was canceled (a worker in another instance polls it while it works the deployment).</summary>
    public async Task<bool> IsCanceledAsync(Guid id, CancellationToken cancellationToken)
    {
        await using var read = database.DataSource.CreateCommand("SELECT status = 'canceled' FROM deployments WHERE id = $1");
        read.Parameters.AddWithValue(id);
        return await read.ExecuteScalarAsync(cancellationToken) is true;
    }

    /// <summary>Marks a run as deployed by its own deploy stage, so <see cref="ClaimFinishedRunsAsync"/> never hands it to the automatic deployer.</summary>
    public async Task ClaimRunForStageAsync(Guid runId, string outcome, CancellationToken cancellationToken)
    {
        await using var claim = database.DataSource.CreateCommand("""
            INSERT INTO deployment_run_checks (run_id, outcome) VALUES ($1, $2)
            ON CONFLICT (run_id) DO UPDATE SET outcome = excluded.outcome
            """);
        claim.Parameters.AddWithValue(runId);
        claim.Parameters.AddWithValue(outcome.Length > 500 ? outcome[..500] : outcome);
        await claim.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<Deployment?> GetAsync(Guid projectId, Guid id, CancellationToken cancellationToken)
    {
        await using var read = database.DataSource.CreateCommand($"SELECT {Columns} FROM deployments WHERE project_id = $1 AND id = $2");
        read.Parameters.AddWithValue(projectId);
        read.Parameters.AddWithValue(id);
        return (await ReadAllAsync(read, cancellationToken)).FirstOrDefault();
    }

    /// <summary>Newest first.</summary>
    public async Task<IReadOnlyList<Deployment>> ListAsync(Guid projectId, string? environment, int limit, CancellationToken cancellationToken)
    {
        await using var read = database.DataSource.CreateCommand($"""
            SELECT {Columns} FROM deployments
            WHERE project_id = $1 AND ($2::text IS NULL OR environment = $2)
            ORDER BY created_at DESC, id DESC LIMIT $3
            """);
        read.Parameters.AddWithValue(projectId);
        read.Parameters.AddWithValue(NpgsqlTypes.NpgsqlDbType.Text, (object?)environment ?? DBNull.Value);
        read.Parameters.AddWithValue(limit);
        return await ReadAllAsync(read, cancellationToken);
    }

    /// <summary>The oldest pending deployment of an environment nothing else is deploying to, now 'deploying'.</summary>
    public async Task<Deployment?> ClaimNextAsync(CancellationToken cancellationToken)
    {
        await using var claim = database.DataSource.CreateCommand($"""
            UPDATE deployments SET status = 'deploying', started_at = clock_timestamp()
            WHERE id = (
                SELECT d.id FROM deployments d
                WHERE d.status = 'pending'
                  AND NOT EXISTS (SELECT 1 FROM deployments o WHERE o.project_id = d.project_id AND o.environment = d.environment AND o.status = 'deploying')
                ORDER BY d.created_at LIMIT 1
                FOR UPDATE SKIP LOCKED)
            RETURNING {Columns}
            """);
        return (await ReadAllAsync(claim, cancellationToken)).FirstOrDefault();
    }

    public async Task<Deployment?> CurrentAsync(Guid projectId, string environment, CancellationToken cancellationToken)
    {
        await using var read = database.DataSource.CreateCommand($"SELECT {Columns} FROM deployments WHERE project_id = $1 AND environment = $2 AND status = 'current'");
        read.Parameters.AddWithValue(projectId);
        read.Parameters.AddWithValue(environment);
        return (await ReadAllAsync(read, cancellationToken)).FirstOrDefault();
    }

    /// <summary>The last release of the environment before <paramref name="before"/> that once passed its health check.</summary>
    public async Task<Deployment?> PreviousHealthyAsync(Deployment before, CancellationToken cancellationToken)
    {
        await using var read = database.DataSource.CreateCommand($"""
            SELECT {Columns} FROM deployments
            WHERE project_id = $1 AND environment = $2 AND created_at < $3 AND id <> $4
              AND status IN ('current', 'superseded', 'stopped') AND healthy
            ORDER BY created_at DESC LIMIT 1
            """);
        read.Parameters.AddWithValue(before.ProjectId);
        read.Parameters.AddWithValue(before.Environment);
        read.Parameters.AddWithValue(before.CreatedAt);
        read.Parameters.AddWithValue(before.Id);
        return (await ReadAllAsync(read, cancellationToken)).FirstOrDefault();
    }

    /// <summary>
    /// Ends a deployment. A success supersedes the environment's current release in the same
    /// transaction, so there is never a moment with two current ones or none. A deployment that is no longer
    /// 'deploying' (its deploy stage stopped it meanwhile) is left as it is.
    /// </summary>
    /// <returns>Whether the end was recorded, and the release that was current before (to stop), if any.</returns>
    public async Task<(bool Recorded, Deployment? Previous)> CompleteAsync(Deployment deployment, DeploymentResult result, CancellationToken cancellationToken)
    {
        await using var connection = await database.DataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var check = new NpgsqlCommand("SELECT status FROM deployments WHERE id = $1 FOR UPDATE", connection, transaction))
        {
            check.Parameters.AddWithValue(deployment.Id);
            if (await check.ExecuteScalarAsync(cancellationToken) as string != "deploying")
            {
                await transaction.RollbackAsync(cancellationToken);
                return (false, null);
            }
        }

        Deployment? previous = null;
        if (result.Succeeded)
        {
            await using var supersede = new NpgsqlCommand($"""
                UPDATE deployments SET status = 'superseded', finished_at = COALESCE(finished_at, clock_timestamp())
                WHERE project_id = $1 AND environment = $2 AND status = 'current' AND id <> $3
                RETURNING {Columns}
                """, connection, transaction);
            supersede.Parameters.AddWithValue(deployment.ProjectId);
            supersede.Parameters.AddWithValue(deployment.Environment);
            supersede.Parameters.AddWithValue(deployment.Id);
            previous = (await ReadAllAsync(supersede, cancellationToken)).FirstOrDefault();
        }

        await using var update = new NpgsqlCommand("""
            UPDATE deployments SET status = $2, release_dir = $3, port = $4, url = $5, pid = $6, healthy = $7, health = $8, error = $9,
                finished_at = clock_timestamp()
            WHERE id = $1
            """, connection, transaction);
        update.Parameters.AddWithValue(deployment.Id);
        update.Parameters.AddWithValue((result.Succeeded ? DeploymentStatus.Current : DeploymentStatus.Failed).ToWire());
        update.Parameters.AddWithValue(NpgsqlTypes.NpgsqlDbType.Text, (object?)result.ReleaseDirectory ?? DBNull.Value);
        update.Parameters.AddWithValue(NpgsqlTypes.NpgsqlDbType.Integer, (object?)result.Port ?? DBNull.Value);
        update.Parameters.AddWithValue(NpgsqlTypes.NpgsqlDbType.Text, (object?)result.Url ?? DBNull.Value);
        update.Parameters.AddWithValue(NpgsqlTypes.NpgsqlDbType.Integer, (object?)result.Pid ?? DBNull.Value);
        update.Parameters.AddWithValue(NpgsqlTypes.NpgsqlDbType.Boolean, (object?)result.Healthy ?? DBNull.Value);
        update.Parameters.AddWithValue(NpgsqlTypes.NpgsqlDbType.Text, (object?)result.Health ?? DBNull.Value);
        update.Parameters.AddWithValue(NpgsqlTypes.NpgsqlDbType.Text, (object?)result.Error ?? DBNull.Value);
        await update.ExecuteNonQueryAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return (true, previous);
    }

    /// <summary>A current release brought back after a restart (new process id) or given up on ('stopped').</summary>
    public async Task UpdateCurrentAsync(Guid id, int? pid, string? error, CancellationToken cancellationToken)
    {
        await using var update = database.DataSource.CreateCommand("""
            UPDATE deployments SET pid = $2, error = $3, status = CASE WHEN $2::integer IS NULL THEN 'stopped' ELSE status END
            WHERE id = $1 AND status = 'current'
            """);
        update.Parameters.AddWithValue(id);
        update.Parameters.AddWithValue(NpgsqlTypes.NpgsqlDbType.Integer, (object?)pid ?? DBNull.Value);
        update.Parameters.AddWithValue(NpgsqlTypes.NpgsqlDbType.Text, (object?)error ?? DBNull.Value);
        await update.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Deployments a crash interrupted go back to the queue (they start again from scratch).</summary>
    public async Task<int> RequeueInterruptedAsync(CancellationToken cancellationToken)
    {
        await using var update = database.DataSource.CreateCommand("UPDATE deployments SET status = 'pending', started_at = NULL WHERE status = 'deploying'");
        return await update.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<IReadOnlyList<Deployment>> CurrentLocalReleasesAsync(CancellationToken cancellationToken)
    {
        await using var read = database.DataSource.CreateCommand($"SELECT {Columns} FROM deployments WHERE status = 'current' AND target = 'local'");
        return await ReadAllAsync(read, cancellationToken);
    }

    /// <summary>Claims succeeded runs finished within <paramref name="window"/> that no instance has looked at yet.</summary>
    public async Task<IReadOnlyList<Guid>> ClaimFinishedRunsAsync(TimeSpan window, int limit, CancellationToken cancellationToken)
    {
        await using var claim = database.DataSource.CreateCommand("""
            INSERT INTO deployment_run_checks (run_id, outcome)
            SELECT r.id, 'claimed' FROM pipeline_runs r
            WHERE r.status = 'succeeded' AND r.finished_at > now() - $1
              AND NOT EXISTS (SELECT 1 FROM deployment_run_checks c WHERE c.run_id = r.id)
            ORDER BY r.finished_at LIMIT $2
            ON CONFLICT (run_id) DO NOTHING
            RETURNING run_id
            """);
        claim.Parameters.AddWithValue(window);
        claim.Parameters.AddWithValue(limit);
        await using var reader = await claim.ExecuteReaderAsync(cancellationToken);
        var runs = new List<Guid>();
        while (await reader.ReadAsync(cancellationToken))
        {
            runs.Add(reader.GetGuid(0));
        }

        return runs;
    }

    public async Task RecordRunCheckAsync(Guid runId, string outcome, CancellationToken cancellationToken)
    {
        await using var update = database.DataSource.CreateCommand("UPDATE deployment_run_checks SET outcome = $2 WHERE run_id = $1");
        update.Parameters.AddWithValue(runId);
        update.Parameters.AddWithValue(outcome.Length > 500 ? outcome[..500] : outcome);
        await update.ExecuteNonQueryAsync(cancellationToken);
    }

    private static async Task<List<Deployment>> ReadAllAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var list = new List<Deployment>();
        while (await reader.ReadAsync(cancellationToken))
        {
            list.Add(new Deployment(
                reader.GetGuid(0), reader.GetGuid(1), reader.GetString(2), reader.GetString(3), reader.GetGuid(4), reader.GetInt32(5),
                DeploymentStatusNames.Parse(reader.GetString(6)), reader.GetString(7),
                reader.IsDBNull(8) ? null : reader.GetGuid(8), Text(reader, 9), Text(reader, 10),
                reader.IsDBNull(11) ? null : reader.GetInt32(11), Text(reader, 12), reader.IsDBNull(13) ? null : reader.GetInt32(13),
                reader.IsDBNull(14) ? null : reader.GetBoolean(14), Text(reader, 15), Text(reader, 16),
                reader.GetFieldValue<DateTimeOffset>(17), reader.IsDBNull(18) ? null : reader.GetFieldValue<DateTimeOffset>(18),
                reader.IsDBNull(19) ? null : reader.GetFieldValue<DateTimeOffset>(19)));
        }

        return list;
    }

    private static string? Text(NpgsqlDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);
}
