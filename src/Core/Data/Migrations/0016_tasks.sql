-- Tasks: the issue mirror of 0004 becomes the project's own task list. Every task has a number
-- of its own per project (from project_task_counters, allocated in the inserting transaction, so
-- concurrent creators never share one); a task linked to a GitHub or GitLab issue keeps the
-- issue's id and number beside it. source = 'devmentor' for a task with no linked issue.

ALTER TABLE project_tasks RENAME COLUMN number TO external_number;
ALTER TABLE project_tasks ALTER COLUMN external_id DROP NOT NULL;
ALTER TABLE project_tasks
    ADD COLUMN number              integer,
    ADD COLUMN labels              text[]      NOT NULL DEFAULT '{}',
    ADD COLUMN assignees           text[]      NOT NULL DEFAULT '{}',
    ADD COLUMN priority            text        NOT NULL DEFAULT 'none',
    ADD COLUMN due_date            date,
    ADD COLUMN created_by          text,
    ADD COLUMN version             bigint      NOT NULL DEFAULT 1,
    -- Two-way sync with the project's issues: wanted (sync), last agreed (synced_at), the issue's
    -- own updated_at last seen (external_updated_at), and why the last push failed.
    ADD COLUMN sync                boolean     NOT NULL DEFAULT false,
    ADD COLUMN synced_at           timestamptz,
    ADD COLUMN external_updated_at timestamptz,
    ADD COLUMN sync_error          text,
    ADD COLUMN linked_commits      jsonb       NOT NULL DEFAULT '[]';

-- Mirrored issues so far: open or closed, numbered in their issue order, and kept in sync.
UPDATE project_tasks SET state = CASE WHEN state = 'closed' THEN 'closed' ELSE 'open' END;
WITH numbered AS (
    SELECT id, row_number() OVER (PARTITION BY project_id ORDER BY external_number NULLS LAST, created_at, id) AS n
    FROM project_tasks)
UPDATE project_tasks t SET number = numbered.n, sync = true, synced_at = t.updated_at
FROM numbered WHERE numbered.id = t.id;

ALTER TABLE project_tasks
    ALTER COLUMN number SET NOT NULL,
    ADD CONSTRAINT project_tasks_number_key UNIQUE (project_id, number),
    ADD CONSTRAINT project_tasks_state_check CHECK (state IN ('open', 'in_progress', 'done', 'closed')),
    ADD CONSTRAINT project_tasks_priority_check CHECK (priority IN ('none', 'low', 'medium', 'high', 'urgent')),
    ADD CONSTRAINT project_tasks_source_check CHECK (source IN ('devmentor', 'github', 'gitlab')),
    ADD COLUMN search tsvector GENERATED ALWAYS AS (to_tsvector('simple', title || ' ' || coalesce(body, ''))) STORED;

-- The list walks (project_id, number) newest first; filters narrow it.
CREATE INDEX project_tasks_state ON project_tasks (project_id, state, number DESC);
CREATE INDEX project_tasks_labels ON project_tasks USING gin (labels);
CREATE INDEX project_tasks_assignees ON project_tasks USING gin (assignees);
CREATE INDEX project_tasks_search_column ON project_tasks USING gin (search);

CREATE TABLE project_task_counters (
    project_id  uuid    PRIMARY KEY,
    last_number integer NOT NULL
);

INSERT INTO project_task_counters (project_id, last_number)
SELECT project_id, max(number) FROM project_tasks GROUP BY project_id;

-- A task's history: every change, sync conflict and linked commit, oldest first.
CREATE TABLE project_task_events (
    id         bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    task_id    uuid        NOT NULL REFERENCES project_tasks (id) ON DELETE CASCADE,
    project_id uuid        NOT NULL,
    at         timestamptz NOT NULL,
    actor      text,
    kind       text        NOT NULL,
    detail     jsonb       NOT NULL DEFAULT '{}'
);

CREATE INDEX project_task_events_task ON project_task_events (task_id, id);
