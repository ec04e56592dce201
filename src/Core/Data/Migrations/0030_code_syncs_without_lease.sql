-- Syncs run only as Durable orchestrations (ADR 0035): the lease worker and its lease column are gone.
-- code_syncs_pending stays: CodeSyncSweep reads the unfinished syncs through it.
ALTER TABLE code_syncs DROP COLUMN lease_until;
