-- The deploy stage of a run (issue 13, ADR 0039): the run's orchestration starts an 'auto' deployment per environment
-- and waits for its end. One such deployment per run and environment, so the activity that starts it is idempotent
-- (the automatic deployer, which deploys runs that succeeded without the stage, also makes one per run and environment).
CREATE UNIQUE INDEX deployments_run_environment_auto ON deployments (run_id, environment) WHERE trigger = 'auto';

-- While its run is in progress (its deploy stage), a deployment's moves go to the run's event history, and its end
-- (current or failed) to the run outbox as the event the orchestration waits for, in the transaction that records
-- it: a crash between the two loses nothing (as for steps' outcomes and approvals, migrations 0026-0027).
CREATE FUNCTION deployments_deploy_stage() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    moved text;
BEGIN
    IF NEW.trigger <> 'auto' OR NOT EXISTS (SELECT 1 FROM pipeline_runs r WHERE r.id = NEW.run_id AND r.status IN ('queued', 'running')) THEN
        RETURN NULL;
    END IF;

    IF TG_OP = 'INSERT' THEN
        moved := 'queued';
    ELSIF OLD.status IS NOT DISTINCT FROM NEW.status THEN
        RETURN NULL;
    ELSE
        moved := CASE NEW.status WHEN 'deploying' THEN 'started' WHEN 'pending' THEN 'requeued' WHEN 'current' THEN 'succeeded' WHEN 'failed' THEN 'failed' END;
    END IF;

    IF moved IS NULL THEN
        RETURN NULL;
    END IF;

    INSERT INTO pipeline_run_events (run_id, type, step, data)
    VALUES (NEW.run_id, 'deployment.' || moved, 'deploy:' || NEW.environment, jsonb_strip_nulls(jsonb_build_object(
        'environment', NEW.environment, 'deploymentId', NEW.id, 'target', NEW.target, 'url', NEW.url, 'health', NEW.health, 'error', NEW.error)));
    IF moved IN ('succeeded', 'failed') THEN
        INSERT INTO pipeline_outbox (run_id, kind, name, payload)
        VALUES (NEW.run_id, 'event', 'deploy-' || NEW.environment,
                jsonb_build_object('succeeded', NEW.status = 'current', 'deploymentId', NEW.id, 'error', NEW.error));
    END IF;

    RETURN NULL;
END
$$;

CREATE TRIGGER deploy_stage AFTER INSERT OR UPDATE OF status ON deployments FOR EACH ROW EXECUTE FUNCTION deployments_deploy_stage();
