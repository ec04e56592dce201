-- A queueing activity that got its step's outcome directly (run orchestration version 2, ADR 0046) deletes that
-- outcome's outbox row by run and event name; the foreign key's cascade on a run's deletion looks rows up by run too.
CREATE INDEX pipeline_outbox_run ON pipeline_outbox (run_id, name);
