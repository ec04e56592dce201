using System.Text.Json;
using DevMentor.Core.Data;
using DevMentor.Core.Templates;
using Npgsql;
using NpgsqlTypes;

namespace DevMentor.Core.Creation;

/// <summary>All SQL of the creation flow: the flow's row and its steps' rows.</summary>
public sealed class CreationStore(Database database)
{
    /// <summary>The flow and its pending steps, in the project's own transaction.</summary>
    public static async Task InsertAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid projectId, string template, string provider, TemplateValues values,
        bool protectBranch, string createdBy, CancellationToken cancellationToken)
    {
        await using (var insert = new NpgsqlCommand("""
            INSERT INTO project_creations (project_id, template, provider, template_values, created_by, protect_branch) VALUES ($1, $2, $3, $4, $5, $6)
            """, connection, transaction))
        {
            insert.Parameters.AddWithValue(projectId);
            insert.Parameters.AddWithValue(template);
            insert.Parameters.AddWithValue(provider);
            insert.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Jsonb, Value = JsonSerializer.Serialize(values, CreationJsonContext.Default.TemplateValues) });
            insert.Parameters.AddWithValue(createdBy);
            insert.Parameters.AddWithValue(protectBranch);
            await insert.ExecuteNonQueryAsync(cancellationToken);
        }

        await using var steps = new NpgsqlCommand("""
            INSERT INTO project_creation_steps (project_id, position, name) SELECT $1, position, name FROM unnest($2::text[]) WITH ORDINALITY AS s (name, position)
            """, connection, transaction);
        steps.Parameters.AddWithValue(projectId);
        steps.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. CreationSteps.All] });
        await steps.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<CreationRequest?> GetRequestAsync(Guid projectId, CancellationToken cancellationToken)
    {
        await using var get = database.DataSource.CreateCommand("SELECT template, provider, template_values::text, protect_branch FROM project_creations WHERE project_id = $1");
        get.Parameters.AddWithValue(projectId);
        await using var reader = await get.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken)
            ? new CreationRequest(projectId, reader.GetString(0), reader.GetString(1), JsonSerializer.Deserialize(reader.GetString(2), CreationJsonContext.Default.TemplateValues)!, reader.GetBoolean(3))
            : null;
    }

    public async Task<ProjectCreation?> GetAsync(Guid projectId, string? cloneUrl, CancellationToken cancellationToken)
    {
        await using var batch = database.DataSource.CreateBatch();
        batch.BatchCommands.Add(new NpgsqlBatchCommand("""
            SELECT template, provider, status, attempt, first_build_id, created_at, updated_at FROM project_creations WHERE project_id = $1
            """) { Parameters = { new NpgsqlParameter { Value = projectId } } });
        batch.BatchCommands.Add(new NpgsqlBatchCommand("""
            SELECT name, state, attempts, started_at, finished_at, detail, error FROM project_creation_steps WHERE project_id = $1 ORDER BY position
            """) { Parameters = { new NpgsqlParameter { Value = projectId } } });
        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return null;
        }

        var (template, provider, status, attempt) = (reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetInt32(3));
        var firstBuild = reader.IsDBNull(4) ? (Guid?)null : reader.GetGuid(4);
        var (createdAt, updatedAt) = (reader.GetFieldValue<DateTimeOffset>(5), reader.GetFieldValue<DateTimeOffset>(6));
        await reader.NextResultAsync(cancellationToken);
        var steps = new List<CreationStep>();
        while (await reader.ReadAsync(cancellationToken))
        {
            steps.Add(new CreationStep(reader.GetString(0), reader.GetString(1), reader.GetInt32(2),
                reader.IsDBNull(3) ? null : reader.GetFieldValue<DateTimeOffset>(3), reader.IsDBNull(4) ? null : reader.GetFieldValue<DateTimeOffset>(4),
                reader.IsDBNull(5) ? null : reader.GetString(5), reader.IsDBNull(6) ? null : reader.GetString(6)));
        }

        return new ProjectCreation(projectId, template, provider, status, attempt, cloneUrl, firstBuild, steps, createdAt, updatedAt);
    }

    /// <returns>The step's state and detail before this call; the step is now running (unless it had succeeded: then nothing changed).</returns>
    public async Task<(string State, string? Detail)> StartStepAsync(Guid projectId, string step, CancellationToken cancellationToken)
    {
        // The FROM subquery reads the row as it was before this statement: its old state comes back.
        await using var start = database.DataSource.CreateCommand("""
            UPDATE project_creation_steps AS s SET
                state = CASE WHEN o.state = 'succeeded' THEN s.state ELSE 'running' END,
                attempts = CASE WHEN o.state = 'succeeded' THEN s.attempts ELSE s.attempts + 1 END,
                started_at = CASE WHEN o.state = 'succeeded' THEN s.started_at ELSE now() END,
                finished_at = CASE WHEN o.state = 'succeeded' THEN s.finished_at END,
                error = CASE WHEN o.state = 'succeeded' THEN s.error END
            FROM (SELECT project_id, name, state, detail FROM project_creation_steps WHERE project_id = $1 AND name = $2) AS o
            WHERE s.project_id = o.project_id AND s.name = o.name
            RETURNING o.state, o.detail
            """);
        start.Parameters.AddWithValue(projectId);
        start.Parameters.AddWithValue(step);
        await using var reader = await start.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken)
            ? (reader.GetString(0), reader.IsDBNull(1) ? null : reader.GetString(1))
            : throw new InvalidOperationException($"Project {projectId} has no creation step {step}.");
    }

    /// <summary>Ends a step; a failure fails the flow, the last step's success completes it.</summary>
    public async Task FinishStepAsync(Guid projectId, string step, bool succeeded, string? detail, string? error, CancellationToken cancellationToken)
    {
        await using var batch = database.DataSource.CreateBatch();
        batch.BatchCommands.Add(new NpgsqlBatchCommand("""
            UPDATE project_creation_steps SET state = $3, finished_at = now(), detail = COALESCE($4, detail), error = $5 WHERE project_id = $1 AND name = $2
            """) { Parameters = { new NpgsqlParameter { Value = projectId }, new NpgsqlParameter { Value = step }, new NpgsqlParameter { Value = succeeded ? "succeeded" : "failed" },
                new NpgsqlParameter { Value = (object?)detail ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text }, new NpgsqlParameter { Value = (object?)error ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text } } });
        batch.BatchCommands.Add(new NpgsqlBatchCommand("""
            UPDATE project_creations SET updated_at = now(),
                status = CASE WHEN NOT $2 THEN 'failed'
                              WHEN NOT EXISTS (SELECT 1 FROM project_creation_steps WHERE project_id = $1 AND state <> 'succeeded') THEN 'succeeded'
                              ELSE status END
            WHERE project_id = $1
            """) { Parameters = { new NpgsqlParameter { Value = projectId }, new NpgsqlParameter { Value = succeeded } } });
        await batch.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task SetFirstBuildAsync(Guid projectId, Guid runId, CancellationToken cancellationToken)
    {
        await using var update = database.DataSource.CreateCommand("UPDATE project_creations SET first_build_id = $2, updated_at = now() WHERE project_id = $1");
        update.Parameters.AddWithValue(projectId);
        update.Parameters.AddWithValue(runId);
        await update.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <returns>The new attempt number, or null when the flow has not failed (nothing to retry, or a retry runs already).</returns>
    public async Task<int?> ClaimRetryAsync(Guid projectId, CancellationToken cancellationToken)
    {
        await using var claim = database.DataSource.CreateCommand("""
            UPDATE project_creations SET status = 'running', attempt = attempt + 1, updated_at = now() WHERE project_id = $1 AND status = 'failed' RETURNING attempt
            """);
        claim.Parameters.AddWithValue(projectId);
        return await claim.ExecuteScalarAsync(cancellationToken) is int attempt ? attempt : null;
    }

    /// <summary>The flow could not be scheduled: failed, the reason on its first unfinished step.</summary>
    public async Task FailUnstartedAsync(Guid projectId, string error, CancellationToken cancellationToken)
    {
        await using var batch = database.DataSource.CreateBatch();
        batch.BatchCommands.Add(new NpgsqlBatchCommand("""
            UPDATE project_creation_steps SET error = $2
            WHERE project_id = $1 AND position = (SELECT min(position) FROM project_creation_steps WHERE project_id = $1 AND state <> 'succeeded')
            """) { Parameters = { new NpgsqlParameter { Value = projectId }, new NpgsqlParameter { Value = error } } });
        batch.BatchCommands.Add(new NpgsqlBatchCommand("UPDATE project_creations SET status = 'failed', updated_at = now() WHERE project_id = $1")
            { Parameters = { new NpgsqlParameter { Value = projectId } } });
        await batch.ExecuteNonQueryAsync(cancellationToken);
    }
}
