#!/usr/bin/env bash
# Pipeline engine benchmark: prints steps/s and first-step latency beside the bare SKIP LOCKED baseline.
set -euo pipefail
cd "$(dirname "$0")/../.."
exec dotnet run -c Release --project bench/pipeline -- "$@"
