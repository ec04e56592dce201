-- Per-project webhook secrets, repositories created on GitHub for a project (createRemote), and
-- which project's secret verified a delivery.

-- The secret is AES-256-GCM ciphertext (nonce | ciphertext | tag) under a key kept outside the
-- database (Webhooks:SecretKey or <data dir>/webhook-secrets.key): a dump of the database alone
-- does not let anyone sign deliveries. It is shown to a maintainer once, when set or rotated.
CREATE TABLE project_webhook_secrets (
    project_id  uuid        PRIMARY KEY REFERENCES projects (id),
    provider    text        NOT NULL CHECK (provider IN ('github', 'gitlab')),
    secret      bytea       NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    rotated_at  timestamptz
);

-- Set when a project's own secret (not the global one) verified the delivery: it then acts on
-- that project only, whatever repository its payload names.
ALTER TABLE webhook_deliveries ADD COLUMN project_id uuid;

-- Provisioning of a project's repository and webhook on GitHub. The project is stored first and
-- this row with it, so a failure on GitHub's side loses nothing: the row says what failed and
-- POST /projects/{id}/remote/retry picks up from the last step that succeeded.
CREATE TABLE project_remotes (
    project_id      uuid        PRIMARY KEY REFERENCES projects (id),
    provider        text        NOT NULL CHECK (provider IN ('github')),
    full_name       text        NOT NULL,
    status          text        NOT NULL CHECK (status IN ('pending', 'provisioning', 'created', 'failed')),
    repository_url  text,
    hook_id         bigint,
    last_error      text,
    attempts        integer     NOT NULL DEFAULT 0,
    lease_until     timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);
