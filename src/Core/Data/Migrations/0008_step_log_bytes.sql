-- The service caps each step attempt's log itself (Pipelines:MaxLogBytes), whatever a runner sends:
-- bytes received so far for the attempt named in log_attempt (another attempt starts again at 0).
ALTER TABLE pipeline_steps
    ADD COLUMN log_bytes   bigint  NOT NULL DEFAULT 0,
    ADD COLUMN log_attempt integer NOT NULL DEFAULT 0;
