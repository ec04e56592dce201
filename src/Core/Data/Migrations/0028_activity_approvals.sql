-- The activity feed (ADR 0030) gains deployment approvals: who approved or rejected which run's deployment, and why.
-- A trigger of its own, like the others: the feed stays out of the pipeline's code.
CREATE FUNCTION project_activity_approval() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.status = 'waiting' AND NEW.status IN ('approved', 'rejected') THEN
        INSERT INTO project_activity (project_id, actor, kind, detail)
        SELECT r.project_id, split_part(NEW.decided_by, ' ', 1), NEW.status,
               jsonb_build_object('environment', NEW.environment, 'run', r.number, 'comment', NEW.comment)
        FROM pipeline_runs r WHERE r.id = NEW.run_id;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER activity AFTER UPDATE OF status ON pipeline_approvals FOR EACH ROW EXECUTE FUNCTION project_activity_approval();
