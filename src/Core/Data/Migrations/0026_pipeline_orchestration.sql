-- Runs are sequenced by the PipelineRun Durable orchestration (ADR 0021, issue 13). The store records what runners
-- report and hands it to the orchestration through this outbox: an outcome (or a start, or a cancel) and its row
-- commit together, and a dispatcher raises the row's event and deletes it, so a crash between the two loses nothing.
CREATE TABLE pipeline_outbox (
    id         bigserial   PRIMARY KEY,
    run_id     uuid        NOT NULL REFERENCES pipeline_runs (id) ON DELETE CASCADE,
    kind       text        NOT NULL CHECK (kind IN ('start', 'event')),
    name       text        NOT NULL,
    payload    jsonb,
    created_at timestamptz NOT NULL DEFAULT now(),
    attempts   integer     NOT NULL DEFAULT 0,
    due_at     timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX pipeline_outbox_due ON pipeline_outbox (due_at, id);

-- The last recorded outcome of a step's attempt (kind, exit code, error, plan), so the orchestration can read it back
-- when it asks again (a replayed activity, or an event it never received).
ALTER TABLE pipeline_steps ADD COLUMN outcome jsonb;

-- Runs the engine had in flight when the service was upgraded: each gets its orchestration.
INSERT INTO pipeline_outbox (run_id, kind, name)
SELECT id, 'start', 'run' FROM pipeline_runs WHERE status IN ('queued', 'running');
