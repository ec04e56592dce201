using DevMentor.Core.Data;
using Npgsql;

namespace DevMentor.Core.Scheduling;

/// <summary>
/// timer_runs: one row per fired occurrence. The primary key (function, occurrence) is the claim:
/// of several instances computing the same occurrence, only the one whose insert lands fires it.
/// </summary>
public sealed class TimerRunStore(Database database)
{
    public async Task<bool> TryClaimAsync(string functionName, DateTimeOffset occurrence, string instanceId, bool isPastDue, CancellationToken cancellationToken)
    {
        await using var command = database.DataSource.CreateCommand("""
            INSERT INTO timer_runs (function_name, occurrence, instance_id, is_past_due)
            VALUES ($1, $2, $3, $4)
            ON CONFLICT (function_name, occurrence) DO NOTHING
            """);
        command.Parameters.AddWithValue(functionName);
        command.Parameters.AddWithValue(occurrence.UtcDateTime);
        command.Parameters.AddWithValue(instanceId);
        command.Parameters.AddWithValue(isPastDue);
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    public async Task CompleteAsync(string functionName, DateTimeOffset occurrence, string? error, CancellationToken cancellationToken)
    {
        await using var command = database.DataSource.CreateCommand("""
            UPDATE timer_runs SET finished_at = now(), outcome = $3, error = $4
            WHERE function_name = $1 AND occurrence = $2
            """);
        command.Parameters.AddWithValue(functionName);
        command.Parameters.AddWithValue(occurrence.UtcDateTime);
        command.Parameters.AddWithValue(error is null ? "succeeded" : "failed");
        command.Parameters.AddWithValue(error is null ? DBNull.Value : error);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<DateTimeOffset?> LastOccurrenceAsync(string functionName, CancellationToken cancellationToken)
    {
        await using var command = database.DataSource.CreateCommand("SELECT max(occurrence) FROM timer_runs WHERE function_name = $1");
        command.Parameters.AddWithValue(functionName);
        return await command.ExecuteScalarAsync(cancellationToken) is DateTime last
            ? new DateTimeOffset(DateTime.SpecifyKind(last, DateTimeKind.Utc))
            : null;
    }

    public sealed record TimerRun(string FunctionName, DateTimeOffset Occurrence, string InstanceId, bool IsPastDue, string Outcome);

    public async Task<IReadOnlyList<TimerRun>> ListAsync(string functionName, CancellationToken cancellationToken)
    {
        await using var command = database.DataSource.CreateCommand("""
            SELECT function_name, occurrence, instance_id, is_past_due, outcome
            FROM timer_runs WHERE function_name = $1 ORDER BY occurrence
            """);
        command.Parameters.AddWithValue(functionName);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var runs = new List<TimerRun>();
        while (await reader.ReadAsync(cancellationToken))
        {
            runs.Add(new TimerRun(reader.GetString(0), new DateTimeOffset(reader.GetDateTime(1), TimeSpan.Zero), reader.GetString(2), reader.GetBoolean(3), reader.GetString(4)));
        }

        return runs;
    }
}
