#!/usr/bin/env bash
# The test command: installs what is missing, builds, runs every test against real servers,
# and ends with one line `N passed, N failed`.
set -uo pipefail
cd "$(dirname "$0")/.."

scripts/install-prereqs.sh || { echo "prerequisites could not be installed"; echo "0 passed, 1 failed"; exit 1; }

configuration=${CONFIGURATION:-Release}
results=TestResults
rm -rf "$results"

# Test clusters of an earlier, killed run must not pile up.
sweep() {
  pkill -f "postgres -D /tmp/devmentor-tests/" 2>/dev/null || true
  rm -rf /tmp/devmentor-tests 2>/dev/null || true
}
sweep

if ! dotnet build DevMentor.Functions.sln -c "$configuration" -warnaserror --nologo -v quiet; then
  echo "build failed"
  echo "0 passed, 1 failed"
  exit 1
fi

status=0
dotnet test DevMentor.Functions.sln -c "$configuration" --no-build --nologo \
  --logger "trx" --logger "console;verbosity=normal" --results-directory "$results" \
  -- RunConfiguration.TestSessionTimeout=1500000 || status=$?
sweep

summary=$(python3 - "$results" <<'PY'
import glob, sys, xml.etree.ElementTree as ET
ns = {"t": "http://microsoft.com/schemas/VisualStudio/TeamTest/2010"}
passed = failed = skipped = 0
files = glob.glob(f"{sys.argv[1]}/**/*.trx", recursive=True)
for f in files:
    counters = ET.parse(f).getroot().find("t:ResultSummary/t:Counters", ns)
    passed += int(counters.get("passed", 0))
    failed += int(counters.get("failed", 0)) + int(counters.get("error", 0)) + int(counters.get("timeout", 0)) + int(counters.get("aborted", 0))
    skipped += int(counters.get("notExecuted", 0))
if not files:
    failed += 1
print(f"{passed} passed, {failed} failed" + (f", {skipped} skipped" if skipped else ""))
PY
)
echo "$summary"
case "$summary" in
  *" 0 failed"*) [ "$status" = 0 ] || exit "$status" ;;
  *) exit 1 ;;
esac
