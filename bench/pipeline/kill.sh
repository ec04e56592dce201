#!/usr/bin/env bash
# kill -9 to completed run (issue 13): the real executable (embedded PostgreSQL, Azurite and runner, default settings)
# builds a local git repository whose step sleeps STEP_SECONDS. Baseline: the same run without a kill. Then a run
# is killed with SIGKILL of the service while that step runs, the service restarted on the same data dir, and the
# run polled until it ends: prints kill -> succeeded (target <= 60 s), restart -> /health, and the steps' attempts.
# Usage: bench/pipeline/kill.sh [STEP_SECONDS=8] [extra service settings as NAME=VALUE ...]
set -euo pipefail
cd "$(dirname "$0")/../.."

step_seconds=${1:-8}
shift || true
settings=("$@")
dotnet build src/Functions -c Release --nologo -v quiet >/dev/null

source bench/lib/service.sh
key="bench-admin-key-$(python3 -c 'import secrets; print(secrets.token_hex(16))')"

repo="$work/repo"
mkdir -p "$repo"
cat >"$repo/.devmentor.yml" <<YML
detect: false
steps:
  - name: slow
    commands:
      - [sh, -c, "sleep $step_seconds"]
  - name: after
    commands:
      - [echo, done]
YML
git -C "$repo" -c init.defaultBranch=main init --quiet
git -C "$repo" add -A
git -C "$repo" -c user.name=bench -c user.email=bench@example.com -c commit.gpgsign=false commit --quiet -m "slow step"

start_service() {
  env DEVMENTOR_DATA_DIR="$work/data" Auth__BootstrapApiKey="$key" Logging__LogLevel__Default=Warning "${settings[@]}" \
    dotnet src/Functions/bin/Release/net10.0/DevMentor.Functions.dll --urls "$base" >>"$work/service.log" 2>&1 &
  service_pid=$!
}

# One python client for every call; polls every 100 ms and rides out the service being down.
client() {
  python3 - "$base" "$key" "$@" <<'PY'
import json, sys, time, urllib.request, urllib.error
base, key, command, *rest = sys.argv[1:]
def call(path, body=None):
    request = urllib.request.Request(base + path, data=None if body is None else json.dumps(body).encode(),
                                     headers={"X-Api-Key": key, "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)
def poll(status, done, limit=300):
    end = time.monotonic() + limit
    while time.monotonic() < end:
        try:
            run = call(status)
            if done(run):
                return run
        except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
            pass
        time.sleep(0.1)
    sys.exit(f"bench: no end within {limit} s: {run if 'run' in dir() else 'no answer'}")
terminal = ("succeeded", "failed", "canceled", "timed_out")
describe = lambda run: " ".join(f"{s['name']}:{s['status']}/attempt {s.get('attempt')}" for s in run["steps"])
if command == "project":
    print(call("/projects", {"name": "bench-kill", "visibility": "private",
                             "repository": {"provider": "git", "cloneUrl": "file://" + rest[0], "defaultBranch": "main"}})["id"])
elif command == "build":
    print(call(f"/projects/{rest[0]}/build", {})["statusUri"])
elif command == "running":
    print(describe(poll(rest[0], lambda run: any(s["name"] == rest[1] and s["status"] == "running" for s in run["steps"]))))
elif command == "end":
    since = float(rest[1])
    run = poll(rest[0], lambda run: run["status"] in terminal)
    print(f"{time.monotonic() - since:.2f} {run['status']} {describe(run)}")
elif command == "now":
    print(time.monotonic())
PY
}

start_service
wait_for "$base/health/ready"
project=$(client project "$repo")

# Baseline (also the warm-up of the first clone): trigger -> succeeded without a kill.
for label in warm-up baseline; do
  t0=$(client now); status=$(client build "$project")
  echo "$label: trigger -> end $(client end "$status" "$t0")"
done

t0=$(client now); status=$(client build "$project")
echo "seen running (killed 1 s later): $(client running "$status" slow)"
sleep 1 # well inside the step (STEP_SECONDS long)
tk=$(client now)
kill -9 "$service_pid"; wait "$service_pid" 2>/dev/null || true
start_service
wait_for "$base/health"
health=$(python3 -c "import sys,time; print(f'{time.monotonic() - float(sys.argv[1]):.2f}')" "$tk")
result=$(client end "$status" "$tk")
echo "killed mid-step: kill -> /health of the restarted service ${health} s; kill -> end ${result}"
echo "  (trigger -> kill $(python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.2f}')" "$t0" "$tk") s)"
set -- $result
echo
echo "RESULT kill -9 -> run $2 in $1 s (target <= 60 s) | restart -> /health ${health} s after the kill | settings: ${settings[*]:-defaults} | load average $(cut -d' ' -f1 /proc/loadavg) on $(nproc) cores"
