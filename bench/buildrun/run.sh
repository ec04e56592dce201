#!/usr/bin/env bash
# Pipeline overhead on a real build: the Node sample (node:test tests, a build script, npm pack)
# built through the service (the real executable, embedded PostgreSQL and runner: POST /build,
# poll until the run ends) beside the same commands run by a plain shell script (git clone,
# npm ci, npm test, npm run build, npm pack), in the same invocation, interleaved, N repetitions
# each. Prints both medians and the ratio (target <= 1.15).
# Usage: bench/buildrun/run.sh [repetitions]
set -euo pipefail
cd "$(dirname "$0")/../.."

reps=${1:-5}
for tool in git node npm curl python3; do
  command -v "$tool" >/dev/null || { echo "bench: $tool is required (scripts/install-prereqs.sh installs it)"; exit 1; }
done

dotnet build src/Functions -c Release --nologo -v quiet >/dev/null

source bench/lib/service.sh
key="bench-admin-key-$(python3 -c 'import secrets; print(secrets.token_hex(16))')"

# The Node sample of tests/Functions.Tests/Builds/SampleRepositories.cs.
repo="$work/node-sample"
mkdir -p "$repo/src" "$repo/test"
cat >"$repo/package.json" <<'JSON'
{
  "name": "devmentor-sample-node",
  "version": "1.0.0",
  "description": "DevMentor build sample",
  "main": "dist/index.js",
  "license": "MIT",
  "scripts": {
    "test": "node --test --test-reporter=spec --test-reporter-destination=stdout --test-reporter=junit --test-reporter-destination=junit.xml",
    "build": "node build.js"
  }
}
JSON
cat >"$repo/package-lock.json" <<'JSON'
{
  "name": "devmentor-sample-node",
  "version": "1.0.0",
  "lockfileVersion": 3,
  "requires": true,
  "packages": { "": { "name": "devmentor-sample-node", "version": "1.0.0", "license": "MIT" } }
}
JSON
printf 'exports.add = (a, b) => a + b;\nexports.greet = (name) => `hello ${name}`;\n' >"$repo/src/index.js"
printf "const fs = require('node:fs');\nfs.mkdirSync('dist', { recursive: true });\nfs.copyFileSync('src/index.js', 'dist/index.js');\nconsole.log('built dist/index.js');\n" >"$repo/build.js"
cat >"$repo/test/index.test.js" <<'JS'
const test = require('node:test');
const assert = require('node:assert');
const { add, greet } = require('../src/index.js');

test('adds numbers', () => assert.strictEqual(add(2, 3), 5));
test('greets', () => assert.strictEqual(greet('ada'), 'hello ada'));
test.describe('edge cases', () => {
  test.it('adds negatives', () => assert.strictEqual(add(-2, -3), -5));
});
JS
printf 'node_modules/\ndist/\njunit.xml\n.devmentor-out/\n*.tgz\n' >"$repo/.gitignore"
git -C "$repo" -c init.defaultBranch=main init --quiet
git -C "$repo" add -A
git -C "$repo" -c user.name=bench -c user.email=bench@example.com -c commit.gpgsign=false commit --quiet -m "node sample"

DEVMENTOR_DATA_DIR="$work/data" \
Auth__BootstrapApiKey="$key" \
Pipelines__PollIntervalSeconds=0.1 \
Logging__LogLevel__Default=Warning \
  dotnet src/Functions/bin/Release/net10.0/DevMentor.Functions.dll --urls "$base" >"$work/service.log" 2>&1 &
service_pid=$!

wait_for "$base/health/ready"

