#!/usr/bin/env bash
# Runs the service standalone on http://127.0.0.1:3004 (same as `dotnet run --project src/Functions`).
set -euo pipefail
cd "$(dirname "$0")/.."
exec dotnet run --project src/Functions -- "$@"
