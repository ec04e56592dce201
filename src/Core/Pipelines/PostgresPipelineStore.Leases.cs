using Npgsql;

namespace DevMentor.Core.Pipelines;

/// <summary>The step of a run whose lease a runner holds, as the lease check found it.</summary>
public sealed record HeldStep(Guid RunId, Guid ProjectId, string StepName);

/// <summary>What the log of a step attempt held before a chunk was counted.</summary>
public sealed record LoggedBytes(Guid RunId, long Before);

/// <summary>
/// The lease check, in one place: a runner writes for a step attempt (heartbeats, log chunks, test results,
/// artifacts) only while it holds that attempt's lease, so a runner that lost its step (a retry took it, the lease
/// expired) cannot touch its successor's. Parameters are always $1 step id, $2 attempt, $3 runner.
/// </summary>
public sealed partial class PostgresPipelineStore
{
    /// <summary>
    /// The attempt's holder. Log chunks need no more: the runner of a step the server ended (cancel, timeout) still
    /// writes the kill notice and the output it flushed after the end, into that attempt's own log.
    /// </summary>
    private const string HeldBy = "id = $1 AND attempt = $2 AND lease_owner = $3";

    /// <summary>The holder of an attempt still running: heartbeats, test results and artifacts.</summary>
    private const string HeldWhileRunning = HeldBy + " AND status = 'running'";

    /// <summary>Counts <paramref name="bytes"/> more on the attempt's log (a new attempt's count starts at 0).</summary>
    /// <returns>Null when the runner does not hold the attempt.</returns>
    public async Task<LoggedBytes?> CountLogBytesAsync(Guid stepId, int attempt, string owner, long bytes, CancellationToken cancellationToken)
    {
        await using var command = database.DataSource.CreateCommand($"""
            UPDATE pipeline_steps
            SET log_bytes = CASE WHEN log_attempt = $2 THEN log_bytes ELSE 0 END + $4, log_attempt = $2
            WHERE {HeldBy}
            RETURNING run_id, log_bytes - $4
            """);
        AddLeaseParameters(command.Parameters, stepId, attempt, owner);
        command.Parameters.AddWithValue(bytes);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? new LoggedBytes(reader.GetGuid(0), reader.GetInt64(1)) : null;
    }

    /// <summary>
    /// The running attempt's step, locked FOR SHARE in the caller's transaction: what the caller writes commits only
    /// while the attempt is still the running one (its completion waits for the commit).
    /// </summary>
    /// <returns>Null when the runner does not hold the running attempt.</returns>
    public async Task<HeldStep?> LockHeldStepAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid stepId, int attempt, string owner, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(HeldStepSql + " FOR SHARE", connection, transaction);
        AddLeaseParameters(command.Parameters, stepId, attempt, owner);
        return await ReadHeldStepAsync(command, cancellationToken);
    }

    /// <returns>The running attempt's step; null when the runner does not hold it.</returns>
    public async Task<HeldStep?> FindHeldStepAsync(Guid stepId, int attempt, string owner, CancellationToken cancellationToken)
    {
        await using var command = database.DataSource.CreateCommand(HeldStepSql);
        AddLeaseParameters(command.Parameters, stepId, attempt, owner);
        return await ReadHeldStepAsync(command, cancellationToken);
    }

    private const string HeldStepSql = $"""
        SELECT run_id, (SELECT project_id FROM pipeline_runs WHERE id = run_id), name FROM pipeline_steps WHERE {HeldWhileRunning}
        """;

    private static async Task<HeldStep?> ReadHeldStepAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? new HeldStep(reader.GetGuid(0), reader.GetGuid(1), reader.GetString(2)) : null;
    }

    private static void AddLeaseParameters(NpgsqlParameterCollection parameters, Guid stepId, int attempt, string owner)
    {
        parameters.AddWithValue(stepId);
        parameters.AddWithValue(attempt);
        parameters.AddWithValue(owner);
    }
}
