#!/usr/bin/env bash
# GET /search over 100,000 indexed default-branch files (paths and text contents, pg_trgm indexes) on
# the real service (Release, embedded PostgreSQL), beside the same SQL run directly against the same
# database with pgbench in the same invocation (the baseline: what the endpoint adds to its query).
# Files are seeded with one INSERT … SELECT through psql into code_search_files (a sync of 100,000
# files would take minutes), spread over 10 projects the caller is a collaborator of, plus 10
# private projects of another user whose files must never be searched. Target: search p95 <= 50 ms.
# Usage: bench/search/run.sh [seconds] [connections] [files]
set -euo pipefail
cd "$(dirname "$0")/../.."

duration=${1:-5}
connections=${2:-8}
files=${3:-100000}

command -v wrk >/dev/null 2>&1 || { apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends wrk >/dev/null; }
dotnet build src/Functions -c Release --nologo -v quiet >/dev/null

source bench/lib/service.sh
Pipelines__Runner__Enabled=false Sync__Enabled=false start_bench_service
auth="Authorization: Bearer $(bench_jwt bench-user)"
other="Authorization: Bearer $(bench_jwt someone-else)"
for i in $(seq 1 10); do
  curl -fs -X POST -H "$auth" -H 'Content-Type: application/json' -d "{\"name\":\"Search bench $i\",\"visibility\":\"private\"}" "$base/projects" >/dev/null
  curl -fs -X POST -H "$other" -H 'Content-Type: application/json' -d "{\"name\":\"Hidden $i\",\"visibility\":\"private\"}" "$base/projects" >/dev/null
done

pgport=$(sed -n 4p "$work/data/pg/postmaster.pid")
export PGPASSWORD=$(cat "$work/data/pg.password")
pg=(-h 127.0.0.1 -p "$pgport" -U postgres -d devmentor)
start=$(date +%s.%N)
# Half the files in the caller's projects, half in the hidden ones (by n % 20: projects sorted by name, the ten
# "Hidden …" first); files n % 1000 = 13 (visible) and n % 1000 = 3 (hidden) hold a needle.
psql "${pg[@]}" -q -v ON_ERROR_STOP=1 <<SQL
INSERT INTO code_search_files (project_id, path, blob_sha, language, content)
SELECT p.id, format('src/module%s/file%s.cs', n % 500, n), md5(n::text) || '00000000', 'C#',
       format(E'namespace Gen.M%s;\n// generated file %s\npublic sealed class C%s\n{\n    public int Value%s => %s;%s\n}\n', n % 500, n, n, n, n,
              CASE WHEN n % 1000 IN (3, 13) THEN ' // needle' || n ELSE '' END)
FROM generate_series(1, $files) AS n
JOIN LATERAL (SELECT id FROM projects ORDER BY name OFFSET (n % 20) LIMIT 1) p ON true;
ANALYZE code_search_files;
SQL
echo "bench: seeded $files search files in $(python3 -c "print(round($(date +%s.%N) - $start, 1))") s"

cat >"$work/p95.lua" <<'LUA'
done = function(summary, latency, requests)
  io.write(string.format("LAT %.3f %.3f %.3f %d\n", latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000, summary.requests))
end
LUA

# The endpoint: req/s and p50/p95/p99 in ms.
measure() { # name path
  wrk -t2 -c"$connections" -d2s -H "$auth" "$base$2" >/dev/null
  local out
  out=$(wrk -t2 -c"$connections" -d"${duration}s" -s "$work/p95.lua" -H "$auth" "$base$2")
  if grep -q Non-2xx <<<"$out"; then echo "bench: $1 answered non-2xx" >&2; exit 1; fi
  echo "$1 $(grep -oP 'Requests/sec:\s+\K[\d.]+' <<<"$out") $(grep -oP '^LAT \K.*' <<<"$out" | cut -d' ' -f1-3)"
}

