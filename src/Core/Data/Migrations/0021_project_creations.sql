-- The creation flow of a project made from a template (a Durable orchestration): its state and
-- each step's, which the orchestration's activities write as they go; GET /projects/{id}/creation reads them.

CREATE TABLE project_creations (
    project_id      uuid        PRIMARY KEY REFERENCES projects (id),
    template        text        NOT NULL,
    provider        text        NOT NULL,
    -- The template's variables (projectName, namespace, description) as validated.
    template_values jsonb       NOT NULL,
    status          text        NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'succeeded', 'failed')),
    -- Grows with each retry; the orchestration instance of attempt n is create-{project id}-{n}.
    attempt         integer     NOT NULL DEFAULT 1,
    first_build_id  uuid,
    created_by      text        NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE project_creation_steps (
    project_id  uuid        NOT NULL REFERENCES project_creations (project_id) ON DELETE CASCADE,
    position    integer     NOT NULL,
    name        text        NOT NULL,
    state       text        NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'running', 'succeeded', 'failed')),
    attempts    integer     NOT NULL DEFAULT 0,
    started_at  timestamptz,
    finished_at timestamptz,
    detail      text,
    error       text,
    PRIMARY KEY (project_id, name)
);
