-- Projects, their collaborators, and API keys.

CREATE TABLE projects (
    id          uuid        PRIMARY KEY,
    slug        text        NOT NULL,
    name        text        NOT NULL,
    description text        NOT NULL DEFAULT '',
    visibility  text        NOT NULL CHECK (visibility IN ('private', 'internal', 'public')),
    repository  jsonb,
    settings    jsonb       NOT NULL DEFAULT '{}',
    owner_id    text        NOT NULL,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL,
    archived_at timestamptz,
    -- Bumped by every write to the project or its collaborators: the ETag, and what cached copies are checked against.
    version     bigint      NOT NULL DEFAULT 1,
    -- 'simple' (no stemming, no stop words): names and slugs are identifiers, not English prose.
    search      tsvector    GENERATED ALWAYS AS (
                    to_tsvector('simple', name || ' ' || replace(slug, '-', ' ') || ' ' || description)) STORED,
    CONSTRAINT projects_slug_key UNIQUE (slug)
);

-- Keyset pagination walks (created_at, id) newest first.
CREATE INDEX projects_created_at_id ON projects (created_at DESC, id DESC);
CREATE INDEX projects_search ON projects USING gin (search);

CREATE TABLE project_collaborators (
    project_id uuid        NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    user_id    text        NOT NULL,
    role       text        NOT NULL CHECK (role IN ('owner', 'maintainer', 'developer', 'viewer')),
    added_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (project_id, user_id)
);

CREATE INDEX project_collaborators_user_id ON project_collaborators (user_id);

-- Only the SHA-256 of a key is kept (keys are looked up by it); the prefix is shown in lists so
-- people can tell keys apart.
CREATE TABLE api_keys (
    id           uuid        PRIMARY KEY,
    prefix       text        NOT NULL,
    key_hash     bytea       NOT NULL UNIQUE,
    name         text        NOT NULL,
    principal_id text        NOT NULL,
    is_admin     boolean     NOT NULL DEFAULT false,
    is_bootstrap boolean     NOT NULL DEFAULT false,
    created_by   text,
    created_at   timestamptz NOT NULL DEFAULT now(),
    revoked_at   timestamptz
);

-- At most one bootstrap key: instances starting together race on this index, and one wins.
CREATE UNIQUE INDEX api_keys_one_bootstrap ON api_keys (is_bootstrap) WHERE is_bootstrap;
