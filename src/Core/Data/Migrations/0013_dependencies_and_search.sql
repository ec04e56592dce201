-- Dependencies of each synced commit, and the search indexes (issue 14).

CREATE TABLE code_dependencies (
    project_id    uuid       NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    commit_sha    text       NOT NULL,
    manifest_path text       COLLATE "C" NOT NULL,
    ecosystem     text       NOT NULL,
    name          text       COLLATE "C" NOT NULL,
    declared      text,
    resolved      text,
    direct        boolean    NOT NULL,
    scope         text       NOT NULL CHECK (scope IN ('runtime', 'dev'))
);

CREATE INDEX code_dependencies_commit ON code_dependencies (project_id, commit_sha, ecosystem, name);

-- Manifests that could not be read, per commit: reported, never fatal to the sync.
CREATE TABLE code_manifest_errors (
    project_id    uuid       NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    commit_sha    text       NOT NULL,
    path          text       NOT NULL,
    error         text       NOT NULL,
    PRIMARY KEY (project_id, commit_sha, path)
);

-- pg_trgm is a trusted extension (PostgreSQL 13+): the database owner may create it.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- The default branch's files as search sees them: paths always, text contents up to 1 MiB.
CREATE TABLE code_search_files (
    project_id   uuid        NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    path         text        COLLATE "C" NOT NULL,
    blob_sha     text        NOT NULL,
    language     text,
    content      text,
    PRIMARY KEY (project_id, path)
);

CREATE INDEX code_search_files_path ON code_search_files USING gin (path gin_trgm_ops);
CREATE INDEX code_search_files_content ON code_search_files USING gin (content gin_trgm_ops);

CREATE INDEX projects_name_trgm ON projects USING gin (name gin_trgm_ops);
CREATE INDEX project_tasks_search ON project_tasks USING gin (to_tsvector('simple', title || ' ' || coalesce(body, '')));
