#!/usr/bin/env bash
# GET /projects/{id} (cached, with a JWT and with an API key) and GET /projects/list on the real service (Release build, embedded
# PostgreSQL in a temporary data dir) with wrk, beside GET /bench/baseline: a constant JSON answer
# behind the same authentication, rate limiting and authorization, measured in the same run.
# The three are measured in interleaved rounds and the median of each is reported, so a burst of
# load from elsewhere on the machine does not land on one endpoint only.
# Usage: bench/projects/run.sh [seconds-per-round] [connections] [rounds]
set -euo pipefail
cd "$(dirname "$0")/../.."

duration=${1:-5}
connections=${2:-32}
rounds=${3:-3}

if ! command -v wrk >/dev/null 2>&1; then
  echo "bench: installing wrk (apt)"
  apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends wrk >/dev/null
fi

dotnet build src/Functions -c Release --nologo -v quiet >/dev/null

source bench/lib/service.sh
start_bench_service
token=$(bench_jwt)
auth="Authorization: Bearer $token"

project_id=
for i in $(seq 1 60); do
  body=$(printf '{"name":"Bench project %d","description":"seeded for the benchmark","visibility":"private","repository":{"provider":"github","fullName":"acme/bench-%d"}}' "$i" "$i")
  response=$(curl -fs -H "$auth" -H 'Content-Type: application/json' -d "$body" "$base/projects")
  project_id=${project_id:-$(printf '%s' "$response" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')}
done

# An API key bound to the same user, made with the admin key the service wrote to its data dir:
# the same project, the same authorization, only the credential differs.
admin_key=$(cat "$work/data/admin.key")
api_key=$(curl -fs -H "X-Api-Key: $admin_key" -H 'Content-Type: application/json' -d '{"name":"bench","userId":"bench-user"}' "$base/apikeys" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["key"])')
key_auth="X-Api-Key: $api_key"

# wrk prints "Requests/sec: N" and, with --latency, "99% X(us|ms|s)".
measure() {
  local name=$1 path=$2 header=${3:-$auth}
  wrk -t2 -c"$connections" -d2s -H "$header" "$base$path" >/dev/null # warm-up: JIT, caches, pool
  local out
  out=$(wrk -t2 -c"$connections" -d"${duration}s" --latency -H "$header" "$base$path")
  local rps p99 non2xx
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
  non2xx=$(awk '/Non-2xx/ {print $5}' <<<"$out")
  if [ -n "$non2xx" ]; then
    echo "bench: $name answered $non2xx non-2xx responses" >&2
    exit 1
  fi
  printf '%s %s %s\n' "$name" "$rps" "$p99"
}

to_ms() { # 812.00us | 3.21ms | 1.02s -> milliseconds
  python3 -c 'import re,sys; v,u=re.match(r"([\d.]+)(us|ms|s)",sys.argv[1]).groups(); print(round(float(v)*{"us":0.001,"ms":1,"s":1000}[u],2))' "$1"
}

results="$work/results"
for round in $(seq 1 "$rounds"); do
  measure baseline /bench/baseline >>"$results"
  measure get "/projects/$project_id" >>"$results"
  measure getkey "/projects/$project_id" "$key_auth" >>"$results"
  measure list /projects/list >>"$results"
done

median() { # name column
  awk -v n="$1" -v c="$2" '$1 == n {print $c}' "$results" | while read -r v; do
    case $v in *us|*ms|*s) to_ms "$v" ;; *) echo "$v" ;; esac
  done | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'
}
echo "rounds (endpoint req/s p99):"; sed 's/^/  /' "$results"
base_rps=$(median baseline 2); base_p99=$(median baseline 3)
get_rps=$(median get 2); get_p99=$(median get 3)
list_rps=$(median list 2); list_p99=$(median list 3)
key_rps=$(median getkey 2); key_p99=$(median getkey 3)

python3 - "$base_rps" "$base_p99" "$get_rps" "$get_p99" "$list_rps" "$list_p99" "$connections" "$duration" "$rounds" "$key_rps" "$key_p99" <<'PY'
import sys
base, base_p99, get, get_p99, lst, lst_p99, conns, dur, rounds, key, key_p99 = sys.argv[1:]
base, get, lst, key = float(base), float(get), float(lst), float(key)
print(f"projects bench: wrk -t2 -c{conns}, median of {rounds} interleaved {dur}s rounds, Release, embedded PostgreSQL, JWT auth, {__import__('os').cpu_count()} cores")
print(f"{'endpoint':<28}{'req/s':>10}{'p99 ms':>9}{'vs baseline':>13}  target")
print(f"{'GET /bench/baseline':<28}{base:>10.0f}{float(base_p99):>9.2f}{1.0:>12.2f}x")
print(f"{'GET /projects/{id}':<28}{get:>10.0f}{float(get_p99):>9.2f}{get / base:>12.2f}x  >= 5000 req/s, p99 <= 10 ms, >= 0.5x: "
      f"{'met' if get >= 5000 and float(get_p99) <= 10 and get / base >= 0.5 else 'NOT met'}")
print(f"{'GET /projects/{id} API key':<28}{key:>10.0f}{float(key_p99):>9.2f}{key / base:>12.2f}x  >= 0.9x the JWT request ({key / get:.2f}x): "
      f"{'met' if key / get >= 0.9 else 'NOT met'}")
print(f"{'GET /projects/list':<28}{lst:>10.0f}{float(lst_p99):>9.2f}{lst / base:>12.2f}x  >= 1500 req/s: {'met' if lst >= 1500 else 'NOT met'}")
PY
