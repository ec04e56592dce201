namespace DevMentor.Core.Analytics;

/// <summary>
/// The recompute statement of each rollup for one period: $1 granularity, $2 period start,
/// $3 period end. Each reads only raw rows (runs, test results, deployments, pushes, usage events),
/// so running it again gives the same rows, and a day is computed from raw rows like an hour
/// (percentiles do not add up from hours).
/// </summary>
internal static class RollupSql
{
    public static string Table(string rollup) => rollup switch
    {
        "usage" => "analytics_usage",
        "builds" => "analytics_builds",
        "tests" => "analytics_tests",
        "dora" => "analytics_dora",
        "code" => "analytics_code",
        _ => throw new ArgumentOutOfRangeException(nameof(rollup), rollup, "Unknown rollup."),
    };

    public static string Recompute(string rollup) => rollup switch
    {
        "usage" => Usage,
        "builds" => Builds,
        "tests" => Tests,
        "dora" => Dora,
        "code" => Code,
        _ => throw new ArgumentOutOfRangeException(nameof(rollup), rollup, "Unknown rollup."),
    };

    private const string Usage = """
        INSERT INTO analytics_usage (granularity, period_start, function_name, user_id, api_key_id, status_class,
                                     requests, latency_p50_ms, latency_p95_ms)
        SELECT $1, $2, function_name, coalesce(user_id, ''), coalesce(api_key_id::text, ''), (status / 100)::text || 'xx',
               count(*),
               percentile_cont(0.5) WITHIN GROUP (ORDER BY duration_ms),
               percentile_cont(0.95) WITHIN GROUP (ORDER BY duration_ms)
        FROM usage_events
        WHERE at >= $2 AND at < $3
        GROUP BY 3, 4, 5, 6
        """;

    // A build counts in the period it finished; queue time is creation to start, duration start to finish.
    private const string Builds = """
        INSERT INTO analytics_builds (granularity, period_start, project_id, branch, trigger, runs, succeeded, failed, canceled,
                                      duration_p50_ms, duration_p95_ms, queue_p50_ms, queue_p95_ms)
        SELECT $1, $2, project_id, coalesce(branch, ''), trigger,
               count(*),
               count(*) FILTER (WHERE status = 'succeeded'),
               count(*) FILTER (WHERE status IN ('failed', 'timed_out')),
               count(*) FILTER (WHERE status = 'canceled'),
               percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM finished_at - started_at) * 1000),
               percentile_cont(0.95) WITHIN GROUP (ORDER BY extract(epoch FROM finished_at - started_at) * 1000),
               percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM started_at - created_at) * 1000),
               percentile_cont(0.95) WITHIN GROUP (ORDER BY extract(epoch FROM started_at - created_at) * 1000)
        FROM pipeline_runs
        WHERE finished_at >= $2 AND finished_at < $3
        GROUP BY project_id, coalesce(branch, ''), trigger
        """;

