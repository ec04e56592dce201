using System.Text;
using DevMentor.Core.Data;

namespace DevMentor.Core.Pipelines;

/// <summary>
/// Step logs as rows of <c>pipeline_step_logs</c>: the first adapter, before logs moved to the blob
/// store (<see cref="BlobStepLogStore"/>, what the service uses). bench/pipeline still measures the engine with it.
/// </summary>
public sealed class PostgresStepLogStore(Database database) : IStepLogStore
{
    public async Task<bool> AppendAsync(Guid stepId, int attempt, string owner, string text, CancellationToken cancellationToken)
    {
        await using var command = database.DataSource.CreateCommand("""
            INSERT INTO pipeline_step_logs (step_id, attempt, text)
            SELECT id, $2, $4 FROM pipeline_steps WHERE id = $1 AND attempt = $2 AND lease_owner = $3
            """);
        command.Parameters.AddWithValue(stepId);
        command.Parameters.AddWithValue(attempt);
        command.Parameters.AddWithValue(owner);
        // PostgreSQL text cannot hold NUL; a binary-ish log line must not fail the step.
        command.Parameters.AddWithValue(text.Replace('\0', '\uFFFD'));
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    public async Task<string?> ReadAsync(Guid projectId, Guid runId, string stepName, CancellationToken cancellationToken)
    {
        await using var command = database.DataSource.CreateCommand("""
            SELECT s.id, l.attempt, l.text
            FROM pipeline_steps s
            JOIN pipeline_runs r ON r.id = s.run_id AND r.project_id = $1
            LEFT JOIN pipeline_step_logs l ON l.step_id = s.id
            WHERE s.run_id = $2 AND s.name = $3
            ORDER BY l.id
            """);
        command.Parameters.AddWithValue(projectId);
        command.Parameters.AddWithValue(runId);
        command.Parameters.AddWithValue(stepName);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var found = false;
        var log = new StringBuilder();
        var attempt = 0;
        while (await reader.ReadAsync(cancellationToken))
        {
            found = true;
            if (reader.IsDBNull(1))
            {
                continue;
            }

            var chunkAttempt = reader.GetInt32(1);
            if (chunkAttempt != attempt)
            {
                attempt = chunkAttempt;
                log.Append("==> attempt ").Append(attempt).Append('\n');
            }

            log.Append(reader.GetString(2));
        }

        return found ? log.ToString() : null;
    }

    public async Task<StepLogChunks?> ReadAfterAsync(Guid projectId, Guid runId, string stepName, long afterId, CancellationToken cancellationToken)
    {
        await using var command = database.DataSource.CreateCommand("""
            SELECT s.status, l.id, l.attempt, l.text
            FROM pipeline_steps s
            JOIN pipeline_runs r ON r.id = s.run_id AND r.project_id = $1
            LEFT JOIN pipeline_step_logs l ON l.step_id = s.id AND l.id > $4
            WHERE s.run_id = $2 AND s.name = $3
            ORDER BY l.id
            LIMIT 1000
            """);
        command.Parameters.AddWithValue(projectId);
        command.Parameters.AddWithValue(runId);
        command.Parameters.AddWithValue(stepName);
        command.Parameters.AddWithValue(afterId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        StepStatus? status = null;
        var chunks = new List<(long, int, string)>();
        while (await reader.ReadAsync(cancellationToken))
        {
            status = PipelineStatusNames.ParseStep(reader.GetString(0));
            if (!reader.IsDBNull(1))
            {
                chunks.Add((reader.GetInt64(1), reader.GetInt32(2), reader.GetString(3)));
            }
        }

        return status is { } found ? new StepLogChunks(found, chunks) : null;
    }
}
