#!/usr/bin/env bash
# Blob throughput: a 100 MiB blob uploaded to and downloaded from Azurite through our IBlobStore
# (AzureBlobStore on Azure.Storage.Blobs) and through the official JavaScript SDK @azure/storage-blob,
# alternately in the same run against the same Azurite (tools/azurite, started here on a free loopback
# port, its files in a scratch dir, stopped at the end). Each pass runs both clients (who goes first
# alternates), each a warm-up and then ROUNDS timed rounds. Prints each client's median MiB/s and
# ours/SDK per direction (target: ≥ 0.9 both ways). Then memory: an artifact of MEMORY_MIB (1 GiB)
# stored as the runner endpoint stores it (non-seekable body, content-addressed) and read back, with
# the managed bytes allocated and the peak working set beside the artifact's size.
# Usage: bench/blob/run.sh [SIZE_MIB=100] [ROUNDS_PER_PASS=1] [PASSES=6] [MEMORY_MIB=1024]
set -euo pipefail
cd "$(dirname "$0")/../.."
size=${1:-100}
rounds=${2:-1}
passes=${3:-6}
memory=${4:-1024}

scripts/install-prereqs.sh >/dev/null
dotnet build bench/blob/BlobBench.csproj -c Release -warnaserror --nologo -v quiet >/dev/null

work=$(mktemp -d /tmp/devmentor-blob-bench.XXXXXX)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
node tools/azurite/node_modules/azurite/dist/src/blob/main.js --blobHost 127.0.0.1 --blobPort "$port" \
  --location "$work/azurite" --silent --skipApiVersionCheck --loose --disableTelemetry >"$work/azurite.log" 2>&1 &
azurite=$!
trap 'kill "$azurite" 2>/dev/null || true; wait "$azurite" 2>/dev/null || true; rm -rf "$work"' EXIT
for attempt in $(seq 300); do
  (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
  if [ "$attempt" = 300 ] || ! kill -0 "$azurite" 2>/dev/null; then
    echo "Azurite did not start:"; cat "$work/azurite.log"; exit 1
  fi
  sleep 0.1
done

key=$(sed -n 's/.*DevelopmentAccountKey = "\(.*\)";/\1/p' src/Core/Storage/Account/StorageAccount.cs)
connection="DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=$key;BlobEndpoint=http://127.0.0.1:$port/devstoreaccount1;"

ours() { dotnet bench/blob/bin/Release/net10.0/BlobBench.dll "$connection" bench "$size" "$rounds" | tee -a "$work/results.jsonl"; }
sdk() { node bench/blob/sdk-bench.mjs "$connection" bench "$size" "$rounds" | tee -a "$work/results.jsonl"; }

echo "blob bench: ${size} MiB, ${passes} passes × ${rounds} rounds per client, Azurite $(node -p 'require("./tools/azurite/node_modules/azurite/package.json").version') on 127.0.0.1:$port, load average $(cut -d' ' -f1-3 /proc/loadavg)"
for pass in $(seq "$passes"); do
  if [ $((pass % 2)) = 1 ]; then ours; sdk; else sdk; ours; fi
done
echo "memory: one ${memory} MiB artifact in and out"
dotnet bench/blob/bin/Release/net10.0/BlobBench.dll "$connection" memory "$memory" memory | tee -a "$work/results.jsonl"

python3 - "$work/results.jsonl" <<'PY'
import json, statistics, sys
rows = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
def median(client, op):
    return statistics.median(r["mibps"] for r in rows if r["client"] == client and r["op"] == op)
memory = [r for r in rows if r["op"] == "memory"]
rows = [r for r in rows if r["op"] != "memory"]
print()
print("| direction | ours (MiB/s) | @azure/storage-blob (MiB/s) | ours / SDK |")
print("|---|---|---|---|")
ok = True
for op in ("upload", "download"):
    ours, sdk = median("ours", op), median("sdk", op)
    ratio = ours / sdk
    ok &= ratio >= 0.9
    print(f"| {op} | {ours:.1f} | {sdk:.1f} | {ratio:.2f} |")
allocated = [r["allocatedMiB"] for r in rows if r["client"] == "ours" and "allocatedMiB" in r]
print(f"\nours: managed memory allocated per 100 MiB upload: {statistics.median(allocated):.1f} MiB (median)")
print("target ≥ 0.9× the SDK both ways:", "met" if ok else "NOT met")
for m in memory:
    print(f"\nmemory, a {m['sizeMiB']} MiB artifact stored (non-seekable body, content-addressed) and read back: "
          f"{m['allocatedMiB']:.1f} MiB allocated ({m['allocatedMiB'] / m['sizeMiB']:.3f}× its size; upload alone {m['uploadAllocatedMiB']:.1f} MiB), "
          f"peak working set {m['peakWorkingSetMiB']} MiB (started at {m['workingSetBeforeMiB']} MiB)")
print("load average at the end:", open("/proc/loadavg").read().split()[:3])
PY
