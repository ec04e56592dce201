-- Path search (GET /search?type=file) spent most of its time decoding the GIN posting trees of trigrams nearly every
-- path holds: for q=file4251 over 100,000 paths, "fil" and "ile" are in all of them, and the index scan is re-advanced
-- through both for every candidate of the rare trigrams (92 index pages and ~2-5 ms per query; %4251% alone: 5 pages,
-- 0.3 ms). Which trigrams are that common depends on the repositories, so the search asks PostgreSQL: ANALYZE (and
-- autovacuum's auto-analyze) keeps the most common trigrams of the paths and the share of rows holding each in
-- pg_stats_ext_exprs, from a sample and without storing anything per row. SearchService leaves the common ones out of
-- the index condition and checks the whole text on the few candidates left (ADR 0040).
CREATE STATISTICS code_search_files_path_trigrams ON (show_trgm(path)) FROM code_search_files;
ANALYZE code_search_files;
