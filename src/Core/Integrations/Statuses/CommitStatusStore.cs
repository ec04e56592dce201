using DevMentor.Core.Data;

namespace DevMentor.Core.Integrations.Statuses;

/// <summary>commit_status_reports: which runs owe their commit a status, and what was last reported.</summary>
public sealed class CommitStatusStore(Database database)
{
    public sealed record Report(Guid RunId, Guid ProjectId, string Provider, string Repository, string Sha, string? ReportedState, int Attempts);

    public async Task TrackAsync(Guid runId, Guid projectId, string provider, string repository, string sha, CancellationToken cancellationToken)
    {
        await using var insert = database.DataSource.CreateCommand("""
            INSERT INTO commit_status_reports (run_id, project_id, provider, repository, sha)
            VALUES ($1, $2, $3, $4, $5) ON CONFLICT (run_id) DO NOTHING
            """);
        insert.Parameters.AddWithValue(runId);
        insert.Parameters.AddWithValue(projectId);
        insert.Parameters.AddWithValue(provider);
        insert.Parameters.AddWithValue(repository);
        insert.Parameters.AddWithValue(sha);
        await insert.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Reports due for a look (not final yet, not backing off), oldest first.</summary>
    public async Task<IReadOnlyList<Report>> DueAsync(int limit, CancellationToken cancellationToken)
    {
        await using var due = database.DataSource.CreateCommand("""
            SELECT run_id, project_id, provider, repository, sha, reported_state, attempts
            FROM commit_status_reports
            WHERE reported_state IS DISTINCT FROM 'final' AND next_attempt_at <= now()
            ORDER BY next_attempt_at LIMIT $1
            """);
        due.Parameters.AddWithValue(limit);
        await using var reader = await due.ExecuteReaderAsync(cancellationToken);
        var reports = new List<Report>();
        while (await reader.ReadAsync(cancellationToken))
        {
            reports.Add(new Report(reader.GetGuid(0), reader.GetGuid(1), reader.GetString(2), reader.GetString(3), reader.GetString(4),
                reader.IsDBNull(5) ? null : reader.GetString(5), reader.GetInt32(6)));
        }

        return reports;
    }

    /// <param name="reportedState">"pending" or "final".</param>
    public async Task MarkReportedAsync(Guid runId, string reportedState, CancellationToken cancellationToken)
    {
        await using var update = database.DataSource.CreateCommand("""
            UPDATE commit_status_reports
            SET reported_state = $2, attempts = 0, last_error = NULL, next_attempt_at = now(), updated_at = now()
            WHERE run_id = $1
            """);
        update.Parameters.AddWithValue(runId);
        update.Parameters.AddWithValue(reportedState);
        await update.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task MarkFailedAttemptAsync(Guid runId, TimeSpan retryIn, string error, CancellationToken cancellationToken)
    {
        await using var update = database.DataSource.CreateCommand("""
            UPDATE commit_status_reports
            SET attempts = attempts + 1, last_error = $3, next_attempt_at = now() + $2, updated_at = now()
            WHERE run_id = $1
            """);
        update.Parameters.AddWithValue(runId);
        update.Parameters.AddWithValue(retryIn);
        update.Parameters.AddWithValue(error.Length > 2000 ? error[..2000] : error);
        await update.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Nothing more to report (run unknown, or gave up after many attempts).</summary>
    public Task AbandonAsync(Guid runId, string reason, CancellationToken cancellationToken) =>
        MarkFailedAndFinalAsync(runId, reason, cancellationToken);

    private async Task MarkFailedAndFinalAsync(Guid runId, string reason, CancellationToken cancellationToken)
    {
        await using var update = database.DataSource.CreateCommand("""
            UPDATE commit_status_reports SET reported_state = 'final', last_error = $2, updated_at = now() WHERE run_id = $1
            """);
        update.Parameters.AddWithValue(runId);
        update.Parameters.AddWithValue(reason);
        await update.ExecuteNonQueryAsync(cancellationToken);
    }
}
