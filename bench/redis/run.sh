#!/usr/bin/env bash
# GET /projects/{id} (a cache hit) with the cache and the rate-limit counters on a 3-node Redis
# Cluster, beside the same with a single Redis node, in one invocation. Two instances of the real
# service (Release, each on its own embedded PostgreSQL, the same settings except
# ConnectionStrings:Redis) are measured with wrk in interleaved rounds, the order alternating from
# round to round, and the medians compared. Every request reads the cache entry and increments the
# caller's rate-limit counter in Redis. Target: cluster >= 0.8x single node.
# Usage: bench/redis/run.sh [seconds-per-round=5] [connections=32] [rounds=3]
set -euo pipefail
cd "$(dirname "$0")/../.."

duration=${1:-5}
connections=${2:-32}
rounds=${3:-3}

if ! command -v wrk >/dev/null 2>&1; then
  echo "bench: installing wrk (apt)"
  apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends wrk >/dev/null
fi
command -v redis-server >/dev/null && command -v redis-cli >/dev/null || scripts/install-prereqs.sh >/dev/null

dotnet build src/Functions -c Release --nologo -v quiet -warnaserror >/dev/null

source bench/lib/service.sh
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# A redis-server on loopback, no persistence, its files under the scratch dir; stopped at exit.
start_redis() { # name port [extra arguments]
  local name=$1 redis_port=$2
  shift 2
  mkdir -p "$work/$name"
  redis-server --bind 127.0.0.1 --port "$redis_port" --save "" --appendonly no --dir "$work/$name" \
    --daemonize no --loglevel warning "$@" >"$work/$name.log" 2>&1 &
  extra_pids+=($!)
  for _ in $(seq 1 100); do
    redis-cli -p "$redis_port" ping >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "bench: redis-server $name did not start:"; cat "$work/$name.log"; exit 1
}

single=$(free_port)
start_redis single "$single"
nodes=()
for i in 0 1 2; do
  node=$(free_port)
  start_redis "node$i" "$node" --cluster-enabled yes --cluster-config-file "$work/node$i/nodes.conf" \
    --cluster-port "$(free_port)" --cluster-node-timeout 5000
  nodes+=("$node")
done
redis-cli --cluster create "127.0.0.1:${nodes[0]}" "127.0.0.1:${nodes[1]}" "127.0.0.1:${nodes[2]}" \
  --cluster-replicas 0 --cluster-yes >"$work/cluster-create.log" 2>&1 || { cat "$work/cluster-create.log"; exit 1; }
for node in "${nodes[@]}"; do
  for _ in $(seq 1 300); do
    redis-cli -p "$node" cluster info | grep -q '^cluster_state:ok' && break
    sleep 0.1
  done
  redis-cli -p "$node" cluster info | grep -q '^cluster_state:ok' || { echo "bench: the cluster is not ok"; exit 1; }
done
cluster_connection="127.0.0.1:${nodes[0]},127.0.0.1:${nodes[1]},127.0.0.1:${nodes[2]}"

signing_key=$(python3 -c 'import secrets; print(secrets.token_urlsafe(48))')
start_service() { # name port redis-connection-string
  # Limits far above what the run sends: the benchmark measures the path, not the throttle.
  DEVMENTOR_DATA_DIR="$work/$1-data" \
  Auth__Jwt__SigningKey="$signing_key" \
  ConnectionStrings__Redis="$3" \
  Redis__KeyPrefix="bench:" \
  RateLimits__PerIp=1000000000 RateLimits__PerUser=1000000000 RateLimits__PerApiKey=1000000000 \
  Scheduler__Enabled=false Pipelines__Runner__Enabled=false \
  Logging__LogLevel__Default=Warning \
    dotnet src/Functions/bin/Release/net10.0/DevMentor.Functions.dll --urls "http://127.0.0.1:$2" >"$work/$1.log" 2>&1 &
}

single_base=$base
cluster_port=$(free_port)
cluster_base="http://127.0.0.1:$cluster_port"
start_service single "$port" "127.0.0.1:$single"
service_pid=$!
start_service cluster "$cluster_port" "$cluster_connection"
cluster_pid=$!
extra_pids+=("$cluster_pid")
wait_for "$single_base/health" "$service_pid" "$work/single.log"
wait_for "$cluster_base/health" "$cluster_pid" "$work/cluster.log"

token=$(python3 - "$signing_key" <<'PY'
import base64, hashlib, hmac, json, sys, time
def b64(data): return base64.urlsafe_b64encode(data).rstrip(b"=").decode()
key = sys.argv[1].encode()
header = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
payload = b64(json.dumps({"sub": "bench-user", "iss": "devmentor-auth", "aud": "devmentor", "exp": int(time.time()) + 3600}).encode())
signature = b64(hmac.new(key, f"{header}.{payload}".encode(), hashlib.sha256).digest())
print(f"{header}.{payload}.{signature}")
PY
)
auth="Authorization: Bearer $token"

