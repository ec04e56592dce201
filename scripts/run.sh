#!/usr/bin/env bash
# Runs the service standalone on http://127.0.0.1:3004: first installs what a fresh machine lacks to
# run it (PostgreSQL server programs, Node, the embedded Azurite; nothing when all is there, so it
# also works offline), then `dotnet run --project src/Functions`.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-prereqs.sh --runtime
exec dotnet run --project src/Functions -- "$@"
