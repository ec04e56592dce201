#!/usr/bin/env bash
# Pipeline benchmark through the run orchestration: steps/s beside bare Durable chains, first-step and handoff latency.
# Needs scripts/install-prereqs.sh (the embedded Azurite in tools/azurite). Run from anywhere.
set -euo pipefail
cd "$(dirname "$0")/../.."
exec dotnet run -c Release --project bench/pipeline -- "$@"
