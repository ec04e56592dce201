#!/usr/bin/env bash
# The test command: installs what is missing, builds, runs every test against real servers,
# and ends with one line `N passed, N failed`.
set -uo pipefail
cd "$(dirname "$0")/.."

scripts/install-prereqs.sh || { echo "prerequisites could not be installed"; echo "0 passed, 1 failed"; exit 1; }

configuration=${CONFIGURATION:-Release}
results=TestResults
rm -rf "$results"

# Test servers left by an earlier, killed test run must not pile up. Each run's PostgreSQL cluster,
# Azurite (--location) and redis-server (--dir) data live under /tmp/devmentor-tests/<test process
# id>; those of live test processes are left alone.
sweep() {
  for dir in /tmp/devmentor-tests/*/; do
    [ -d "$dir" ] || continue
    pid=$(basename "$dir")
    if [ ! -d "/proc/$pid" ]; then
      pkill -f "postgres -D ${dir}" 2>/dev/null || true
      pkill -f -- "--location ${dir}" 2>/dev/null || true
      pkill -f -- "--dir ${dir}" 2>/dev/null || true
      rm -rf "$dir" 2>/dev/null || true
    fi
  done
  # Servers whose scratch directory is already gone but whose test process is dead too.
  pgrep -af -- '/tmp/devmentor-tests/[0-9]+/' 2>/dev/null | while read -r server command; do
    owner=$(printf '%s\n' "$command" | sed -n 's|.*/tmp/devmentor-tests/\([0-9]*\)/.*|\1|p')
    if [ -n "$owner" ] && [ ! -d "/proc/$owner" ]; then
      kill "$server" 2>/dev/null || true
    fi
  done
}
sweep

# Warnings are errors through Directory.Build.props (TreatWarningsAsErrors), which honours each project's
# WarningsNotAsErrors (NU1603 where a package forces it); the -warnaserror switch would not.
if ! dotnet build DevMentor.Functions.sln -c "$configuration" --nologo -v quiet; then
  echo "build failed"
  echo "0 passed, 1 failed"
  exit 1
fi

# infra/bicep: every template and parameter file builds and lints with no error and no warning.
if ! scripts/bicep-check.sh; then
  echo "bicep check failed"
  echo "0 passed, 1 failed"
  exit 1
fi

status=0
dotnet test DevMentor.Functions.sln -c "$configuration" --no-build --nologo \
  --logger "trx" --logger "console;verbosity=normal" --results-directory "$results" \
  -- RunConfiguration.TestSessionTimeout=1500000 || status=$?
sweep

# Smoke: the README's run command from a fresh clone of what is committed, with nothing configured:
# it restores, builds, starts the embedded backends in a fresh data dir and answers /health, then stops on SIGTERM.
smoke() {
  local dir port pid linked code=1
  dir=$(mktemp -d /tmp/devmentor-smoke.XXXXXX)
  git clone -q . "$dir/repo" || return 1
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  (cd "$dir/repo" && exec scripts/run.sh --urls "http://127.0.0.1:$port") >"$dir/run.log" 2>&1 &
  pid=$!
  for _ in $(seq 1 300); do
    if curl -fsS "http://127.0.0.1:$port/health" 2>/dev/null | grep -q Healthy; then code=0; break; fi
    kill -0 "$pid" 2>/dev/null || break
    sleep 1
  done
  pkill -TERM -P "$pid" 2>/dev/null; kill -TERM "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  [ "$code" = 0 ] || { echo "smoke: the README's run command did not answer /health:"; tail -n 30 "$dir/run.log"; }
  # The embedded PostgreSQL and Azurite stop with the service; should one outlive it, it must not outlive the run.
  pkill -f -- "$dir/repo" 2>/dev/null
  # run.sh links the data dir under /var/lib/devmentor when postgres cannot reach the (0700) temp dir.
  if [ -L "$dir/repo/.devmentor" ]; then
    linked=$(readlink "$dir/repo/.devmentor")
    pkill -f -- "$linked" 2>/dev/null; sleep 1; rm -rf "$linked"
  fi
  rm -rf "$dir"
  return "$code"
}
mkdir -p "$results"
if smoke; then echo "passed readme-run-command-from-a-fresh-clone" >>"$results/checks.txt"; else echo "failed readme-run-command-from-a-fresh-clone" >>"$results/checks.txt"; status=1; fi

summary=$(python3 scripts/trx-summary.py "$results")
echo "$summary"
case "$summary" in
  *", 0 failed"*) [ "$status" = 0 ] || exit "$status" ;;
  *) exit 1 ;;
esac
