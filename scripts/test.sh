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

if ! dotnet build DevMentor.Functions.sln -c "$configuration" -warnaserror --nologo -v quiet; then
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

summary=$(python3 scripts/trx-summary.py "$results")
echo "$summary"
case "$summary" in
  *", 0 failed"*) [ "$status" = 0 ] || exit "$status" ;;
  *) exit 1 ;;
esac