# The same project on each (its own database), read once so the entry is in Redis.
seed() { # base-url -> project id
  curl -fs -H "$auth" -H 'Content-Type: application/json' \
    -d '{"name":"Bench project","description":"seeded for the benchmark","visibility":"private"}' "$1/projects" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])'
}
single_id=$(seed "$single_base")
cluster_id=$(seed "$cluster_base")

# Both must be on Redis (readiness Healthy), the second on the 3-node cluster, before anything is measured.
ready() { # base-url expected-text
  local body
  body=$(curl -fs "$1/health/ready")
  python3 - "$body" "$2" <<'PY'
import json, sys
redis = json.loads(sys.argv[1])["checks"]["redis"]
if redis["status"] != "Healthy" or sys.argv[2] not in redis["description"]:
    sys.exit(f"bench: Redis is not in use as expected: {redis}")
print(redis["description"])
PY
}
echo "single node: $(ready "$single_base" "Redis at 127.0.0.1:$single")"
echo "cluster:     $(ready "$cluster_base" "Redis Cluster of 3 nodes")"

# wrk prints "Requests/sec: N" and, with --latency, "99% X(us|ms|s)".
measure() { # name url
  local out rps p99 non2xx
  wrk -t2 -c"$connections" -d2s -H "$auth" "$2" >/dev/null # warm-up: JIT, pools, the cache entry
  out=$(wrk -t2 -c"$connections" -d"${duration}s" --latency -H "$auth" "$2")
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
  non2xx=$(awk '/Non-2xx/ {print $5}' <<<"$out")
  if [ -n "$non2xx" ]; then
    echo "bench: $1 answered $non2xx non-2xx responses" >&2
    exit 1
  fi
  printf '%s %s %s\n' "$1" "$rps" "$p99"
}

results="$work/results"
for round in $(seq 1 "$rounds"); do
  if [ $((round % 2)) = 1 ]; then
    echo "$round $(measure single "$single_base/projects/$single_id")" >>"$results"
    echo "$round $(measure cluster "$cluster_base/projects/$cluster_id")" >>"$results"
  else
    echo "$round $(measure cluster "$cluster_base/projects/$cluster_id")" >>"$results"
    echo "$round $(measure single "$single_base/projects/$single_id")" >>"$results"
  fi
done

# Still on Redis after the load (no fallback to in-process during the run), entries where expected.
ready "$single_base" "Redis at 127.0.0.1:$single" >/dev/null
ready "$cluster_base" "Redis Cluster of 3 nodes" >/dev/null
single_key="bench:cache:project:v1:${single_id//-/}"
cluster_key="bench:cache:project:v1:${cluster_id//-/}"
[ -n "$(redis-cli -p "$single" get "$single_key")" ] || { echo "bench: no cache entry on the single node"; exit 1; }
[ -n "$(redis-cli -c -p "${nodes[0]}" get "$cluster_key")" ] || { echo "bench: no cache entry on the cluster"; exit 1; }

echo "rounds (round setup req/s p99):"; sed 's/^/  /' "$results"

# Medians of each setup, and the median of the per-round ratios: the two runs of a round are back
# to back, so a burst of outside load is more likely to hit both than one.
python3 - "$results" "$connections" "$duration" "$rounds" "$(cut -d' ' -f1 /proc/loadavg)" <<'PY'
import os, re, statistics, sys
path, conns, dur, rounds, load = sys.argv[1:]
def ms(v):
    number, unit = re.match(r"([\d.]+)(us|ms|s)", v).groups()
    return float(number) * {"us": 0.001, "ms": 1, "s": 1000}[unit]
runs = {}
for line in open(path):
    n, name, rps, p99 = line.split()
    runs.setdefault(name, {})[int(n)] = (float(rps), ms(p99))
single, cluster = runs["single"], runs["cluster"]
ratios = [cluster[n][0] / single[n][0] for n in sorted(single)]
ratio = statistics.median(ratios)
med = lambda runs, i: statistics.median(r[i] for r in runs.values())
print(f"redis bench: GET /projects/{{id}} (cache hit + rate-limit counter in Redis), wrk -t2 -c{conns}, "
      f"{rounds} interleaved {dur}s rounds, Release, {os.cpu_count()} cores, load {load}")
print(f"{'Redis':<28}{'median req/s':>13}{'p99 ms':>9}")
print(f"{'single node (baseline)':<28}{med(single, 0):>13.0f}{med(single, 1):>9.2f}")
print(f"{'3-node cluster':<28}{med(cluster, 0):>13.0f}{med(cluster, 1):>9.2f}")
print(f"cluster / single, per round: {' '.join(f'{r:.2f}' for r in ratios)}; "
      f"median {ratio:.2f}x (target >= 0.8x: {'met' if ratio >= 0.8 else 'NOT met'})")
PY
