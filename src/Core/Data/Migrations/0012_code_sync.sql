-- Code sync (issue 14): what every synced commit holds (files, line counts, C# metrics) and how
-- each sync went, stage by stage. A sync is one row per (project, commit): re-delivering a push
-- or pushing the same commit to another branch does the work once.

CREATE TABLE code_syncs (
    id           uuid        PRIMARY KEY,
    project_id   uuid        NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    commit_sha   text        NOT NULL,
    ref          text,
    before_sha   text,
    forced       boolean     NOT NULL DEFAULT false,
    delivery_id  uuid,
    trigger      text        NOT NULL,
    -- The build the push asked for ({branch, trigger, idempotencyKey}); the build stage starts it.
    build        jsonb,
    status       text        NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'running', 'succeeded', 'failed')),
    attempts     integer     NOT NULL DEFAULT 0,
    lease_until  timestamptz,
    summary      text,
    error        text,
    created_at   timestamptz NOT NULL DEFAULT now(),
    started_at   timestamptz,
    finished_at  timestamptz,
    UNIQUE (project_id, commit_sha)
);

CREATE INDEX code_syncs_project ON code_syncs (project_id, created_at DESC, id DESC);
-- The worker's queue: only syncs still to do are indexed.
CREATE INDEX code_syncs_pending ON code_syncs (created_at) WHERE status IN ('queued', 'running');

-- One row per stage that started: fetch, index, dependencies, analyse, build, status.
CREATE TABLE code_sync_stages (
    sync_id      uuid        NOT NULL REFERENCES code_syncs (id) ON DELETE CASCADE,
    stage        text        NOT NULL,
    status       text        NOT NULL CHECK (status IN ('running', 'succeeded', 'failed', 'skipped')),
    attempts     integer     NOT NULL DEFAULT 1,
    detail       text,
    started_at   timestamptz NOT NULL DEFAULT now(),
    finished_at  timestamptz,
    PRIMARY KEY (sync_id, stage)
);

-- Branch and tag heads as last synced (a deleted branch's row goes away).
CREATE TABLE code_refs (
    project_id   uuid        NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    ref          text        NOT NULL,
    commit_sha   text        NOT NULL,
    updated_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (project_id, ref)
);

-- The tree of each indexed commit. Paths sort bytewise (COLLATE "C"): the keyset of the listing.
CREATE TABLE code_files (
    project_id   uuid        NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    commit_sha   text        NOT NULL,
    path         text        COLLATE "C" NOT NULL,
    mode         text        NOT NULL,
    kind         text        NOT NULL,
    blob_sha     text        NOT NULL,
    size         bigint,
    language     text,
    is_binary    boolean     NOT NULL DEFAULT false,
    PRIMARY KEY (project_id, commit_sha, path)
);

-- Which commits have a complete tree in code_files (written in the index stage's transaction).
CREATE TABLE code_commits (
    project_id   uuid        NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    commit_sha   text        NOT NULL,
    file_count   integer     NOT NULL,
    total_bytes  bigint      NOT NULL,
    indexed_at   timestamptz NOT NULL DEFAULT now(),
    -- Set by the dependencies stage (a commit indexed on demand is parsed when first asked).
    dependencies_parsed boolean NOT NULL DEFAULT false,
    PRIMARY KEY (project_id, commit_sha)
);

-- Line counts per blob: a file unchanged between commits is analysed once.
CREATE TABLE code_blob_metrics (
    project_id    uuid       NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    blob_sha      text       NOT NULL,
    language      text,
    code_lines    integer    NOT NULL,
    comment_lines integer    NOT NULL,
    blank_lines   integer    NOT NULL,
    -- C#: [{name, line, complexity}] and [{name, line, complexity, lines, maintainability}]
    methods       jsonb,
    types         jsonb,
    PRIMARY KEY (project_id, blob_sha)
);
