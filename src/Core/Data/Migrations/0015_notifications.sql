-- Notifications (ADR 0027): subscriptions per project, an outbox the events are written to
-- (one row per subscription and event: the unique key makes detection idempotent), and every
-- delivery attempt. Delivery is at least once: a row is leased while being sent and is sent
-- again when its lease runs out before it was marked delivered.

CREATE TABLE notification_subscriptions (
    id                   uuid        PRIMARY KEY,
    project_id           uuid        NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    kind                 text        NOT NULL CHECK (kind IN ('webhook', 'slack', 'email')),
    target               text        NOT NULL,
    -- Webhooks only: the HMAC-SHA256 key of the X-Hub-Signature-256 header; shown once, never listed.
    secret               text,
    events               text[]      NOT NULL,
    enabled              boolean     NOT NULL DEFAULT true,
    consecutive_failures integer     NOT NULL DEFAULT 0,
    disabled_reason      text,
    created_by           text,
    created_at           timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX notification_subscriptions_project ON notification_subscriptions (project_id) WHERE enabled;

CREATE TABLE notification_outbox (
    id              uuid        PRIMARY KEY,
    subscription_id uuid        NOT NULL REFERENCES notification_subscriptions (id) ON DELETE CASCADE,
    event_key       text        NOT NULL,
    event           text        NOT NULL,
    occurred_at     timestamptz NOT NULL,
    payload         jsonb       NOT NULL,
    status          text        NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts        integer     NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    lease_until     timestamptz,
    last_error      text,
    created_at      timestamptz NOT NULL DEFAULT clock_timestamp(),
    delivered_at    timestamptz,
    UNIQUE (subscription_id, event_key)
);

CREATE INDEX notification_outbox_due ON notification_outbox (next_attempt_at) WHERE status = 'pending';

CREATE TABLE notification_attempts (
    id          bigint           GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    outbox_id   uuid             NOT NULL REFERENCES notification_outbox (id) ON DELETE CASCADE,
    attempt     integer          NOT NULL,
    at          timestamptz      NOT NULL DEFAULT clock_timestamp(),
    succeeded   boolean          NOT NULL,
    status_code integer,
    error       text,
    duration_ms double precision NOT NULL
);

CREATE INDEX notification_attempts_outbox ON notification_attempts (outbox_id, id);

-- How far event detection has looked (the finish time of runs and deployments); it also looks
-- a few minutes back every time, so rows committed late are not missed.
CREATE TABLE notification_watermarks (
    source          text        PRIMARY KEY,
    changed_through timestamptz NOT NULL
);
