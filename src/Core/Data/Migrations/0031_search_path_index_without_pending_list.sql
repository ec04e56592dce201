-- Path search (GET /search?type=file) spent most of its time in the GIN trigram index's pending list: with
-- fastupdate on, new entries wait there, unsorted, until a vacuum or 4 MB of them, and every scan reads all of it
-- (about 2,700 entries after seeding 100,000 paths: a path search took 11 ms, 4 ms once they were merged). Paths
-- change only when a default branch's tree does and have few trigrams each, so they go straight into the index.
-- (A GiST trigram index ordered by <-> was measured too: 47 ms, it reads most of its leaves for a rare substring.)
ALTER INDEX code_search_files_path SET (fastupdate = off);
SELECT gin_clean_pending_list('code_search_files_path'::regclass);
