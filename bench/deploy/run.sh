#!/usr/bin/env bash
# Images and local releases: the image step and a local release's start + health check, each
# beside the same work done directly (plain buildah commands; a bare process start and poll) in
# the same invocation. Needs buildah, docker-registry and node (scripts/install-prereqs.sh).
#   bench/deploy/run.sh [repetitions]
set -euo pipefail
cd "$(dirname "$0")/../.."
exec dotnet run -c Release --project bench/deploy -- "$@"
