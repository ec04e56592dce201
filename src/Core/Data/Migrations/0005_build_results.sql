-- Build results: per-test results and a per-step summary of the reports a step wrote, and the
-- run's artifacts (metadata here, bytes in the blob store under their SHA-256).

CREATE TABLE build_test_summaries (
    run_id          uuid             NOT NULL REFERENCES pipeline_runs (id) ON DELETE CASCADE,
    step            text             NOT NULL,
    passed          integer          NOT NULL,
    failed          integer          NOT NULL,
    skipped         integer          NOT NULL,
    line_coverage   double precision,
    branch_coverage double precision,
    recorded_at     timestamptz      NOT NULL DEFAULT now(),
    PRIMARY KEY (run_id, step)
);

-- seq orders a run's results in report order and is the keyset cursor.
CREATE TABLE build_test_results (
    seq         bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    run_id      uuid        NOT NULL REFERENCES pipeline_runs (id) ON DELETE CASCADE,
    step        text        NOT NULL,
    suite       text        NOT NULL,
    name        text        NOT NULL,
    outcome     text        NOT NULL CHECK (outcome IN ('passed', 'failed', 'skipped')),
    duration_ms bigint      NOT NULL,
    message     text
);

CREATE INDEX build_test_results_run ON build_test_results (run_id, seq);
CREATE INDEX build_test_results_run_outcome ON build_test_results (run_id, outcome, seq);

CREATE TABLE build_artifacts (
    run_id       uuid        NOT NULL REFERENCES pipeline_runs (id) ON DELETE CASCADE,
    name         text        NOT NULL,
    project_id   uuid        NOT NULL,
    step         text        NOT NULL,
    sha256       text        NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    size         bigint      NOT NULL,
    content_type text        NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (run_id, name)
);
