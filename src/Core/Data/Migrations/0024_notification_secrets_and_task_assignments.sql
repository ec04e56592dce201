-- Notification target secrets encrypted at rest (ADR 0036). The full URL of a webhook or Slack
-- target (a Slack URL is its own credential; webhook URLs often carry tokens) and a webhook's HMAC
-- secret are stored only as ASP.NET Core Data Protection payloads, whose keys live in the blob store.
-- "target" keeps what may be shown: the address of an email target, scheme and host plus a hint of
-- the rest for the others. Rows written before this migration still hold plaintext in "target" and
-- "secret"; the notification worker encrypts them on its first pass (SQL cannot: the keys are not
-- in the database) and clears "secret".

ALTER TABLE notification_subscriptions
    ADD COLUMN target_protected text,
    ADD COLUMN secret_protected text,
    ADD COLUMN secret_hint      text;

COMMENT ON COLUMN notification_subscriptions.secret IS 'Legacy plaintext (before 0024); emptied by the worker''s first pass.';

-- Task assigned (ADR 0036): a trigger on project_tasks records each assignee a task gains, whatever
-- path changed it (API, issue sync); the notification pass turns these rows into outbox rows like
-- finished runs. The tasks feature does not know about notifications, nor they about its code.
CREATE TABLE notification_task_assignments (
    id         bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    project_id uuid        NOT NULL,
    task_id    uuid        NOT NULL,
    number     integer     NOT NULL,
    title      text        NOT NULL,
    assignee   text        NOT NULL,
    at         timestamptz NOT NULL DEFAULT clock_timestamp()
);

CREATE INDEX notification_task_assignments_at ON notification_task_assignments (at);

CREATE FUNCTION notification_task_assigned() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO notification_task_assignments (project_id, task_id, number, title, assignee)
        SELECT NEW.project_id, NEW.id, NEW.number, NEW.title, a FROM unnest(NEW.assignees) a;
    ELSE
        INSERT INTO notification_task_assignments (project_id, task_id, number, title, assignee)
        SELECT NEW.project_id, NEW.id, NEW.number, NEW.title, a FROM unnest(NEW.assignees) a WHERE NOT (a = ANY (OLD.assignees));
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER notification_task_assigned AFTER INSERT OR UPDATE OF assignees ON project_tasks
    FOR EACH ROW EXECUTE FUNCTION notification_task_assigned();
