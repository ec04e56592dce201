#!/usr/bin/env bash
# Create-from-template to first green build: the node-express template as a hosted project through
# the service (the real executable, embedded PostgreSQL and runner: POST /projects with template,
# poll the creation flow, then the first build until it ends) beside the same steps done by a plain
# shell script (render the template, git init, commit, push to a bare repository, clone, npm install
# and commit package-lock.json, push, then the template's own commands: npm install, npm test, node
# --check), in the same invocation, interleaved, N repetitions each. Prints both medians and the
# ratio (target <= 1.5).
# Usage: bench/createflow/run.sh [repetitions]
set -euo pipefail
cd "$(dirname "$0")/../.."

reps=${1:-3}
for tool in git node npm curl python3; do
  command -v "$tool" >/dev/null || { echo "bench: $tool is required (scripts/install-prereqs.sh installs it)"; exit 1; }
done

dotnet build src/Functions -c Release --nologo -v quiet >/dev/null

source bench/lib/service.sh
key="bench-admin-key-$(python3 -c 'import secrets; print(secrets.token_hex(16))')"

DEVMENTOR_DATA_DIR="$work/data" \
Auth__BootstrapApiKey="$key" \
Pipelines__PollIntervalSeconds=0.1 \
Logging__LogLevel__Default=Warning \
  dotnet src/Functions/bin/Release/net10.0/DevMentor.Functions.dll --urls "$base" >"$work/service.log" 2>&1 &
service_pid=$!
wait_for "$base/health/ready"

now() { python3 -c 'import time; print(time.monotonic())'; }

# The template's files as GET /templates/node-express serves them, rendered once for the shell side.
curl -fsS -H "X-Api-Key: $key" "$base/templates/node-express" >"$work/template.json"

shell_create() {
  local name="bench-shell-$1" dir="$work/shell-$1"
  python3 - "$work/template.json" "$dir/work" "$name" <<'PY'
import json, os, sys
contents = json.load(open(sys.argv[1]))["contents"]
for path, text in contents.items():
    text = text.replace("{{projectName}}", sys.argv[3]).replace("{{namespace}}", "BenchShell").replace("{{description}}", "")
    full = os.path.join(sys.argv[2], path)
    os.makedirs(os.path.dirname(full), exist_ok=True)
    open(full, "w").write(text)
PY
  local g=(git -c user.name=bench -c user.email=bench@example.com -c commit.gpgsign=false -c init.defaultBranch=main)
  "${g[@]}" init --quiet --bare "$dir/repo.git"
  (cd "$dir/work" && "${g[@]}" init --quiet && "${g[@]}" add -A && "${g[@]}" commit --quiet -m "from template" && "${g[@]}" push --quiet "$dir/repo.git" HEAD:refs/heads/main)
  "${g[@]}" clone --quiet "$dir/repo.git" "$dir/deps"
  (cd "$dir/deps" && npm install --ignore-scripts --no-audit --no-fund >/dev/null 2>&1 && "${g[@]}" add package-lock.json &&
    "${g[@]}" commit --quiet -m "lock" && "${g[@]}" push --quiet origin HEAD:refs/heads/main)
  "${g[@]}" clone --quiet --depth 1 "file://$dir/repo.git" "$dir/build"
  (cd "$dir/build" && export CI=true NPM_CONFIG_UPDATE_NOTIFIER=false NPM_CONFIG_FUND=false NPM_CONFIG_AUDIT=false &&
    npm install --no-audit --no-fund >/dev/null 2>&1 && npm test >/dev/null 2>&1 && node --check src/app.js && node --check src/server.js)
  rm -rf "$dir"
}

# One client process per creation: POST /projects, poll the flow, then the first build, every 50 ms.
service_create() {
  python3 - "$base" "$key" "$1" <<'PY'
import json, sys, time, urllib.request
base, key, n = sys.argv[1:]
def call(path, body=None):
    request = urllib.request.Request(base + path, data=None if body is None else json.dumps(body).encode(),
                                     headers={"X-Api-Key": key, "Content-Type": "application/json"})
    with urllib.request.urlopen(request) as response:
        return json.load(response)
start = time.monotonic()
project = call("/projects", {"name": f"bench-create-{n}", "template": "node-express", "repository": {"provider": "hosted"}})["id"]
while True:
    creation = call(f"/projects/{project}/creation")
    if creation["status"] != "running":
        break
    time.sleep(0.05)
if creation["status"] != "succeeded":
    sys.exit(f"bench: the creation flow ended {creation['status']}: {creation['steps']}")
flow = time.monotonic() - start
while True:
    run = call(f"/projects/{project}/builds/{creation['firstBuildId']}")
    if run["status"] in ("succeeded", "failed", "canceled", "timed_out"):
        break
    time.sleep(0.05)
elapsed = time.monotonic() - start
if run["status"] != "succeeded":
    sys.exit(f"bench: the first build ended {run['status']}: {run.get('error')}")
print(f"service {elapsed:.3f} flow={flow:.2f} " + " ".join(f"{s['name']}" for s in run["steps"]))
PY
}

# Warm-up (JIT, npm's cache, the database's plans): not measured.
shell_create warm; service_create warm >/dev/null

results="$work/results"
for i in $(seq 1 "$reps"); do
  t0=$(now); shell_create "$i"; t1=$(now)
  python3 -c "import sys; print('shell', round(float(sys.argv[2]) - float(sys.argv[1]), 3))" "$t0" "$t1" >>"$results"
  service_create "$i" >>"$results"
done

python3 - "$results" "$reps" <<'PY'
import os, statistics, sys
rows = [line.split() for line in open(sys.argv[1])]
shell = [float(r[1]) for r in rows if r[0] == "shell"]
service = [float(r[1]) for r in rows if r[0] == "service"]
flows = [float(r[2].split("=")[1]) for r in rows if r[0] == "service"]
ms, mv = statistics.median(shell), statistics.median(service)
print(f"createflow bench: node-express template to first green build on a hosted repository, {sys.argv[2]} interleaved repetitions, Release, embedded PostgreSQL, {os.cpu_count()} cores")
print("  shell   runs (s): " + " ".join(f"{v:.2f}" for v in shell))
print("  service runs (s): " + " ".join(f"{v:.2f}" for v in service) + "  (creation flow alone: " + " ".join(f"{v:.2f}" for v in flows) + ")")
print(f"{'plain shell script (median)':<36}{ms:>8.2f} s")
print(f"{'through the service (median)':<36}{mv:>8.2f} s")
print(f"{'ratio service / shell':<36}{mv / ms:>8.2f}x  target <= 1.5: {'met' if mv / ms <= 1.5 else 'NOT met'}")
PY
