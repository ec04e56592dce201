-- A delivery whose signature checked out but whose payload is not what its sender documents
-- (a field missing or of the wrong type, a ref or sha that is none) ends 'invalid', with the
-- reason in outcome. Unlike 'failed' (something on our side went wrong, re-processing may help),
-- processing it again gives the same answer.
ALTER TABLE webhook_deliveries DROP CONSTRAINT webhook_deliveries_status_check;
ALTER TABLE webhook_deliveries ADD CONSTRAINT webhook_deliveries_status_check
    CHECK (status IN ('received', 'processing', 'processed', 'ignored', 'failed', 'invalid'));
