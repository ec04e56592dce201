-- Pipelines: durable build orchestration. A run is an orchestration instance, its steps are
-- activities. Steps are claimed with FOR UPDATE SKIP LOCKED under a lease; the attempt number
-- is the fencing token a runner must present to heartbeat, log or complete.
-- project_id carries no foreign key here: the projects table arrives with the Projects API.

CREATE TABLE pipeline_run_counters (
    project_id  uuid    PRIMARY KEY,
    last_number integer NOT NULL
);

CREATE TABLE pipeline_runs (
    id            uuid        PRIMARY KEY,
    project_id    uuid        NOT NULL,
    number        integer     NOT NULL,
    status        text        NOT NULL CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'canceled', 'timed_out')),
    trigger       text        NOT NULL,
    branch        text,
    commit_sha    text,
    deploy        boolean     NOT NULL DEFAULT false,
    environment   text,
    definition    jsonb       NOT NULL,
    retry_of      uuid        REFERENCES pipeline_runs (id),
    created_at    timestamptz NOT NULL DEFAULT now(),
    started_at    timestamptz,
    finished_at   timestamptz,
    -- Last step transition: the sweeper times out running runs that stop moving.
    progressed_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (project_id, number)
);

CREATE INDEX pipeline_runs_project_list ON pipeline_runs (project_id, number DESC);
CREATE INDEX pipeline_runs_active ON pipeline_runs (created_at) WHERE status IN ('queued', 'running');

CREATE TABLE pipeline_steps (
    id               uuid        PRIMARY KEY,
    run_id           uuid        NOT NULL REFERENCES pipeline_runs (id) ON DELETE CASCADE,
    position         integer     NOT NULL,
    name             text        NOT NULL,
    status           text        NOT NULL CHECK (status IN ('pending', 'queued', 'running', 'succeeded', 'failed', 'skipped', 'canceled', 'timed_out')),
    attempt          integer     NOT NULL DEFAULT 0,
    max_attempts     integer     NOT NULL CHECK (max_attempts >= 1),
    retry_first_ms   integer     NOT NULL,
    retry_factor     double precision NOT NULL,
    timeout_seconds  integer     NOT NULL,
    requires         text[]      NOT NULL DEFAULT '{}',
    due_at           timestamptz,
    lease_owner      text,
    lease_expires_at timestamptz,
    started_at       timestamptz,
    finished_at      timestamptz,
    attempt_started_at timestamptz,
    exit_code        integer,
    error            text,
    outputs          jsonb,
    UNIQUE (run_id, position),
    UNIQUE (run_id, name)
);

CREATE INDEX pipeline_steps_claimable ON pipeline_steps (due_at) WHERE status = 'queued';
CREATE INDEX pipeline_steps_leased ON pipeline_steps (lease_expires_at) WHERE status = 'running';

-- Append-only: rows are inserted, never updated or deleted (except with their run).
CREATE TABLE pipeline_run_events (
    id     bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    run_id uuid        NOT NULL REFERENCES pipeline_runs (id) ON DELETE CASCADE,
    at     timestamptz NOT NULL DEFAULT clock_timestamp(),
    type   text        NOT NULL,
    step   text,
    data   jsonb
);

CREATE INDEX pipeline_run_events_run ON pipeline_run_events (run_id, id);

CREATE TABLE pipeline_step_logs (
    id      bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    step_id uuid        NOT NULL REFERENCES pipeline_steps (id) ON DELETE CASCADE,
    attempt integer     NOT NULL,
    at      timestamptz NOT NULL DEFAULT clock_timestamp(),
    text    text        NOT NULL
);

CREATE INDEX pipeline_step_logs_step ON pipeline_step_logs (step_id, id);

CREATE TABLE pipeline_runners (
    id           uuid        PRIMARY KEY,
    name         text        NOT NULL,
    labels       text[]      NOT NULL DEFAULT '{}',
    token_hash   text        NOT NULL UNIQUE,
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_seen_at timestamptz NOT NULL DEFAULT now()
);
