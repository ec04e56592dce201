using System.Text.Json;
using DevMentor.Core.Pipelines.Orchestration;
using Npgsql;
using NpgsqlTypes;

namespace DevMentor.Core.Pipelines;

/// <summary>A run's wait for a deployment approval, as users see it.</summary>
/// <param name="Status">waiting, approved, rejected, expired or canceled.</param>
public sealed record RunApproval(string Environment, IReadOnlyList<string> Approvers, string Status, DateTimeOffset RequestedAt, DateTimeOffset ExpiresAt,
    string? DecidedBy, DateTimeOffset? DecidedAt, string? Comment);

/// <summary>
/// Deployment approvals: the orchestration's activities request and expire them; a user's decision is recorded with
/// its history event and its outbox row in one transaction, so the waiting orchestration always hears of it.
/// </summary>
public sealed partial class PostgresPipelineStore
{
    public async Task RequestApprovalAsync(ApprovalRequest request, CancellationToken cancellationToken)
    {
        await using var command = database.DataSource.CreateCommand("""
            WITH requested AS (
                INSERT INTO pipeline_approvals (run_id, environment, approvers, status, expires_at)
                VALUES ($1, $2, $3, 'waiting', $4)
                ON CONFLICT (run_id, environment) DO NOTHING
                RETURNING environment, approvers, expires_at)
            INSERT INTO pipeline_run_events (run_id, type, data)
            SELECT $1, 'approval.requested', jsonb_build_object('environment', environment, 'approvers', to_jsonb(approvers), 'expiresAt', expires_at) FROM requested
            """);
        command.Parameters.AddWithValue(request.RunId);
        command.Parameters.AddWithValue(request.Environment);
        command.Parameters.AddWithValue(request.Approvers.ToArray());
        command.Parameters.AddWithValue(new DateTimeOffset(DateTime.SpecifyKind(request.ExpiresAt, DateTimeKind.Utc)));
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <returns>How the approval ended: expired now, or decided before; null when it is not due yet.</returns>
    public async Task<ApprovalDecision?> ExpireApprovalAsync(Guid runId, string environment, CancellationToken cancellationToken)
    {
        await using var command = database.DataSource.CreateCommand("""
            WITH expired AS (
                UPDATE pipeline_approvals SET status = 'expired', decided_at = now()
                WHERE run_id = $1 AND environment = $2 AND status = 'waiting' AND expires_at <= now()
                RETURNING environment),
            event AS (
                INSERT INTO pipeline_run_events (run_id, type, data)
                SELECT $1, 'approval.expired', jsonb_build_object('environment', environment) FROM expired)
            SELECT CASE WHEN EXISTS (SELECT 1 FROM expired) THEN 'expired' ELSE a.status END, a.decided_by, a.comment
            FROM pipeline_approvals a WHERE a.run_id = $1 AND a.environment = $2
            """);
        command.Parameters.AddWithValue(runId);
        command.Parameters.AddWithValue(environment);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return new ApprovalDecision(false, null, null, Expired: true); // never requested: nothing can approve it
        }

        return reader.GetString(0) switch
        {
            "waiting" => null,
            "approved" => new ApprovalDecision(true, NullableString(reader, 1), NullableString(reader, 2)),
            "rejected" => new ApprovalDecision(false, NullableString(reader, 1), NullableString(reader, 2)),
            _ => new ApprovalDecision(false, null, null, Expired: true),
        };
    }

    /// <summary>Records a user's decision on a waiting approval; false when it is no longer waiting (decided, expired, canceled).</summary>
    public async Task<bool> DecideApprovalAsync(Guid runId, string environment, bool approved, string by, string? comment, CancellationToken cancellationToken)
    {
        var decision = JsonSerializer.Serialize(new ApprovalDecision(approved, by, comment), PipelineJsonContext.Default.ApprovalDecision);
        await using var batch = database.DataSource.CreateBatch();
        var decide = new NpgsqlBatchCommand("""
            WITH decided AS (
                UPDATE pipeline_approvals SET status = $3, decided_by = $4, decided_at = now(), comment = $5
                WHERE run_id = $1 AND environment = $2 AND status = 'waiting'
                RETURNING environment),
            event AS (
                INSERT INTO pipeline_run_events (run_id, type, data)
                SELECT $1, 'approval.' || $3, jsonb_build_object('environment', environment, 'by', $4::text, 'comment', $5::text) FROM decided)
            INSERT INTO pipeline_outbox (run_id, kind, name, payload)
            SELECT $1, 'event', $6, $7 FROM decided
            """);
        decide.Parameters.AddWithValue(runId);
        decide.Parameters.AddWithValue(environment);
        decide.Parameters.AddWithValue(approved ? "approved" : "rejected");
        decide.Parameters.AddWithValue(by);
        decide.Parameters.Add(new NpgsqlParameter { Value = (object?)comment ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        decide.Parameters.AddWithValue(ApprovalDecision.NameFor(environment));
        decide.Parameters.Add(new NpgsqlParameter { Value = decision, NpgsqlDbType = NpgsqlDbType.Jsonb });
        batch.BatchCommands.Add(decide);
        return await batch.ExecuteNonQueryAsync(cancellationToken) > 0;
    }

    private static NpgsqlBatchCommand Approvals(Guid runId)
    {
        var command = new NpgsqlBatchCommand("""
            SELECT environment, approvers, status, requested_at, expires_at, decided_by, decided_at, comment
            FROM pipeline_approvals WHERE run_id = $1 ORDER BY requested_at, environment
            """);
        command.Parameters.AddWithValue(runId);
        return command;
    }

    private static RunApproval ReadApproval(NpgsqlDataReader reader) => new(
        reader.GetString(0), reader.GetFieldValue<string[]>(1), reader.GetString(2), reader.GetFieldValue<DateTimeOffset>(3), reader.GetFieldValue<DateTimeOffset>(4),
        NullableString(reader, 5), NullableTime(reader, 6), NullableString(reader, 7));
}
