using DevMentor.Core.Data;
using Npgsql;

namespace DevMentor.Core.Analytics;

/// <summary>Reads the rollup tables (only rollups: a dashboard never scans raw rows).</summary>
public sealed class AnalyticsStore(Database database)
{
    public async Task<IReadOnlyList<BuildRollup>> BuildsAsync(Guid projectId, string granularity, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken) =>
        await ReadAsync("""
            SELECT period_start, branch, trigger, runs, succeeded, failed, canceled, duration_p50_ms, duration_p95_ms, queue_p50_ms, queue_p95_ms
            FROM analytics_builds WHERE granularity = $1 AND project_id = $2 AND period_start >= $3 AND period_start < $4
            ORDER BY period_start, branch, trigger
            """, projectId, granularity, from, to, r => new BuildRollup(
                r.GetFieldValue<DateTimeOffset>(0), r.GetString(1), r.GetString(2), r.GetInt32(3), r.GetInt32(4), r.GetInt32(5), r.GetInt32(6),
                Nullable(r, 7), Nullable(r, 8), Nullable(r, 9), Nullable(r, 10)), cancellationToken);

    public async Task<IReadOnlyList<TestRollup>> TestsAsync(Guid projectId, string granularity, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken) =>
        await ReadAsync("""
            SELECT period_start, runs, passed, failed, skipped, new_failures, flaky_tests, line_coverage
            FROM analytics_tests WHERE granularity = $1 AND project_id = $2 AND period_start >= $3 AND period_start < $4
            ORDER BY period_start
            """, projectId, granularity, from, to, r => new TestRollup(
                r.GetFieldValue<DateTimeOffset>(0), r.GetInt32(1), r.GetInt64(2), r.GetInt64(3), r.GetInt64(4), r.GetInt32(5), r.GetInt32(6), Nullable(r, 7)),
            cancellationToken);

    public async Task<IReadOnlyList<DoraRollup>> DoraAsync(Guid projectId, string granularity, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken) =>
        await ReadAsync("""
            SELECT period_start, environment, deployments, failed_deployments, rollbacks, lead_time_p50_s, lead_time_p95_s, restores, restore_p50_s, restore_p95_s
            FROM analytics_dora WHERE granularity = $1 AND project_id = $2 AND period_start >= $3 AND period_start < $4
            ORDER BY period_start, environment
            """, projectId, granularity, from, to, r => new DoraRollup(
                r.GetFieldValue<DateTimeOffset>(0), r.GetString(1), r.GetInt32(2), r.GetInt32(3), r.GetInt32(4), Nullable(r, 5), Nullable(r, 6),
                r.GetInt32(7), Nullable(r, 8), Nullable(r, 9)), cancellationToken);

    public async Task<IReadOnlyList<CodeRollup>> CodeAsync(Guid projectId, string granularity, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken) =>
        await ReadAsync("""
            SELECT period_start, language, commit_sha, files, code_lines, comment_lines, blank_lines, methods, complexity_total, complexity_avg, complexity_max
            FROM analytics_code WHERE granularity = $1 AND project_id = $2 AND period_start >= $3 AND period_start < $4
            ORDER BY period_start, code_lines DESC, language
            """, projectId, granularity, from, to, r => new CodeRollup(
                r.GetFieldValue<DateTimeOffset>(0), r.GetString(1), r.GetString(2), r.GetInt32(3), r.GetInt64(4), r.GetInt64(5), r.GetInt64(6), r.GetInt32(7),
                r.IsDBNull(8) ? null : r.GetInt64(8), Nullable(r, 9), r.IsDBNull(10) ? null : r.GetInt32(10)), cancellationToken);

    public async Task<IReadOnlyList<UsageRollup>> UsageAsync(string granularity, DateTimeOffset from, DateTimeOffset to, int limit, CancellationToken cancellationToken)
    {
        await using var command = database.DataSource.CreateCommand("""
            SELECT period_start, function_name, user_id, api_key_id, status_class, requests, latency_p50_ms, latency_p95_ms
            FROM analytics_usage WHERE granularity = $1 AND period_start >= $2 AND period_start < $3
            ORDER BY period_start, function_name, user_id, api_key_id, status_class
            LIMIT $4
            """);
        command.Parameters.AddWithValue(granularity);
        command.Parameters.AddWithValue(from);
        command.Parameters.AddWithValue(to);
        command.Parameters.AddWithValue(limit);
        var rows = new List<UsageRollup>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add(new UsageRollup(reader.GetFieldValue<DateTimeOffset>(0), reader.GetString(1), EmptyAsNull(reader.GetString(2)),
                EmptyAsNull(reader.GetString(3)), reader.GetString(4), reader.GetInt64(5), reader.GetDouble(6), reader.GetDouble(7)));
        }

        return rows;
    }

    private async Task<IReadOnlyList<T>> ReadAsync<T>(string sql, Guid projectId, string granularity, DateTimeOffset from, DateTimeOffset to,
        Func<NpgsqlDataReader, T> read, CancellationToken cancellationToken)
    {
        await using var command = database.DataSource.CreateCommand(sql);
        command.Parameters.AddWithValue(granularity);
        command.Parameters.AddWithValue(projectId);
        command.Parameters.AddWithValue(from);
        command.Parameters.AddWithValue(to);
        var rows = new List<T>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add(read(reader));
        }

        return rows;
    }

    private static double? Nullable(NpgsqlDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetDouble(ordinal);

    private static string? EmptyAsNull(string value) => value.Length == 0 ? null : value;
}
