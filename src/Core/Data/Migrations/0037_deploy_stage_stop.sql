-- A deploy stage's deployment can be stopped (issue 13, ADR 0044): when its run is canceled, or when the run's deploy
-- wait times out, the deployment ends 'canceled' (its release process is stopped by the worker that deploys it).
ALTER TABLE deployments DROP CONSTRAINT deployments_status_check;
ALTER TABLE deployments ADD CONSTRAINT deployments_status_check
    CHECK (status IN ('pending', 'deploying', 'current', 'failed', 'superseded', 'stopped', 'canceled'));

-- Stops the deploy stage's deployment of a run to an environment, with its event in the run's history, in one
-- statement (the deployments table and the run's events are coupled here, in the schema, as by the trigger of
-- migration 0033). A pending or deploying one becomes 'canceled' with the event 'deployment.canceled' (who, why,
-- what it was doing); one that is already current is past the point of no return: it is left as is, with the event
-- 'deployment.not_canceled' (once). Idempotent: a second call finds it ended and changes nothing.
CREATE FUNCTION deployments_stop_stage(p_run uuid, p_environment text, p_reason text, p_by text)
RETURNS TABLE (deployment_id uuid, was text, stopped boolean) LANGUAGE plpgsql AS $$
DECLARE
    d deployments%ROWTYPE;
BEGIN
    SELECT * INTO d FROM deployments WHERE run_id = p_run AND environment = p_environment AND trigger = 'auto' FOR UPDATE;
    IF NOT FOUND THEN
        RETURN;
    END IF;

    IF d.status IN ('pending', 'deploying') THEN
        UPDATE deployments SET status = 'canceled', error = p_reason, finished_at = clock_timestamp() WHERE id = d.id;
        INSERT INTO pipeline_run_events (run_id, type, step, data)
        VALUES (p_run, 'deployment.canceled', 'deploy:' || p_environment, jsonb_strip_nulls(jsonb_build_object(
            'environment', p_environment, 'deploymentId', d.id, 'target', d.target, 'was', d.status, 'reason', p_reason, 'by', p_by)));
        RETURN QUERY SELECT d.id, d.status, true;
        RETURN;
    END IF;

    IF d.status = 'current' AND NOT EXISTS (
        SELECT 1 FROM pipeline_run_events e WHERE e.run_id = p_run AND e.type = 'deployment.not_canceled' AND e.step = 'deploy:' || p_environment) THEN
        INSERT INTO pipeline_run_events (run_id, type, step, data)
        VALUES (p_run, 'deployment.not_canceled', 'deploy:' || p_environment, jsonb_strip_nulls(jsonb_build_object(
            'environment', p_environment, 'deploymentId', d.id, 'target', d.target, 'reason', p_reason, 'by', p_by,
            'why', 'the release was already current (past the point of no return): left as is; roll back to undo it')));
    END IF;

    RETURN QUERY SELECT d.id, d.status, false;
END
$$;
