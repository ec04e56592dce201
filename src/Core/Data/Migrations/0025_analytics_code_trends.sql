-- Code-metric trends (ADR 0037): per project, period and language, the code as of the last commit
-- whose code sync finished in that period (lines per language from code_blob_metrics over the
-- commit's tree in code_files; cyclomatic complexity of its C# methods). Rolled up like the others:
-- the watermark follows code_syncs.finished_at, dirty periods are recomputed from raw rows.

ALTER TABLE analytics_dirty_periods DROP CONSTRAINT analytics_dirty_periods_rollup_check;
ALTER TABLE analytics_dirty_periods ADD CONSTRAINT analytics_dirty_periods_rollup_check
    CHECK (rollup IN ('usage', 'builds', 'tests', 'dora', 'code'));

CREATE INDEX IF NOT EXISTS code_syncs_finished_at ON code_syncs (finished_at) WHERE status = 'succeeded';

CREATE TABLE analytics_code (
    granularity      text             NOT NULL CHECK (granularity IN ('hour', 'day')),
    period_start     timestamptz      NOT NULL,
    project_id       uuid             NOT NULL,
    language         text             NOT NULL,
    commit_sha       text             NOT NULL,
    files            integer          NOT NULL,
    code_lines       bigint           NOT NULL,
    comment_lines    bigint           NOT NULL,
    blank_lines      bigint           NOT NULL,
    -- Methods whose complexity the analysis measured (C# only so far); null without any.
    methods          integer          NOT NULL,
    complexity_total bigint,
    complexity_avg   double precision,
    complexity_max   integer,
    PRIMARY KEY (granularity, project_id, period_start, language)
);
