#!/usr/bin/env bash
# Start-up time of `dotnet run --project src/Functions` (issue 2's acceptance): launch → first 200
# of /health on a first run (initdb included), a later run and a run after SIGKILL, beside bare
# PostgreSQL's initdb + start in the same invocation. Usage: bench/startup/run.sh [rounds=3]
set -euo pipefail
cd "$(dirname "$0")/../.."
dotnet build src/Functions -c Release --nologo -v quiet >/dev/null
exec python3 bench/startup/startup.py src/Functions/bin/Release/net10.0/DevMentor.Functions.dll "${1:-3}"
