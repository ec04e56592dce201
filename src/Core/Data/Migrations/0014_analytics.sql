-- Analytics: raw usage events (the one raw source the service did not record yet), hourly and
-- daily rollups, and the bookkeeping that makes rolling up incremental and crash-safe (ADR 0026).
-- Runs, test results and deployments are read from their own tables; nothing is copied.

-- One row per HTTP function call, written in batches by the usage recorder. at is when the
-- request arrived (the bucket); recorded_at is when the row was written (what the watermark
-- follows, so a batch flushed after its hour closed is still folded into that hour).
CREATE TABLE usage_events (
    id            bigint           GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at            timestamptz      NOT NULL,
    recorded_at   timestamptz      NOT NULL DEFAULT clock_timestamp(),
    function_name text             NOT NULL,
    status        integer          NOT NULL,
    duration_ms   double precision NOT NULL,
    user_id       text,
    api_key_id    uuid
);

CREATE INDEX usage_events_at ON usage_events (at);
CREATE INDEX usage_events_recorded_at ON usage_events (recorded_at);

-- What the watermarks follow on other features' tables: the time a row became final.
CREATE INDEX IF NOT EXISTS pipeline_runs_finished_at ON pipeline_runs (finished_at) WHERE finished_at IS NOT NULL;
CREATE INDEX IF NOT EXISTS deployments_finished_at ON deployments (project_id, environment, finished_at) WHERE finished_at IS NOT NULL;

-- Per source (usage, runs, deployments): every row changed at or before changed_through has had
-- its period marked dirty. Advanced in the same transaction that marks the periods.
CREATE TABLE analytics_watermarks (
    source          text        PRIMARY KEY,
    changed_through timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL DEFAULT now()
);

-- Periods whose rollup rows must be recomputed from raw rows. A period's recompute, its rows
-- and the removal of its mark are one transaction: a crash leaves the mark, and the next run
-- recomputes the period from scratch (nothing lost, nothing doubled).
CREATE TABLE analytics_dirty_periods (
    rollup       text        NOT NULL CHECK (rollup IN ('usage', 'builds', 'tests', 'dora')),
    granularity  text        NOT NULL CHECK (granularity IN ('hour', 'day')),
    period_start timestamptz NOT NULL,
    marked_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (rollup, granularity, period_start)
);

-- Builds per project, branch ('' when none) and trigger, per period of their finish.
CREATE TABLE analytics_builds (
    granularity     text             NOT NULL CHECK (granularity IN ('hour', 'day')),
    period_start    timestamptz      NOT NULL,
    project_id      uuid             NOT NULL,
    branch          text             NOT NULL,
    trigger         text             NOT NULL,
    runs            integer          NOT NULL,
    succeeded       integer          NOT NULL,
    failed          integer          NOT NULL,
    canceled        integer          NOT NULL,
    duration_p50_ms double precision,
    duration_p95_ms double precision,
    queue_p50_ms    double precision,
    queue_p95_ms    double precision,
    PRIMARY KEY (granularity, project_id, period_start, branch, trigger)
);

-- Tests per project, per period of the runs' finish.
CREATE TABLE analytics_tests (
    granularity   text             NOT NULL CHECK (granularity IN ('hour', 'day')),
    period_start  timestamptz      NOT NULL,
    project_id    uuid             NOT NULL,
    runs          integer          NOT NULL,
    passed        bigint           NOT NULL,
    failed        bigint           NOT NULL,
    skipped       bigint           NOT NULL,
    new_failures  integer          NOT NULL,
    flaky_tests   integer          NOT NULL,
    line_coverage double precision,
    PRIMARY KEY (granularity, project_id, period_start)
);

-- DORA's four keys per project and environment, per period of the deployments' finish.
CREATE TABLE analytics_dora (
    granularity        text             NOT NULL CHECK (granularity IN ('hour', 'day')),
    period_start       timestamptz      NOT NULL,
    project_id         uuid             NOT NULL,
    environment        text             NOT NULL,
    deployments        integer          NOT NULL,
    failed_deployments integer          NOT NULL,
    rollbacks          integer          NOT NULL,
    lead_time_p50_s    double precision,
    lead_time_p95_s    double precision,
    restores           integer          NOT NULL,
    restore_p50_s      double precision,
    restore_p95_s      double precision,
    PRIMARY KEY (granularity, project_id, period_start, environment)
);

-- Usage per function, user ('' anonymous), API key ('' none) and status class.
CREATE TABLE analytics_usage (
    granularity    text             NOT NULL CHECK (granularity IN ('hour', 'day')),
    period_start   timestamptz      NOT NULL,
    function_name  text             NOT NULL,
    user_id        text             NOT NULL,
    api_key_id     text             NOT NULL,
    status_class   text             NOT NULL,
    requests       bigint           NOT NULL,
    latency_p50_ms double precision NOT NULL,
    latency_p95_ms double precision NOT NULL,
    PRIMARY KEY (granularity, period_start, function_name, user_id, api_key_id, status_class)
);

-- Retention per project (null = the platform default, Retention:* settings), and which runs'
-- step logs are already gone (so the purge does not list their blobs again).
CREATE TABLE project_retention (
    project_id              uuid    PRIMARY KEY REFERENCES projects (id) ON DELETE CASCADE,
    step_logs_days          integer CHECK (step_logs_days BETWEEN 1 AND 36500),
    artifacts_days          integer CHECK (artifacts_days BETWEEN 1 AND 36500),
    run_history_days        integer CHECK (run_history_days BETWEEN 1 AND 36500),
    webhook_deliveries_days integer CHECK (webhook_deliveries_days BETWEEN 1 AND 36500),
    updated_at              timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE retention_purged_logs (
    run_id    uuid        PRIMARY KEY REFERENCES pipeline_runs (id) ON DELETE CASCADE,
    purged_at timestamptz NOT NULL DEFAULT now()
);

-- Commit timestamps come from webhook payloads: a value that is not a timestamp must not stop a rollup.
CREATE FUNCTION analytics_try_timestamptz(value text) RETURNS timestamptz
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    RETURN value::timestamptz;
EXCEPTION WHEN others THEN
    RETURN NULL;
END;
$$;
