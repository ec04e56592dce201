-- Trace context carried through the database (issue 12 item 5, ADR 0015). Work that goes on after
-- its request was answered starts its spans from the context stored with it:
--   webhook_deliveries.traceparent: the receiving request's span; processing is its child.
--   pipeline_runs.traceparent: the span that started the run (webhook processing or the API request).
-- pipeline_runs.traced_at: when the ended run was turned into spans and metrics. Claiming ended runs
-- whose traced_at is null reports each run once, from whichever instance, whatever ended it.
ALTER TABLE webhook_deliveries ADD COLUMN traceparent text;
ALTER TABLE pipeline_runs ADD COLUMN traceparent text;
ALTER TABLE pipeline_runs ADD COLUMN traced_at timestamptz;

-- Runs that ended before this migration are not reported.
UPDATE pipeline_runs SET traced_at = finished_at WHERE finished_at IS NOT NULL;

CREATE INDEX pipeline_runs_untraced ON pipeline_runs (finished_at) WHERE traced_at IS NULL AND finished_at IS NOT NULL;
