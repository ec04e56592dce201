-- Webhook deliveries from GitHub and GitLab, stored before they are answered so that nothing
-- accepted is lost; (provider, delivery_id) deduplicates redeliveries.

CREATE TABLE webhook_deliveries (
    id            uuid        PRIMARY KEY,
    provider      text        NOT NULL CHECK (provider IN ('github', 'gitlab')),
    delivery_id   text        NOT NULL,
    event         text        NOT NULL,
    headers       jsonb       NOT NULL,
    payload       bytea       NOT NULL,
    received_at   timestamptz NOT NULL DEFAULT now(),
    status        text        NOT NULL DEFAULT 'received'
                  CHECK (status IN ('received', 'processing', 'processed', 'ignored', 'failed')),
    lease_until   timestamptz,
    attempts      integer     NOT NULL DEFAULT 0,
    outcome       text,
    processed_at  timestamptz,
    UNIQUE (provider, delivery_id)
);

-- The processor's queue: only deliveries still to do are indexed.
CREATE INDEX webhook_deliveries_pending ON webhook_deliveries (received_at) WHERE status IN ('received', 'processing');

-- What a push brought: its commits and their changed files, per project it matched.
CREATE TABLE repository_pushes (
    delivery_id   uuid        NOT NULL REFERENCES webhook_deliveries (id),
    project_id    uuid        NOT NULL,
    ref           text        NOT NULL,
    before_sha    text        NOT NULL,
    after_sha     text        NOT NULL,
    commits       jsonb       NOT NULL,
    recorded_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (delivery_id, project_id)
);

-- Minimal task mirror of repository issues (GitHub issues); the Tasks feature will extend it.
CREATE TABLE project_tasks (
    id            uuid        PRIMARY KEY,
    project_id    uuid        NOT NULL,
    source        text        NOT NULL,
    external_id   text        NOT NULL,
    number        integer,
    title         text        NOT NULL,
    body          text,
    state         text        NOT NULL,
    url           text,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    UNIQUE (project_id, source, external_id)
);

-- Commit statuses owed to the repository host for runs that webhooks started: pending first,
-- then the final state. Reported by a background loop with backoff, so the host being slow or
-- down never holds up or fails a run.
CREATE TABLE commit_status_reports (
    run_id          uuid        PRIMARY KEY,
    project_id      uuid        NOT NULL,
    provider        text        NOT NULL CHECK (provider IN ('github', 'gitlab')),
    repository      text        NOT NULL,
    sha             text        NOT NULL,
    reported_state  text,
    attempts        integer     NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    last_error      text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX commit_status_reports_due ON commit_status_reports (next_attempt_at) WHERE reported_state IS DISTINCT FROM 'final';

-- Webhooks find projects by repository (provider + owner/name, case-insensitive as on GitHub).
CREATE INDEX projects_repository ON projects ((repository->>'provider'), lower(repository->>'fullName')) WHERE archived_at IS NULL;
