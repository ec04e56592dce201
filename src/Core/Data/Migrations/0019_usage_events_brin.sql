-- usage_events takes one row per request (tens of thousands a second under load) and is only ever read by time range:
-- the rollups by arrival (at) and by write time (recorded_at, the watermark), retention by age. Both columns grow
-- with the insert order, which is what BRIN indexes are for: a few pages instead of two B-trees updated per row.
-- Measured with bench/projects: with the B-trees, recording usage cost GET /projects/{id} about a quarter of its
-- throughput on a 2-core machine (PostgreSQL ingesting the baseline's rows beside the lookups).
DROP INDEX usage_events_at;
DROP INDEX usage_events_recorded_at;
CREATE INDEX usage_events_at ON usage_events USING brin (at) WITH (pages_per_range = 16);
CREATE INDEX usage_events_recorded_at ON usage_events USING brin (recorded_at) WITH (pages_per_range = 16);
