#!/usr/bin/env bash
# Dashboard first render (headless Chromium, loopback) and notification latency (a task assigned
# through the API until a local receiver has the signed webhook) on the real service (Release,
# embedded PostgreSQL and Azurite), each beside baselines measured in the same invocation.
# Targets: first render <= 1 s; notification p50 <= 2 s after its event.
# Usage: bench/live/run.sh [rounds]   (rounds of the dashboard; three times as many notifications)
set -euo pipefail
cd "$(dirname "$0")/../.."

rounds=${1:-10}
command -v chromium >/dev/null 2>&1 || { apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null; }
dotnet build src/Functions -c Release --nologo -v quiet >/dev/null
dotnet build bench/live -c Release --nologo -v quiet >/dev/null

source bench/lib/service.sh
key=$(python3 -c 'import secrets; print("bench-" + secrets.token_hex(24))')
# The receiver listens on loopback: private targets are allowed for this run only.
DEVMENTOR_DATA_DIR="$work/data" \
Auth__BootstrapApiKey="$key" \
Notifications__AllowPrivateTargets=true \
Scheduler__Enabled=false \
RateLimits__PerIp=1000000000 RateLimits__PerUser=1000000000 RateLimits__PerApiKey=1000000000 \
Logging__LogLevel__Default=Warning \
  dotnet src/Functions/bin/Release/net10.0/DevMentor.Functions.dll --urls "$base" >"$work/service.log" 2>&1 &
service_pid=$!
wait_for "$base/health"

dotnet bench/live/bin/Release/net10.0/DevMentor.Bench.Live.dll "$base" "$key" "$rounds"
