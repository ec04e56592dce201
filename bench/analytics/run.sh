#!/usr/bin/env bash
# Analytics rollup: a first (backfill) rollup of 1,000,000 usage events and 100,000 runs into hourly
# and daily tables, beside single GROUP BY queries over the same raw rows in the same invocation.
#   bench/analytics/run.sh [--events 1000000] [--runs 100000] [--days 30]
set -euo pipefail
cd "$(dirname "$0")/../.."
exec dotnet run -c Release --project bench/analytics -- "$@"