api() { curl -sS --fail-with-body -H "X-Api-Key: $key" -H 'Content-Type: application/json' "$@"; }
project=$(api -d "{\"name\":\"bench-node\",\"visibility\":\"private\",\"repository\":{\"provider\":\"git\",\"cloneUrl\":\"file://$repo\",\"defaultBranch\":\"main\"}}" "$base/projects" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')

now() { python3 -c 'import time; print(time.monotonic())'; }

# The plain script: the same commands the pipeline plans for this repository.
shell_build() {
  local dir="$work/shell-$1"
  git clone --quiet --depth 1 "file://$repo" "$dir"
  # The environment the runner gives these commands (CI, and the detector's npm settings: no
  # update check, fund or audit), so both sides do the same work.
  (cd "$dir" && export CI=true NPM_CONFIG_UPDATE_NOTIFIER=false NPM_CONFIG_FUND=false NPM_CONFIG_AUDIT=false && npm ci >/dev/null 2>&1 && npm test >/dev/null 2>&1 &&
    npm run build >/dev/null 2>&1 && mkdir -p .devmentor-out/packages && npm pack --pack-destination .devmentor-out/packages >/dev/null 2>&1)
  rm -rf "$dir"
}

# One client process per build (a curl + python per poll would load the 2-core machine the
# build runs on): POST /build, poll the run every 50 ms, print the wall time and the steps' own.
service_build() {
  python3 - "$base" "$key" "$project" <<'PY'
import json, sys, time, urllib.request
from datetime import datetime
base, key, project = sys.argv[1:]
def call(path, body=None):
    request = urllib.request.Request(base + path, data=None if body is None else json.dumps(body).encode(),
                                     headers={"X-Api-Key": key, "Content-Type": "application/json"})
    with urllib.request.urlopen(request) as response:
        return json.load(response)
start = time.monotonic()
status = call(f"/projects/{project}/build", {})["statusUri"]
while True:
    run = call(status)
    if run["status"] in ("succeeded", "failed", "canceled", "timed_out"):
        break
    time.sleep(0.05)
elapsed = time.monotonic() - start
if run["status"] != "succeeded":
    sys.exit(f"bench: the build ended {run['status']}: {run.get('error')}")
at = lambda v: datetime.fromisoformat(v.replace("Z", "+00:00")).timestamp()
steps = " ".join(f"{s['name']}={at(s['finishedAt']) - at(s['startedAt']):.2f}" for s in run["steps"])
print(f"service {elapsed:.3f} {steps}")
PY
}

# Warm-up (JIT, npm's cache, the database's plans): not measured.
shell_build warm; service_build >/dev/null

results="$work/results"
for i in $(seq 1 "$reps"); do
  t0=$(now); shell_build "$i"; t1=$(now)
  python3 -c "import sys; print('shell', round(float(sys.argv[2]) - float(sys.argv[1]), 3))" "$t0" "$t1" >>"$results"
  service_build >>"$results"
done

python3 - "$results" "$reps" <<'PY'
import os, statistics, sys
rows = [line.split() for line in open(sys.argv[1])]
shell = [float(r[1]) for r in rows if r[0] == "shell"]
service = [float(r[1]) for r in rows if r[0] == "service"]
steps = {}
for r in rows:
    if r[0] == "service":
        for part in r[2:]:
            name, seconds = part.split("=")
            steps.setdefault(name, []).append(float(seconds))
ms, mv = statistics.median(shell), statistics.median(service)
print(f"buildrun bench: Node sample clone + npm ci + npm test + npm run build + npm pack, {sys.argv[2]} interleaved repetitions, Release, embedded PostgreSQL, {os.cpu_count()} cores")
print("  shell   runs (s): " + " ".join(f"{v:.2f}" for v in shell))
print("  service runs (s): " + " ".join(f"{v:.2f}" for v in service))
print("  service steps (median s, start to end as the run records them): " + " ".join(f"{n}={statistics.median(v):.2f}" for n, v in steps.items()))
print(f"{'plain shell script (median)':<36}{ms:>8.2f} s")
print(f"{'through the service (median)':<36}{mv:>8.2f} s")
print(f"{'ratio service / shell':<36}{mv / ms:>8.2f}x  target <= 1.15: {'met' if mv / ms <= 1.15 else 'NOT met'}")
PY
