-- Deployments: every attempt to make a run's output current in an environment, kept as history.
-- A row is accepted as 'pending' (so a crash loses no request), worked to 'current' or 'failed';
-- the current one becomes 'superseded' when another replaces it, 'stopped' when it could not be
-- brought back after a service restart.
CREATE TABLE deployments (
    id           uuid        PRIMARY KEY,
    project_id   uuid        NOT NULL,
    environment  text        NOT NULL,
    target       text        NOT NULL CHECK (target IN ('local', 'webhook')),
    run_id       uuid        NOT NULL REFERENCES pipeline_runs (id) ON DELETE CASCADE,
    run_number   integer     NOT NULL,
    status       text        NOT NULL CHECK (status IN ('pending', 'deploying', 'current', 'failed', 'superseded', 'stopped')),
    trigger      text        NOT NULL CHECK (trigger IN ('manual', 'auto', 'rollback')),
    rollback_of  uuid        REFERENCES deployments (id),
    requested_by text,
    release_dir  text,
    port         integer,
    url          text,
    pid          integer,
    healthy      boolean,
    health       text,
    error        text,
    created_at   timestamptz NOT NULL DEFAULT clock_timestamp(),
    started_at   timestamptz,
    finished_at  timestamptz
);

CREATE INDEX deployments_project ON deployments (project_id, created_at DESC);
CREATE INDEX deployments_pending ON deployments (created_at) WHERE status IN ('pending', 'deploying');
-- At most one current release per environment: the swap is one transaction.
CREATE UNIQUE INDEX deployments_one_current ON deployments (project_id, environment) WHERE status = 'current';

-- Finished runs the automatic-deploy watcher has looked at: claimed once, by one instance.
CREATE TABLE deployment_run_checks (
    run_id     uuid        PRIMARY KEY REFERENCES pipeline_runs (id) ON DELETE CASCADE,
    checked_at timestamptz NOT NULL DEFAULT now(),
    outcome    text        NOT NULL
);
