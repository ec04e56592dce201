#!/usr/bin/env bash
# Builds and lints every Bicep file under infra/bicep with the compiler restored from NuGet
# (Azure.Bicep.CommandLine.linux-x64, referenced by tests/Infra.Tests). Any error or warning fails.
# The parameter files read names and secrets from the environment: dummy values stand in here.
set -euo pipefail
cd "$(dirname "$0")/.."

bicep=$(dotnet msbuild tests/Infra.Tests/DevMentor.Infra.Tests.csproj -getProperty:BicepPath -nologo 2>/dev/null | tr '\\' '/')
if [ -z "$bicep" ] || [ ! -x "$bicep" ]; then
  dotnet restore tests/Infra.Tests/DevMentor.Infra.Tests.csproj --nologo -v quiet >/dev/null
  bicep=$(dotnet msbuild tests/Infra.Tests/DevMentor.Infra.Tests.csproj -getProperty:BicepPath -nologo | tr '\\' '/')
fi
[ -x "$bicep" ] || { echo "bicep-check: the Bicep compiler was not restored ($bicep)" >&2; exit 1; }

export AZURE_ENV_NAME=bicep-check AZURE_LOCATION=westeurope DEVMENTOR_RUNNER_IMAGE=registry.example.test/runner:check \
  DEVMENTOR_JWT_SIGNING_KEY=bicep-check-jwt-signing-key-0123456789 DEVMENTOR_WEBHOOK_SECRET_KEY=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA= \
  DEVMENTOR_BOOTSTRAP_API_KEY=bicep-check-bootstrap-api-key-0123456 DEVMENTOR_RUNNER_REGISTRATION_TOKEN=bicep-check-registration

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
cd infra/bicep
diagnostics=$(
  "$bicep" build --pattern '**/*.bicep' --outdir "$out" 2>&1
  for f in *.bicepparam; do "$bicep" build-params "$f" --outfile "$out/$f.json" 2>&1; done
  "$bicep" lint --pattern '**/*.bicep' 2>&1
  "$bicep" lint --pattern '**/*.bicepparam' 2>&1
) || true
if [ -n "$diagnostics" ]; then
  echo "bicep-check: infra/bicep has errors or warnings:" >&2
  echo "$diagnostics" >&2
  exit 1
fi
echo "bicep-check: $(find . -name '*.bicep' -o -name '*.bicepparam' | wc -l) files build and lint clean ($("$bicep" --version))"