    // New failure: failed in a run, not failed in the project's previous finished run on that branch
    // that had test results. Flaky: a test whose outcome differs from its outcome in an earlier run
    // of the same project on the same commit (counted in the period of the later run).
    private const string Tests = """
        WITH runs AS (
            SELECT id, project_id, branch, commit_sha, finished_at FROM pipeline_runs WHERE finished_at >= $2 AND finished_at < $3
        ), summaries AS (
            SELECT r.project_id, count(DISTINCT r.id) AS runs, sum(s.passed) AS passed, sum(s.failed) AS failed,
                   sum(s.skipped) AS skipped, avg(s.line_coverage) AS line_coverage
            FROM runs r JOIN build_test_summaries s ON s.run_id = r.id
            GROUP BY r.project_id
        ), new_failures AS (
            SELECT r.project_id, count(*) AS n
            FROM (SELECT * FROM runs WHERE EXISTS (SELECT 1 FROM build_test_results x WHERE x.run_id = runs.id AND x.outcome = 'failed')) r
            LEFT JOIN LATERAL (
                SELECT p.id FROM pipeline_runs p
                WHERE p.project_id = r.project_id AND p.branch IS NOT DISTINCT FROM r.branch AND p.finished_at < r.finished_at
                  AND EXISTS (SELECT 1 FROM build_test_summaries ps WHERE ps.run_id = p.id)
                ORDER BY p.finished_at DESC LIMIT 1) previous ON true
            CROSS JOIN LATERAL (
                SELECT DISTINCT f.suite, f.name FROM build_test_results f
                WHERE f.run_id = r.id AND f.outcome = 'failed'
                  AND NOT EXISTS (SELECT 1 FROM build_test_results pf
                                  WHERE pf.run_id = previous.id AND pf.outcome = 'failed' AND pf.suite = f.suite AND pf.name = f.name)) failures
            GROUP BY r.project_id
        ), flaky AS (
            SELECT r.project_id, count(DISTINCT t.suite || E'\x1f' || t.name) AS n
            FROM runs r JOIN build_test_results t ON t.run_id = r.id AND t.outcome IN ('passed', 'failed')
            WHERE r.commit_sha IS NOT NULL AND EXISTS (
                SELECT 1 FROM pipeline_runs o JOIN build_test_results ot ON ot.run_id = o.id
                WHERE o.project_id = r.project_id AND o.commit_sha = r.commit_sha AND o.finished_at < r.finished_at
                  AND ot.suite = t.suite AND ot.name = t.name AND ot.outcome IN ('passed', 'failed') AND ot.outcome <> t.outcome)
            GROUP BY r.project_id
        )
        INSERT INTO analytics_tests (granularity, period_start, project_id, runs, passed, failed, skipped, new_failures, flaky_tests, line_coverage)
        SELECT $1, $2, s.project_id, s.runs, s.passed, s.failed, s.skipped, coalesce(n.n, 0), coalesce(f.n, 0), s.line_coverage
        FROM summaries s
        LEFT JOIN new_failures n ON n.project_id = s.project_id
        LEFT JOIN flaky f ON f.project_id = s.project_id
        """;

    // Healthy: the release passed its health check (current, later superseded, or stopped after a restart).
    // Deployment frequency counts healthy non-rollback deployments; a change failed when its deployment
    // failed or was rolled back (rollbacks count in the period the rollback finished). Lead time: from
    // the first commit pushed to the run's branch since the previous healthy release's build (or the
    // pushed commits of the deployed sha) to the deployment's finish; the run's creation when no push
    // is known. Time to restore: from the first failure after the last healthy release (or the moment
    // the rolled-back release went live) to the healthy deployment that ended it.
    private const string Dora = """
        WITH d AS (
            SELECT * FROM deployments WHERE finished_at >= $2 AND finished_at < $3
        ), healthy AS (
            SELECT d.*, r.branch, r.commit_sha, r.created_at AS run_created_at,
                   (SELECT max(h.finished_at) FROM deployments h
                    WHERE h.project_id = d.project_id AND h.environment = d.environment
                      AND h.status IN ('current', 'superseded', 'stopped') AND h.finished_at < d.finished_at) AS last_healthy_at
            FROM d JOIN pipeline_runs r ON r.id = d.run_id
            WHERE d.status IN ('current', 'superseded', 'stopped')
        ), lead AS (
            SELECT h.project_id, h.environment,
                   extract(epoch FROM h.finished_at - coalesce(
                       (SELECT min(analytics_try_timestamptz(c->>'timestamp'))
                        FROM repository_pushes p CROSS JOIN LATERAL jsonb_array_elements(CASE WHEN jsonb_typeof(p.commits) = 'array' THEN p.commits ELSE '[]' END) c
                        WHERE p.project_id = h.project_id
                          AND (p.after_sha = h.commit_sha
                               OR (h.branch IS NOT NULL AND p.ref = 'refs/heads/' || h.branch AND p.recorded_at <= h.run_created_at
                                   AND p.recorded_at > coalesce(
                                       (SELECT pr.created_at FROM deployments pd JOIN pipeline_runs pr ON pr.id = pd.run_id
                                        WHERE pd.project_id = h.project_id AND pd.environment = h.environment
                                          AND pd.status IN ('current', 'superseded', 'stopped') AND pd.finished_at = h.last_healthy_at
                                        LIMIT 1), '-infinity')))),
                       h.run_created_at)) AS seconds
            FROM healthy h
            WHERE h.trigger <> 'rollback'
        ), restore AS (
            SELECT h.project_id, h.environment,
                   extract(epoch FROM h.finished_at - least(
                       (SELECT min(f.finished_at) FROM deployments f
                        WHERE f.project_id = h.project_id AND f.environment = h.environment AND f.status = 'failed'
                          AND f.finished_at > coalesce(h.last_healthy_at, '-infinity') AND f.finished_at < h.finished_at),
                       CASE WHEN h.trigger = 'rollback'
                            THEN (SELECT b.finished_at FROM deployments b WHERE b.id = h.rollback_of) END)) AS seconds
            FROM healthy h
        ), keys AS (
            SELECT DISTINCT project_id, environment FROM d
        )
        INSERT INTO analytics_dora (granularity, period_start, project_id, environment, deployments, failed_deployments, rollbacks,
                                    lead_time_p50_s, lead_time_p95_s, restores, restore_p50_s, restore_p95_s)
        SELECT $1, $2, k.project_id, k.environment,
               (SELECT count(*) FROM d WHERE d.project_id = k.project_id AND d.environment = k.environment
                  AND d.trigger <> 'rollback' AND d.status IN ('current', 'superseded', 'stopped')),
               (SELECT count(*) FROM d WHERE d.project_id = k.project_id AND d.environment = k.environment
                  AND d.trigger <> 'rollback' AND d.status = 'failed'),
               (SELECT count(*) FROM d WHERE d.project_id = k.project_id AND d.environment = k.environment AND d.trigger = 'rollback'),
               (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY seconds) FROM lead l WHERE l.project_id = k.project_id AND l.environment = k.environment),
               (SELECT percentile_cont(0.95) WITHIN GROUP (ORDER BY seconds) FROM lead l WHERE l.project_id = k.project_id AND l.environment = k.environment),
               (SELECT count(seconds) FROM restore s WHERE s.project_id = k.project_id AND s.environment = k.environment),
               (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY seconds) FROM restore s WHERE s.project_id = k.project_id AND s.environment = k.environment),
               (SELECT percentile_cont(0.95) WITHIN GROUP (ORDER BY seconds) FROM restore s WHERE s.project_id = k.project_id AND s.environment = k.environment)
        FROM keys k
        """;

