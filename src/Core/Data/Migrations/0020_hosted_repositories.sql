-- Hosted repositories (the service's own bare repositories, served over smart HTTP): a push to one
-- is stored as a delivery of provider 'hosted' and processed like a webhook's push.

ALTER TABLE webhook_deliveries DROP CONSTRAINT webhook_deliveries_provider_check;
ALTER TABLE webhook_deliveries ADD CONSTRAINT webhook_deliveries_provider_check
    CHECK (provider IN ('github', 'gitlab', 'hosted'));
