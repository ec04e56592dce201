using DevMentor.Core.Pipelines.Reports;
using DevMentor.Core.Data;
using Npgsql;
using NpgsqlTypes;

namespace DevMentor.Core.Pipelines.Results;

/// <summary>A run's summary over every step that wrote reports: what the run view shows.</summary>
public sealed record RunTestSummary(int Passed, int Failed, int Skipped, double? Coverage, double? BranchCoverage);

/// <summary>One stored test result; <see cref="Seq"/> is the page cursor.</summary>
public sealed record StoredTestResult(long Seq, string Step, string Suite, string Name, TestOutcome Outcome, long DurationMs, string? Message);

public sealed record TestResultPage(IReadOnlyList<StoredTestResult> Items, long? NextCursor);

/// <summary>Per-test results and per-step summaries in PostgreSQL (migration 0005).</summary>
public sealed class TestResultStore(Database database)
{
    /// <summary>Replaces what <paramref name="step"/> reported before (a retried attempt reports again).</summary>
    public async Task ReplaceAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid runId, string step, TestSummary summary, CancellationToken cancellationToken)
    {
        await using (var clear = new NpgsqlBatch(connection, transaction))
        {
            foreach (var table in new[] { "build_test_results", "build_test_summaries" })
            {
                var delete = new NpgsqlBatchCommand($"DELETE FROM {table} WHERE run_id = $1 AND step = $2");
                delete.Parameters.AddWithValue(runId);
                delete.Parameters.AddWithValue(step);
                clear.BatchCommands.Add(delete);
            }

            var insert = new NpgsqlBatchCommand("""
                INSERT INTO build_test_summaries (run_id, step, passed, failed, skipped, line_coverage, branch_coverage)
                VALUES ($1, $2, $3, $4, $5, $6, $7)
                """);
            insert.Parameters.AddWithValue(runId);
            insert.Parameters.AddWithValue(step);
            insert.Parameters.AddWithValue(summary.Passed);
            insert.Parameters.AddWithValue(summary.Failed);
            insert.Parameters.AddWithValue(summary.Skipped);
            insert.Parameters.Add(new NpgsqlParameter { Value = (object?)summary.Coverage ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Double });
            insert.Parameters.Add(new NpgsqlParameter { Value = (object?)summary.BranchCoverage ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Double });
            clear.BatchCommands.Add(insert);
            await clear.ExecuteNonQueryAsync(cancellationToken);
        }

        // Binary COPY: a large suite's thousands of rows in one round trip.
        await using var import = await connection.BeginBinaryImportAsync(
            "COPY build_test_results (run_id, step, suite, name, outcome, duration_ms, message) FROM STDIN (FORMAT BINARY)", cancellationToken);
        foreach (var test in summary.Items)
        {
            await import.StartRowAsync(cancellationToken);
            await import.WriteAsync(runId, NpgsqlDbType.Uuid, cancellationToken);
            await import.WriteAsync(step, NpgsqlDbType.Text, cancellationToken);
            await import.WriteAsync(Clean(test.Suite), NpgsqlDbType.Text, cancellationToken);
            await import.WriteAsync(Clean(test.Name), NpgsqlDbType.Text, cancellationToken);
            await import.WriteAsync(OutcomeName(test.Outcome), NpgsqlDbType.Text, cancellationToken);
            await import.WriteAsync(Math.Max(0, test.DurationMs), NpgsqlDbType.Bigint, cancellationToken);
            if (test.Message is null)
            {
                await import.WriteNullAsync(cancellationToken);
            }
            else
            {
                await import.WriteAsync(Clean(test.Message), NpgsqlDbType.Text, cancellationToken);
            }
        }

        await import.CompleteAsync(cancellationToken);
    }

    /// <summary>Null when no step of the run reported tests.</summary>
    public async Task<RunTestSummary?> SummaryAsync(Guid runId, CancellationToken cancellationToken)
    {
        await using var command = database.DataSource.CreateCommand("""
            SELECT sum(passed)::int, sum(failed)::int, sum(skipped)::int, max(line_coverage), max(branch_coverage), count(*)::int
            FROM build_test_summaries WHERE run_id = $1
            """);
        command.Parameters.AddWithValue(runId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        if (reader.GetInt32(5) == 0)
        {
            return null;
        }

        return new RunTestSummary(reader.GetInt32(0), reader.GetInt32(1), reader.GetInt32(2),
            reader.IsDBNull(3) ? null : reader.GetDouble(3), reader.IsDBNull(4) ? null : reader.GetDouble(4));
    }

    public async Task<TestResultPage> ListAsync(Guid runId, TestOutcome? outcome, long? after, int limit, CancellationToken cancellationToken)
    {
        await using var command = database.DataSource.CreateCommand("""
            SELECT seq, step, suite, name, outcome, duration_ms, message FROM build_test_results
            WHERE run_id = $1 AND ($2::text IS NULL OR outcome = $2) AND seq > $3
            ORDER BY seq
            LIMIT $4
            """);
        command.Parameters.AddWithValue(runId);
        command.Parameters.Add(new NpgsqlParameter { Value = outcome is { } o ? OutcomeName(o) : DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.AddWithValue(after ?? 0L);
        command.Parameters.AddWithValue(limit + 1);
        var items = new List<StoredTestResult>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            items.Add(new StoredTestResult(reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), ParseOutcome(reader.GetString(4)),
                reader.GetInt64(5), reader.IsDBNull(6) ? null : reader.GetString(6)));
        }

        var more = items.Count > limit;
        if (more)
        {
            items.RemoveAt(items.Count - 1);
        }

        return new TestResultPage(items, more ? items[^1].Seq : null);
    }

    public static string OutcomeName(TestOutcome outcome) => outcome switch
    {
        TestOutcome.Passed => "passed",
        TestOutcome.Failed => "failed",
        _ => "skipped",
    };

    public static bool TryParseOutcome(string? value, out TestOutcome outcome)
    {
        foreach (var candidate in Enum.GetValues<TestOutcome>())
        {
            if (OutcomeName(candidate) == value)
            {
                outcome = candidate;
                return true;
            }
        }

        outcome = default;
        return false;
    }

    private static TestOutcome ParseOutcome(string value) => TryParseOutcome(value, out var outcome) ? outcome : TestOutcome.Skipped;

    // PostgreSQL text cannot hold NUL, which a test name or message may carry.
    private static string Clean(string text) => text.Replace('\0', '\uFFFD');
}