    // Code metrics (ADR 0037): per project, the last commit whose code sync succeeded in the period
    // (latest finish; the sha breaks ties) and that has a complete tree, then per language over that
    // tree's analysed files: files, code/comment/blank lines, and the cyclomatic complexity of the
    // methods the analysis measured. Read here through this store's own SQL: analytics does not
    // import the code feature.
    private const string Code = """
        WITH last AS (
            SELECT DISTINCT ON (s.project_id) s.project_id, s.commit_sha
            FROM code_syncs s
            WHERE s.status = 'succeeded' AND s.finished_at >= $2 AND s.finished_at < $3
              AND EXISTS (SELECT 1 FROM code_commits c WHERE c.project_id = s.project_id AND c.commit_sha = s.commit_sha)
            ORDER BY s.project_id, s.finished_at DESC, s.commit_sha DESC
        ), files AS (
            SELECT l.project_id, l.commit_sha, coalesce(f.language, 'Other') AS language, m.code_lines, m.comment_lines, m.blank_lines, m.methods
            FROM last l
            JOIN code_files f ON f.project_id = l.project_id AND f.commit_sha = l.commit_sha
            JOIN code_blob_metrics m ON m.project_id = f.project_id AND m.blob_sha = f.blob_sha
        ), lines AS (
            SELECT project_id, commit_sha, language, count(*) AS files, sum(code_lines) AS code_lines,
                   sum(comment_lines) AS comment_lines, sum(blank_lines) AS blank_lines
            FROM files GROUP BY project_id, commit_sha, language
        ), complexity AS (
            SELECT f.project_id, f.language, count(*) AS methods, sum((e->>'complexity')::bigint) AS total,
                   avg((e->>'complexity')::float8) AS average, max((e->>'complexity')::int) AS highest
            FROM files f CROSS JOIN LATERAL jsonb_array_elements(CASE WHEN jsonb_typeof(f.methods) = 'array' THEN f.methods ELSE '[]' END) e
            WHERE jsonb_typeof(e->'complexity') = 'number'
            GROUP BY f.project_id, f.language
        )
        INSERT INTO analytics_code (granularity, period_start, project_id, language, commit_sha, files, code_lines, comment_lines, blank_lines,
                                    methods, complexity_total, complexity_avg, complexity_max)
        SELECT $1, $2, l.project_id, l.language, l.commit_sha, l.files, l.code_lines, l.comment_lines, l.blank_lines,
               coalesce(c.methods, 0), c.total, c.average, c.highest
        FROM lines l LEFT JOIN complexity c ON c.project_id = l.project_id AND c.language = l.language
        """;
}
