-- Foundation: timer occurrences (one instance fires each), idempotency keys (shared by every
-- endpoint that creates things; purged by the Housekeeping timer).

CREATE TABLE timer_runs (
    function_name text        NOT NULL,
    occurrence    timestamptz NOT NULL,
    instance_id   text        NOT NULL,
    is_past_due   boolean     NOT NULL DEFAULT false,
    started_at    timestamptz NOT NULL DEFAULT now(),
    finished_at   timestamptz,
    outcome       text        NOT NULL DEFAULT 'running' CHECK (outcome IN ('running', 'succeeded', 'failed')),
    error         text,
    PRIMARY KEY (function_name, occurrence)
);

CREATE TABLE idempotency_keys (
    scope         text        NOT NULL,
    key           text        NOT NULL,
    request_hash  text        NOT NULL,
    status_code   integer,
    response_body text,
    location      text,
    created_at    timestamptz NOT NULL DEFAULT now(),
    expires_at    timestamptz NOT NULL,
    PRIMARY KEY (scope, key)
);

CREATE INDEX idempotency_keys_expires_at ON idempotency_keys (expires_at);
