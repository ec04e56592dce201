using DevMentor.Core.Data;
using Npgsql;

namespace DevMentor.Core.Analytics;

/// <summary>
/// The SQL of rolling up (ADR 0026). Step 1, one transaction: for each raw source, the periods of
/// rows changed since its watermark are marked dirty and the watermark moves on. Step 2, one
/// transaction per dirty period: its rollup rows are replaced by a recompute from raw rows and its
/// mark removed. A crash in either step rolls that transaction back, so nothing is lost or doubled.
/// </summary>
public sealed class RollupStore(Database database)
{
    // Source → (the column rows change by, the column they are bucketed by, the table, the rollups it feeds).
    private static readonly (string Source, string Table, string ChangedColumn, string BucketColumn, string[] Rollups)[] Sources =
    [
        ("usage", "usage_events", "recorded_at", "at", ["usage"]),
        ("runs", "pipeline_runs", "finished_at", "finished_at", ["builds", "tests"]),
        ("deployments", "deployments", "finished_at", "finished_at", ["dora"]),
        ("code", "code_syncs", "finished_at", "finished_at", ["code"]),
    ];

    /// <summary>Marks the periods of everything changed up to <paramref name="settle"/> ago; returns how many marks are new.</summary>
    /// <param name="settle">How far behind now the watermarks stay, so rows of transactions still in flight
    /// (stamped before they commit) are not skipped.</param>
    public async Task<int> MarkDirtyAsync(TimeSpan settle, CancellationToken cancellationToken)
    {
        await using var connection = await database.DataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var lockCommand = new NpgsqlCommand("SELECT pg_advisory_xact_lock(hashtext('analytics-rollup-mark'))", connection, transaction))
        {
            await lockCommand.ExecuteNonQueryAsync(cancellationToken);
        }

        var marked = 0;
        foreach (var (source, table, changed, bucket, rollups) in Sources)
        {
            await using (var ensure = new NpgsqlCommand(
                "INSERT INTO analytics_watermarks (source, changed_through) VALUES ($1, '-infinity') ON CONFLICT (source) DO NOTHING", connection, transaction))
            {
                ensure.Parameters.AddWithValue(source);
                await ensure.ExecuteNonQueryAsync(cancellationToken);
            }

            // The table and column names come from the constant list above, never from input.
            await using var mark = new NpgsqlCommand($"""
                WITH w AS (
                    SELECT changed_through AS low, greatest(changed_through, now() - make_interval(secs => $1)) AS high
                    FROM analytics_watermarks WHERE source = $2 FOR UPDATE
                ), hours AS (
                    SELECT DISTINCT date_trunc('hour', x.{bucket}, 'UTC') AS p
                    FROM {table} x, w WHERE x.{changed} > w.low AND x.{changed} <= w.high AND x.{bucket} IS NOT NULL
                ), periods AS (
                    SELECT 'hour' AS g, p FROM hours
                    UNION SELECT 'day', date_trunc('day', p, 'UTC') FROM hours
                ), marked AS (
                    INSERT INTO analytics_dirty_periods (rollup, granularity, period_start)
                    SELECT r, g, p FROM periods CROSS JOIN unnest($3::text[]) r
                    ON CONFLICT DO NOTHING
                    RETURNING 1
                ), moved AS (
                    UPDATE analytics_watermarks SET changed_through = w.high, updated_at = now() FROM w WHERE source = $2
                )
                SELECT count(*)::int FROM marked
                """, connection, transaction);
            mark.Parameters.AddWithValue(settle.TotalSeconds);
            mark.Parameters.AddWithValue(source);
            mark.Parameters.AddWithValue(rollups);
            marked += (int)(await mark.ExecuteScalarAsync(cancellationToken))!;
        }

        await transaction.CommitAsync(cancellationToken);
        return marked;
    }

    /// <summary>Up to <paramref name="limit"/> dirty periods, hours before days, oldest first.</summary>
    public async Task<IReadOnlyList<DirtyPeriod>> ListDirtyAsync(int limit, CancellationToken cancellationToken)
    {
        await using var command = database.DataSource.CreateCommand("""
            SELECT rollup, granularity, period_start FROM analytics_dirty_periods
            ORDER BY granularity DESC, period_start, rollup LIMIT $1
            """);
        command.Parameters.AddWithValue(limit);
        var periods = new List<DirtyPeriod>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            periods.Add(new DirtyPeriod(reader.GetString(0), reader.GetString(1), reader.GetFieldValue<DateTimeOffset>(2)));
        }

        return periods;
    }

    /// <summary>Recomputes one dirty period in one transaction; false when another instance holds it or it is no longer dirty.</summary>
    public async Task<bool> RecomputeAsync(DirtyPeriod period, CancellationToken cancellationToken)
    {
        await using var connection = await database.DataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var claim = new NpgsqlCommand("""
            SELECT 1 FROM analytics_dirty_periods WHERE rollup = $1 AND granularity = $2 AND period_start = $3 FOR UPDATE SKIP LOCKED
            """, connection, transaction))
        {
            AddKey(claim, period);
            if (await claim.ExecuteScalarAsync(cancellationToken) is null)
            {
                return false;
            }
        }

        var table = RollupSql.Table(period.Rollup);
        await using (var clear = new NpgsqlCommand($"DELETE FROM {table} WHERE granularity = $1 AND period_start = $2", connection, transaction))
        {
            clear.Parameters.AddWithValue(period.Granularity);
            clear.Parameters.AddWithValue(period.PeriodStart);
            await clear.ExecuteNonQueryAsync(cancellationToken);
        }

        await using (var recompute = new NpgsqlCommand(RollupSql.Recompute(period.Rollup), connection, transaction))
        {
            recompute.Parameters.AddWithValue(period.Granularity);
            recompute.Parameters.AddWithValue(period.PeriodStart);
            recompute.Parameters.AddWithValue(RollupPeriods.End(period.Granularity, period.PeriodStart));
            await recompute.ExecuteNonQueryAsync(cancellationToken);
        }

        await using (var done = new NpgsqlCommand(
            "DELETE FROM analytics_dirty_periods WHERE rollup = $1 AND granularity = $2 AND period_start = $3", connection, transaction))
        {
            AddKey(done, period);
            await done.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        return true;
    }

    private static void AddKey(NpgsqlCommand command, DirtyPeriod period)
    {
        command.Parameters.AddWithValue(period.Rollup);
        command.Parameters.AddWithValue(period.Granularity);
        command.Parameters.AddWithValue(period.PeriodStart);
    }
}
