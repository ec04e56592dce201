#!/usr/bin/env bash
# Installs what the tests need and a fresh machine lacks. Idempotent: quick when all is present, and
# offline once everything is there. Later features add their servers here (one function each), so a
# fresh clone runs the whole suite. `--runtime` installs only what the service itself needs to run
# (PostgreSQL server programs, Node and the embedded Azurite): scripts/run.sh uses it.
set -euo pipefail
cd "$(dirname "$0")/.."

apt_updated=0
apt_install() {
  if [ "$apt_updated" = 0 ]; then
    echo "prereqs: apt-get update"
    apt-get update -qq >/dev/null
    apt_updated=1
  fi
  echo "prereqs: apt-get install $*"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

have_postgres() {
  command -v pg_ctl >/dev/null 2>&1 && command -v initdb >/dev/null 2>&1 && return 0
  ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1
}

if ! command -v curl >/dev/null 2>&1; then
  apt_install curl
fi

if ! have_postgres; then
  apt_install postgresql
fi

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  apt_install nodejs npm
fi

# --- Embedded storage (issue 11/12): the Azurite the service starts when AzureWebJobsStorage is not
# set, pinned by tools/azurite's committed lockfile. npm ci only when it is missing or the lock changed,
# so a second run works offline.
if [ ! -f tools/azurite/node_modules/azurite/dist/src/azurite.js ] || [ tools/azurite/package-lock.json -nt tools/azurite/node_modules ]; then
  echo "prereqs: npm ci in tools/azurite"
  (cd tools/azurite && npm ci --no-audit --no-fund --loglevel=error)
  touch tools/azurite/node_modules
fi
if ! command -v setsid >/dev/null 2>&1; then
  apt_install util-linux # setsid: the embedded Azurite runs in its own session
fi
# --- end embedded storage

if [ "${1:-}" = "--runtime" ]; then
  exit 0
fi

# Redis for the cache and rate-limit tests (the fixtures start their own instances on loopback).
# redis-cli (Debian's redis-tools) creates the 3-node Redis Cluster the cluster tests start.
if ! command -v redis-server >/dev/null 2>&1 || ! command -v redis-cli >/dev/null 2>&1; then
  apt_install redis-server redis-tools
fi

# --- Build steps (issue 6): clone uses the git command line (file://, smart HTTP via
# git http-backend, git daemon, ssh); the build tests run npm, node and dotnet directly.
if ! command -v git >/dev/null 2>&1 || [ ! -x "$(git --exec-path 2>/dev/null)/git-http-backend" ]; then
  apt_install git
fi
if ! command -v ssh >/dev/null 2>&1; then
  apt_install openssh-client
fi
# --- end build steps

# Node test tools, pinned by the committed lockfile: ajv (manifest schemas) and @azure/storage-blob
# (the official SDK, for interop and the blob benchmark). Azurite comes from tools/azurite (above).
tools_missing() {
  local package
  for package in ajv @azure/storage-blob; do
    [ -f "tests/tools/node_modules/$package/package.json" ] || return 0
  done
  return 1
}
if tools_missing || [ tests/tools/package-lock.json -nt tests/tools/node_modules ]; then
  echo "prereqs: npm ci in tests/tools"
  (cd tests/tools && npm ci --no-audit --no-fund --loglevel=error)
  touch tests/tools/node_modules
fi

# --- Pipelines (issue 5): step isolation ---------------------------------------------------
# setpriv (util-linux) drops a sandboxed step to its unprivileged user inside bubblewrap (below).
if ! command -v setpriv >/dev/null 2>&1 || ! command -v unshare >/dev/null 2>&1; then
  apt_install util-linux
fi

# --- Step sandbox (issue 18): build steps run under bubblewrap in a mount and PID namespace of
# their own, as an unprivileged user, so the data dir and the service's processes are out of reach.
if ! command -v bwrap >/dev/null 2>&1; then
  apt_install bubblewrap
fi

# --- Images and deployments (issue 6): buildah builds images (vfs storage, chroot isolation, no
# daemon), skopeo inspects them, docker-registry is the local registry the test fixture starts.
if ! command -v buildah >/dev/null 2>&1 || ! command -v skopeo >/dev/null 2>&1 || ! command -v docker-registry >/dev/null 2>&1; then
  apt_install buildah skopeo docker-registry
fi
# A static busybox goes into the FROM scratch image the image-deployment test runs.
if ! { [ -x /bin/busybox ] || [ -x /usr/bin/busybox ]; } || ldd "$(command -v busybox)" >/dev/null 2>&1; then
  apt_install busybox-static
fi
# --- end images and deployments

# --- Templates (issue 15): the go-http template's own tests run with the machine's Go.
if ! command -v go >/dev/null 2>&1; then
  apt_install golang-go
fi
# python-fastapi's first build makes a venv with Debian's python3 (its pip then finds no PyPI here).
if ! /usr/bin/python3 -c 'import ensurepip, venv' >/dev/null 2>&1; then
  apt_install python3-venv
fi
# --- Dashboard (issue 16): the browser test drives Debian's headless Chromium.
if ! command -v chromium >/dev/null 2>&1; then
  apt_install chromium
fi

# --- Azure packaging (issue 17): scripts/publish.sh zips the function app; the infra tests run it.
if ! command -v zip >/dev/null 2>&1 || ! command -v unzip >/dev/null 2>&1; then
  apt_install zip unzip
fi
# --- end Azure packaging
