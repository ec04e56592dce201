-- Collaboration: invitations, and the project's activity feed.

-- An invitation to join a project in a role: pending until the invitee accepts or declines it,
-- the owner revokes it, or it expires (expires_at, 7 days after it was sent). At most one pending
-- invitation per project and user.
CREATE TABLE project_invitations (
    id           uuid        PRIMARY KEY,
    project_id   uuid        NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    user_id      text        NOT NULL,
    role         text        NOT NULL CHECK (role IN ('owner', 'maintainer', 'developer', 'viewer')),
    invited_by   text,
    status       text        NOT NULL CHECK (status IN ('pending', 'accepted', 'declined', 'revoked')),
    created_at   timestamptz NOT NULL,
    expires_at   timestamptz NOT NULL,
    responded_at timestamptz
);

CREATE UNIQUE INDEX project_invitations_one_pending ON project_invitations (project_id, user_id) WHERE status = 'pending';
CREATE INDEX project_invitations_user ON project_invitations (user_id, created_at DESC) WHERE status = 'pending';

-- What happened in a project, newest first by id (the keyset). Written by triggers on the tables
-- where things happen, so every path that changes them (API, webhooks, runners, timers) is in the
-- feed and no feature has to know about it. actor is whoever the row names, when it names one.
CREATE TABLE project_activity (
    id         bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    project_id uuid        NOT NULL,
    at         timestamptz NOT NULL DEFAULT clock_timestamp(),
    actor      text,
    kind       text        NOT NULL,
    detail     jsonb       NOT NULL DEFAULT '{}'
);

CREATE INDEX project_activity_feed ON project_activity (project_id, id DESC);

CREATE FUNCTION project_activity_record() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_TABLE_NAME = 'projects' THEN
        INSERT INTO project_activity (project_id, actor, kind, detail)
        VALUES (NEW.id, NEW.owner_id, 'project.created', jsonb_build_object('name', NEW.name, 'slug', NEW.slug));
    ELSIF TG_TABLE_NAME = 'repository_pushes' THEN
        INSERT INTO project_activity (project_id, actor, kind, detail)
        VALUES (NEW.project_id, NULL, 'pushed', jsonb_build_object('ref', NEW.ref, 'after', NEW.after_sha, 'commits', jsonb_array_length(NEW.commits)));
    ELSIF TG_TABLE_NAME = 'pipeline_runs' THEN
        IF NEW.status IN ('succeeded', 'failed', 'canceled', 'timed_out') AND OLD.status IS DISTINCT FROM NEW.status THEN
            INSERT INTO project_activity (project_id, actor, kind, detail)
            VALUES (NEW.project_id, NULL, 'built', jsonb_build_object('run', NEW.number, 'status', NEW.status, 'branch', NEW.branch, 'commit', NEW.commit_sha));
        END IF;
    ELSIF TG_TABLE_NAME = 'deployments' THEN
        IF NEW.status IN ('current', 'failed') AND OLD.status IS DISTINCT FROM NEW.status THEN
            INSERT INTO project_activity (project_id, actor, kind, detail)
            VALUES (NEW.project_id, NEW.requested_by, 'deployed', jsonb_build_object('environment', NEW.environment, 'run', NEW.run_number, 'status', NEW.status));
        END IF;
    ELSIF TG_TABLE_NAME = 'project_task_events' THEN
        INSERT INTO project_activity (project_id, actor, kind, detail)
        VALUES (NEW.project_id, NEW.actor, 'task.changed', jsonb_build_object('number', NEW.detail->'number', 'change', NEW.kind));
    ELSIF TG_TABLE_NAME = 'project_tasks' THEN
        INSERT INTO project_activity (project_id, actor, kind, detail)
        VALUES (OLD.project_id, NULL, 'task.changed', jsonb_build_object('number', OLD.number, 'change', 'deleted'));
    ELSIF TG_TABLE_NAME = 'project_collaborators' THEN
        IF TG_OP = 'DELETE' THEN
            INSERT INTO project_activity (project_id, actor, kind, detail)
            VALUES (OLD.project_id, NULL, 'collaborator.changed', jsonb_build_object('userId', OLD.user_id, 'change', 'removed'));
        ELSIF TG_OP = 'INSERT' OR OLD.role IS DISTINCT FROM NEW.role THEN
            INSERT INTO project_activity (project_id, actor, kind, detail)
            VALUES (NEW.project_id, NULL, 'collaborator.changed',
                    jsonb_build_object('userId', NEW.user_id, 'role', NEW.role, 'change', CASE WHEN TG_OP = 'INSERT' THEN 'added' ELSE 'role' END));
        END IF;
    ELSIF TG_TABLE_NAME = 'project_invitations' THEN
        INSERT INTO project_activity (project_id, actor, kind, detail)
        VALUES (NEW.project_id, CASE WHEN NEW.status IN ('accepted', 'declined') THEN NEW.user_id ELSE NEW.invited_by END, 'invitation.' || NEW.status,
                jsonb_build_object('userId', NEW.user_id, 'role', NEW.role));
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER activity AFTER INSERT ON projects FOR EACH ROW EXECUTE FUNCTION project_activity_record();
CREATE TRIGGER activity AFTER INSERT ON repository_pushes FOR EACH ROW EXECUTE FUNCTION project_activity_record();
CREATE TRIGGER activity AFTER UPDATE OF status ON pipeline_runs FOR EACH ROW EXECUTE FUNCTION project_activity_record();
CREATE TRIGGER activity AFTER UPDATE OF status ON deployments FOR EACH ROW EXECUTE FUNCTION project_activity_record();
CREATE TRIGGER activity AFTER INSERT ON project_task_events FOR EACH ROW EXECUTE FUNCTION project_activity_record();
CREATE TRIGGER activity AFTER DELETE ON project_tasks FOR EACH ROW EXECUTE FUNCTION project_activity_record();
CREATE TRIGGER activity AFTER INSERT OR UPDATE OR DELETE ON project_collaborators FOR EACH ROW EXECUTE FUNCTION project_activity_record();
CREATE TRIGGER activity AFTER INSERT OR UPDATE OF status ON project_invitations FOR EACH ROW EXECUTE FUNCTION project_activity_record();
