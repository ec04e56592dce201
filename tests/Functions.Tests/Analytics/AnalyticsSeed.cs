using System.Globalization;
using DevMentor.Core.Data;
using Npgsql;

namespace DevMentor.Functions.Tests.Analytics;

/// <summary>
/// A small raw history on 2026-01-05 (UTC) whose rollups are computed by hand in the tests:
/// four runs (three on main at 10:xx, one canceled on a feature branch at 11:31), their test
/// results, two pushes, four production deployments (12:00 healthy, 13:00 failed, 13:30 healthy,
/// 14:00 rollback) and five usage events at 10:xx.
/// </summary>
public static class AnalyticsSeed
{
    public static DateTimeOffset At(string time) =>
        DateTimeOffset.Parse("2026-01-05T" + time + "Z", CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal);

    public static readonly Guid R1 = Guid.Parse("00000000-0000-0000-0000-0000000000a1");
    public static readonly Guid R2 = Guid.Parse("00000000-0000-0000-0000-0000000000a2");
    public static readonly Guid R3 = Guid.Parse("00000000-0000-0000-0000-0000000000a3");
    public static readonly Guid R4 = Guid.Parse("00000000-0000-0000-0000-0000000000a4");
    public static readonly Guid D3 = Guid.Parse("00000000-0000-0000-0000-0000000000d3");

    public static async Task SeedAsync(Database database, Guid project)
    {
        await ExecAsync(database, """
            INSERT INTO pipeline_runs (id, project_id, number, status, trigger, branch, commit_sha, definition, created_at, started_at, finished_at) VALUES
              ('00000000-0000-0000-0000-0000000000a1', @p1, 1, 'succeeded', 'push', 'main', 'c1', '{}', '2026-01-05T10:00:00Z', '2026-01-05T10:00:10Z', '2026-01-05T10:01:10Z'),
              ('00000000-0000-0000-0000-0000000000a2', @p1, 2, 'failed', 'push', 'main', 'c2', '{}', '2026-01-05T10:10:00Z', '2026-01-05T10:10:30Z', '2026-01-05T10:12:30Z'),
              ('00000000-0000-0000-0000-0000000000a3', @p1, 3, 'succeeded', 'push', 'main', 'c2', '{}', '2026-01-05T10:20:00Z', '2026-01-05T10:20:20Z', '2026-01-05T10:23:20Z'),
              ('00000000-0000-0000-0000-0000000000a4', @p1, 4, 'canceled', 'manual', 'feature', 'c9', '{}', '2026-01-05T11:30:00Z', '2026-01-05T11:30:05Z', '2026-01-05T11:31:05Z');
            INSERT INTO build_test_summaries (run_id, step, passed, failed, skipped, line_coverage) VALUES
              ('00000000-0000-0000-0000-0000000000a1', 'test', 10, 0, 1, 0.8),
              ('00000000-0000-0000-0000-0000000000a2', 'test', 8, 2, 1, 0.7),
              ('00000000-0000-0000-0000-0000000000a3', 'test', 10, 0, 1, 0.9);
            INSERT INTO build_test_results (run_id, step, suite, name, outcome, duration_ms) VALUES
              ('00000000-0000-0000-0000-0000000000a1', 'test', 'A', 't1', 'passed', 1),
              ('00000000-0000-0000-0000-0000000000a1', 'test', 'A', 't2', 'passed', 1),
              ('00000000-0000-0000-0000-0000000000a2', 'test', 'A', 't1', 'failed', 1),
              ('00000000-0000-0000-0000-0000000000a2', 'test', 'A', 't2', 'failed', 1),
              ('00000000-0000-0000-0000-0000000000a3', 'test', 'A', 't1', 'passed', 1),
              ('00000000-0000-0000-0000-0000000000a3', 'test', 'A', 't2', 'failed', 1);
            INSERT INTO webhook_deliveries (id, provider, delivery_id, event, headers, payload, status) VALUES
              ('00000000-0000-0000-0000-0000000000b1', 'github', 'seed-1', 'push', '{}', '', 'processed'),
              ('00000000-0000-0000-0000-0000000000b2', 'github', 'seed-2', 'push', '{}', '', 'processed');
            INSERT INTO repository_pushes (delivery_id, project_id, ref, before_sha, after_sha, commits, recorded_at) VALUES
              ('00000000-0000-0000-0000-0000000000b1', @p1, 'refs/heads/main', 'c0', 'c1',
               '[{"id":"c1a","timestamp":"2026-01-05T09:30:00Z"},{"id":"c1","timestamp":"2026-01-05T09:45:00+00:00"}]', '2026-01-05T09:50:00Z'),
              ('00000000-0000-0000-0000-0000000000b2', @p1, 'refs/heads/main', 'c1', 'c2',
               '[{"id":"c2","timestamp":"2026-01-05T10:05:00Z"},{"id":"bad","timestamp":"not a time"}]', '2026-01-05T10:06:00Z');
            INSERT INTO deployments (id, project_id, environment, target, run_id, run_number, status, trigger, rollback_of, created_at, finished_at) VALUES
              ('00000000-0000-0000-0000-0000000000d1', @p1, 'production', 'local', '00000000-0000-0000-0000-0000000000a1', 1, 'superseded', 'manual', NULL, '2026-01-05T11:59:00Z', '2026-01-05T12:00:00Z'),
              ('00000000-0000-0000-0000-0000000000d2', @p1, 'production', 'local', '00000000-0000-0000-0000-0000000000a3', 3, 'failed', 'manual', NULL, '2026-01-05T12:59:00Z', '2026-01-05T13:00:00Z'),
              ('00000000-0000-0000-0000-0000000000d3', @p1, 'production', 'local', '00000000-0000-0000-0000-0000000000a3', 3, 'superseded', 'manual', NULL, '2026-01-05T13:29:00Z', '2026-01-05T13:30:00Z'),
              ('00000000-0000-0000-0000-0000000000d4', @p1, 'production', 'local', '00000000-0000-0000-0000-0000000000a1', 1, 'current', 'rollback', '00000000-0000-0000-0000-0000000000d3', '2026-01-05T13:59:00Z', '2026-01-05T14:00:00Z');
            INSERT INTO usage_events (at, function_name, status, duration_ms, user_id, api_key_id) VALUES
              ('2026-01-05T10:00:01Z', 'GetProject', 200, 10, 'alice', NULL),
              ('2026-01-05T10:10:01Z', 'GetProject', 200, 20, 'alice', NULL),
              ('2026-01-05T10:20:01Z', 'GetProject', 200, 30, 'alice', NULL),
              ('2026-01-05T10:30:01Z', 'GetProject', 200, 40, 'alice', NULL),
              ('2026-01-05T10:40:01Z', 'GetProject', 404, 5, NULL, NULL);
            """, project);
    }