# The baseline: the endpoint's own SQL (SearchService, parameters as literals) through pgbench, same connections.
# For paths, the index is asked for "e4251": over these paths "fil", "ile" and "le4" are common trigrams (ADR 0040;
# PathTrigramsTests pins that choice), and the whole text is checked on the rows it returns.
baseline() { # name type-sql
  cat >"$work/$1.sql" <<SQL
SELECT * FROM ($2) hits
WHERE NULL::float8 IS NULL OR score < NULL::float8 OR (score = NULL::float8 AND key > '')
ORDER BY score DESC, key COLLATE "C" LIMIT 21;
SQL
  (cd "$work" && rm -f pgbench_log.* && pgbench "${pg[@]}" -n -c "$connections" -j 2 -T 2 -f "$1.sql" >"$1.warm" 2>&1 &&
    rm -f pgbench_log.* && pgbench "${pg[@]}" -n -c "$connections" -j 2 -T "$duration" -l -f "$1.sql" >"$1.out" 2>&1) ||
    { echo "bench: pgbench failed:" >&2; cat "$work/$1.warm" "$work/$1.out" >&2 2>/dev/null; exit 1; }
  python3 - "$1" "$work" <<'PY'
import glob, sys
name, work = sys.argv[1], sys.argv[2]
lat = sorted(int(line.split()[2]) / 1000 for f in glob.glob(f"{work}/pgbench_log.*") for line in open(f))
tps = next(l for l in open(f"{work}/{name}.out") if l.startswith("tps")).split()[2]
pct = lambda p: lat[min(len(lat) - 1, int(len(lat) * p / 100))]
print(f"{name} {float(tps):.0f} {pct(50):.3f} {pct(95):.3f} {pct(99):.3f}")
PY
}

visible="(false OR p.visibility <> 'private' OR EXISTS (SELECT 1 FROM project_collaborators c WHERE c.project_id = p.id AND c.user_id = 'bench-user')) AND (NULL::uuid IS NULL OR p.id = NULL::uuid)"
file_sql="SELECT 'file', p.id, f.path, NULL::uuid, f.path, score, p.id::text || ':' || f.path AS key, NULL::text, NULL::text
  FROM code_search_files f JOIN projects p ON p.id = f.project_id, LATERAL (SELECT similarity(f.path, 'file4251')::float8 AS score) s
  WHERE f.path ILIKE '%e4251%' AND f.path || '' ILIKE '%file4251%' AND $visible"
code_sql="SELECT 'code', p.id, f.path, NULL::uuid, f.path, 0::float8 AS score, p.id::text || ':' || f.path AS key, NULL::text, f.content
  FROM code_search_files f JOIN projects p ON p.id = f.project_id
  WHERE f.content ILIKE '%needle42013%' AND $visible"

{
  baseline sql-file "$file_sql"
  measure search-file "/search?type=file&q=file4251"
  baseline sql-code "$code_sql"
  measure search-code "/search?type=code&q=needle42013"
} >"$work/results"

# The caller sees only its own projects' files: a needle in a hidden project is not found.
count() { curl -fs -H "$auth" "$base/search?type=code&q=$1" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["items"]))'; }
hits="needle42013 (visible): $(count needle42013) hit, needle42003 (hidden project): $(count needle42003) hits"

python3 - "$work/results" "$files" "$connections" "$duration" "$hits" <<'PY'
import os, sys
rows = {r[0]: r[1:] for r in (l.split() for l in open(sys.argv[1]))}
print(f"search bench: {sys.argv[2]} indexed files, {sys.argv[3]} connections, {sys.argv[4]} s, Release, embedded PostgreSQL ({os.cpu_count()} cores)")
print(f"{'what':<14}{'req/s':>9}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'p95 vs SQL':>12}")
worst = 0.0
for kind in ("file", "code"):
    sql, api = rows[f"sql-{kind}"], rows[f"search-{kind}"]
    for name, r in ((f"sql-{kind}", sql), (f"search-{kind}", api)):
        print(f"{name:<14}{float(r[0]):>9.0f}{float(r[1]):>9.2f}{float(r[2]):>9.2f}{float(r[3]):>9.2f}{float(r[2]) / float(sql[2]):>11.2f}x")
    worst = max(worst, float(api[2]))
print(f"target search p95 <= 50 ms: {'met' if worst <= 50 else 'NOT met'} (worst p95 {worst:.2f} ms); {sys.argv[5]}")
PY
