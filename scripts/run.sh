#!/usr/bin/env bash
# Runs the service standalone on http://127.0.0.1:3004: first installs what a fresh machine lacks to
# run it (PostgreSQL server programs, Node, the embedded Azurite; nothing when all is there, so it
# also works offline), then `dotnet run --project src/Functions`.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-prereqs.sh --runtime
# As root the embedded PostgreSQL runs as the postgres user, which cannot reach a checkout under a private
# directory (/root, a mktemp dir): the data dir then lives under /var/lib/devmentor and .devmentor links to it.
if [ "$(id -u)" = 0 ] && [ -z "${DEVMENTOR_DATA_DIR:-}" ] && [ ! -e .devmentor ] && id postgres >/dev/null 2>&1 \
  && ! runuser -u postgres -- test -x "$PWD" 2>/dev/null; then
  target=/var/lib/devmentor/$(printf %s "$PWD" | sha256sum | cut -c1-16)
  mkdir -p "$target" && chmod 755 /var/lib/devmentor "$target" && ln -s "$target" .devmentor
  echo "devmentor: the postgres user cannot reach $PWD; the data dir .devmentor links to $target" >&2
fi
exec dotnet run --project src/Functions -- "$@"