    public static async Task ExecAsync(Database database, string sql, params object[] parameters)
    {
        // Named parameters: Npgsql then splits a script of several statements.
        await using var batch = database.DataSource.CreateCommand(sql);
        for (var i = 0; i < parameters.Length; i++)
        {
            batch.Parameters.AddWithValue("p" + (i + 1).ToString(CultureInfo.InvariantCulture), parameters[i]);
        }

        await batch.ExecuteNonQueryAsync();
    }

    /// <summary>Every rollup row, as text, in a fixed order: equal dumps mean equal tables.</summary>
    public static async Task<string> DumpAsync(Database database)
    {
        var text = new System.Text.StringBuilder();
        foreach (var table in new[] { "analytics_builds", "analytics_tests", "analytics_dora", "analytics_usage" })
        {
            await using var command = database.DataSource.CreateCommand($"SELECT t::text FROM {table} t ORDER BY t::text");
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                text.Append(table).Append(' ').AppendLine(reader.GetString(0));
            }
        }

        return text.ToString();
    }

    public static async Task<T?> ScalarAsync<T>(Database database, string sql, params object[] parameters)
    {
        await using var command = database.DataSource.CreateCommand(sql);
        foreach (var p in parameters)
        {
            command.Parameters.AddWithValue(p);
        }

        var value = await command.ExecuteScalarAsync();
        return value is null or DBNull ? default : (T)value;
    }
}
