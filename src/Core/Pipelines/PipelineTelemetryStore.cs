using DevMentor.Core.Data;
using Npgsql;

namespace DevMentor.Core.Pipelines;

/// <summary>
/// The SQL of <see cref="PipelineTelemetry"/>, kept apart from <see cref="PostgresPipelineStore"/>:
/// it reads only what any engine keeps of a run (its row and its steps' rows), so the engine's
/// store can be rewritten without touching it.
/// </summary>
public sealed class PipelineTelemetryStore(Database database)
{
    public sealed record EndedStep(string Name, int Position, string Status, int Attempt, DateTimeOffset? StartedAt, DateTimeOffset? FinishedAt, int? ExitCode);

    public sealed record EndedRun(Guid RunId, Guid ProjectId, int Number, string Status, string Trigger, string? TraceParent,
        DateTimeOffset CreatedAt, DateTimeOffset? StartedAt, DateTimeOffset FinishedAt, List<EndedStep> Steps);

    /// <summary>Stores the context that started the run, unless one is stored already (a replayed start keeps the first).</summary>
    public async Task SetTraceParentAsync(Guid runId, string traceparent, CancellationToken cancellationToken)
    {
        await using var update = database.DataSource.CreateCommand("UPDATE pipeline_runs SET traceparent = $2 WHERE id = $1 AND traceparent IS NULL");
        update.Parameters.AddWithValue(runId);
        update.Parameters.AddWithValue(traceparent);
        await update.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Ended runs nobody has reported yet, with their steps; claimed (traced_at) in the same statement.</summary>
    public async Task<IReadOnlyList<EndedRun>> ClaimEndedAsync(int limit, CancellationToken cancellationToken)
    {
        await using var claim = database.DataSource.CreateCommand("""
            WITH claimed AS (
                UPDATE pipeline_runs SET traced_at = now()
                WHERE id IN (
                    SELECT id FROM pipeline_runs
                    WHERE traced_at IS NULL AND finished_at IS NOT NULL
                    ORDER BY finished_at
                    LIMIT $1
                    FOR UPDATE SKIP LOCKED)
                RETURNING id, project_id, number, status, trigger, traceparent, created_at, started_at, finished_at)
            SELECT c.id, c.project_id, c.number, c.status, c.trigger, c.traceparent, c.created_at, c.started_at, c.finished_at,
                   s.name, s.position, s.status, s.attempt, s.started_at, s.finished_at, s.exit_code
            FROM claimed c LEFT JOIN pipeline_steps s ON s.run_id = c.id
            ORDER BY c.finished_at, c.id, s.position
            """);
        claim.Parameters.AddWithValue(limit);
        var runs = new List<EndedRun>();
        await using var reader = await claim.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var runId = reader.GetGuid(0);
            if (runs.Count == 0 || runs[^1].RunId != runId)
            {
                runs.Add(new EndedRun(runId, reader.GetGuid(1), reader.GetInt32(2), reader.GetString(3), reader.GetString(4),
                    reader.IsDBNull(5) ? null : reader.GetString(5), Time(reader, 6)!.Value, Time(reader, 7), Time(reader, 8)!.Value, []));
            }

            if (!reader.IsDBNull(9))
            {
                runs[^1].Steps.Add(new EndedStep(reader.GetString(9), reader.GetInt32(10), reader.GetString(11), reader.GetInt32(12),
                    Time(reader, 13), Time(reader, 14), reader.IsDBNull(15) ? null : reader.GetInt32(15)));
            }
        }

        return runs;
    }

    /// <summary>Queued steps and runs waiting for a slot; synchronous, for an observable gauge read at scrape time.</summary>
    public (long Steps, long Runs) QueueDepth()
    {
        using var count = database.DataSource.CreateCommand("""
            SELECT (SELECT count(*) FROM pipeline_steps WHERE status = 'queued'),
                   (SELECT count(*) FROM pipeline_runs WHERE status = 'queued')
            """);
        count.CommandTimeout = 2;
        using var reader = count.ExecuteReader();
        reader.Read();
        return (reader.GetInt64(0), reader.GetInt64(1));
    }

    private static DateTimeOffset? Time(NpgsqlDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : new DateTimeOffset(reader.GetDateTime(ordinal), TimeSpan.Zero);
}
