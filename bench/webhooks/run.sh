#!/usr/bin/env bash
# Webhook intake throughput: signed GitHub push deliveries (unique delivery id each) against
# GET /health in the same run, on the Release build with an embedded PostgreSQL; then checks
# that every accepted delivery was stored exactly once.
# Usage: bench/webhooks/run.sh [duration_seconds=10] [connections=32]
set -euo pipefail
cd "$(dirname "$0")/../.."
duration=${1:-10}
connections=${2:-32}
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq --no-install-recommends wrk >/dev/null; }

dotnet build src/Functions -c Release -v q --nologo >/dev/null
work=$(mktemp -d /tmp/devmentor-bench-webhooks.XXXX)
chmod 755 "$work"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
secret=bench-secret
export PAYLOAD="$work/payload.json" RUN_ID=$RANDOM
cp tests/fixtures/github/push.with-new-branch.payload.json "$PAYLOAD"
export SIGNATURE="sha256=$(openssl dgst -sha256 -hmac "$secret" -r "$PAYLOAD" | cut -d' ' -f1)"

DEVMENTOR_DATA_DIR="$work/data" GitHub__WebhookSecret=$secret Logging__LogLevel__Default=Warning \
  dotnet src/Functions/bin/Release/net10.0/DevMentor.Functions.dll --urls "http://127.0.0.1:$port" >"$work/service.log" 2>&1 &
service=$!
trap 'kill $service 2>/dev/null; wait $service 2>/dev/null; rm -rf "$work"' EXIT
until curl -sf "http://127.0.0.1:$port/health" >/dev/null; do sleep 0.2; done
# Warm-up of both paths (JIT, connection pool). 5 s each: on a starved machine 2 s left the JIT
# still compiling (tier-1) during the measured run, a cost the tiny /health path hardly has.
RUN_ID=warmup$RUN_ID wrk -t2 -c8 -d5s -s bench/webhooks/github-push.lua "http://127.0.0.1:$port/webhooks/github" >/dev/null
wrk -t2 -c8 -d5s "http://127.0.0.1:$port/health" >/dev/null

run() { wrk -t2 -c"$connections" -d"${duration}s" --latency "$@"; }
webhook=$(RUN_ID=$RUN_ID run -s bench/webhooks/github-push.lua "http://127.0.0.1:$port/webhooks/github")
health=$(run "http://127.0.0.1:$port/health")

rps() { awk '/Requests\/sec/ {print $2}' <<<"$1"; }
p99() { awk '$1=="99%" {print $2}' <<<"$1"; }
pct() { awk -v p="$2" '$1==p {print $2}' <<<"$1"; }
accepted=$(awk -F= '/accepted_202/ {print $2}' <<<"$webhook")

pgport=$(sed -n 4p "$work/data/pg/postmaster.pid")
export PGPASSWORD=$(cat "$work/data/pg.password")
read -r stored distinct < <(psql -h 127.0.0.1 -p "$pgport" -U postgres -d devmentor -At -F' ' -c \
  "SELECT count(*), count(DISTINCT delivery_id) FROM webhook_deliveries WHERE delivery_id LIKE 'bench-$RUN_ID-%'")

echo "webhook intake: $(rps "$webhook") requests/s, $(python3 -c "print(round($accepted/$duration))") accepted (first, non-duplicate) deliveries/s, p99 $(p99 "$webhook") (p50 $(pct "$webhook" 50%), p90 $(pct "$webhook" 90%)), accepted (202) $accepted"
echo "baseline /health: $(rps "$health") req/s, p99 $(p99 "$health") (p50 $(pct "$health" 50%), p90 $(pct "$health" 90%))"
echo "load average during the run: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
echo "ratio webhook/health: $(python3 -c "print(round($(rps "$webhook")/$(rps "$health"),3))")"
echo "stored deliveries for this run: $stored rows, $distinct distinct ids (accepted $accepted; each must match)"
# wrk stops counting at the deadline while up to one request per connection is still in flight and
# gets stored, so stored may exceed accepted by at most the connection count; duplicates never.
[ "$stored" = "$distinct" ] && [ "$stored" -ge "$accepted" ] && [ "$stored" -le $((accepted + connections)) ] \
  || { echo "MISMATCH: every accepted delivery must be stored exactly once"; exit 1; }
echo "OK: one stored delivery per id"
