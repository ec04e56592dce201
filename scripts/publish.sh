#!/usr/bin/env bash
# Publishes the function app (Release) and zips it the way the Azure Functions host deploys it:
# the zip's root is the publish folder itself, hidden .azurefunctions folder included. Checks the
# package before and after zipping and fails, naming what is missing, unless it holds
# functions.metadata, worker.config.json, .azurefunctions/ and the worker assembly.
#
#   scripts/publish.sh [--project DIR] [--output ZIP] [--assembly NAME.dll]
#   defaults: src/Functions, dist/functions.zip, DevMentor.Functions.dll
#
# Deploy the zip with `azd deploy` (azure.yaml) or, for Flex Consumption,
# `az functionapp deployment source config-zip --src dist/functions.zip ...`.
set -euo pipefail
cd "$(dirname "$0")/.."

project=src/Functions
output=dist/functions.zip
assembly=""
while [ $# -gt 0 ]; do
  case "$1" in
    --project) project=$2; shift 2 ;;
    --output) output=$2; shift 2 ;;
    --assembly) assembly=$2; shift 2 ;;
    *) echo "publish.sh: unknown argument '$1' (use --project DIR, --output ZIP, --assembly NAME.dll)" >&2; exit 2 ;;
  esac
done

if [ -z "$assembly" ]; then
  if [ "$project" = src/Functions ]; then
    assembly=DevMentor.Functions.dll
  else
    csproj=$(find "$project" -maxdepth 1 -name '*.csproj' | head -n 1)
    assembly=$(basename "${csproj%.csproj}").dll
  fi
fi

if ! command -v zip >/dev/null 2>&1 || ! command -v unzip >/dev/null 2>&1; then
  echo "publish.sh: zip and unzip are needed (scripts/install-prereqs.sh installs them)" >&2
  exit 1
fi

publish_dir=$(mktemp -d)
trap 'rm -rf "$publish_dir"' EXIT

echo "publish.sh: dotnet publish $project -c Release"
dotnet publish "$project" -c Release -o "$publish_dir" --nologo -v quiet

# What the Functions host needs from an isolated-worker app, checked in a folder or a zip listing.
check() { # $1: newline-separated list of paths (folders end with /); prints what is missing
  local listing=$1 missing=()
  grep -qx 'functions.metadata' <<<"$listing" || missing+=("functions.metadata (the SDK's function index: is this an isolated-worker app with Microsoft.Azure.Functions.Worker.Sdk?)")
  grep -qx 'worker.config.json' <<<"$listing" || missing+=("worker.config.json (how the host starts the worker)")
  grep -q '^\.azurefunctions/.' <<<"$listing" || missing+=(".azurefunctions/ (the extension bundle the SDK builds)")
  grep -qx "$assembly" <<<"$listing" || missing+=("$assembly (the worker assembly)")
  if [ ${#missing[@]} -gt 0 ]; then
    printf '  - %s\n' "${missing[@]}"
  fi
}

folder_listing=$(cd "$publish_dir" && find . -mindepth 1 \( -type d -printf '%P/\n' \) -o \( -type f -printf '%P\n' \))
missing=$(check "$folder_listing")
if [ -n "$missing" ]; then
  echo "publish.sh: the publish output of $project is not a deployable Functions app; it lacks:" >&2
  echo "$missing" >&2
  exit 1
fi

# worker.config.json must point at an assembly that is in the package.
worker_path=$(sed -n 's/.*"defaultWorkerPath"[[:space:]]*:[[:space:]]*"\([^"]*\)".*/\1/p' "$publish_dir/worker.config.json" | head -n 1)
if [ -n "$worker_path" ] && [ ! -f "$publish_dir/$worker_path" ]; then
  echo "publish.sh: worker.config.json names $worker_path, which the publish output does not contain" >&2
  exit 1
fi

mkdir -p "$(dirname "$output")"
output_abs=$(cd "$(dirname "$output")" && pwd)/$(basename "$output")
rm -f "$output_abs"
# The publish folder's contents at the zip root, dot-folders included; -X leaves out owner/time extras.
(cd "$publish_dir" && zip -q -r -X "$output_abs" .)

missing=$(check "$(unzip -Z1 "$output_abs")")
if [ -n "$missing" ]; then
  rm -f "$output_abs"
  echo "publish.sh: the zip lost files on the way; it lacks:" >&2
  echo "$missing" >&2
  exit 1
fi

echo "publish.sh: wrote $output ($(unzip -Z1 "$output_abs" | grep -vc '/$') files, $(du -h "$output_abs" | cut -f1))"
