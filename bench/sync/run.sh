#!/usr/bin/env bash
# Code sync (fetch + index + dependencies + analysis) on the real service (Release build, embedded
# PostgreSQL in a temporary data dir) of a generated repository (default 10,000 files, 1,000,000
# lines, written straight into a bare repository with git fast-import) and of this repository,
# each beside `git ls-files | xargs wc -l` on a checkout of the same tree, measured in the same run.
# Usage: bench/sync/run.sh [files] [lines-per-file]
set -euo pipefail
cd "$(dirname "$0")/../.."
repo_root=$(pwd)
files=${1:-10000}
lines=${2:-100}

dotnet build src/Functions -c Release --nologo -v quiet >/dev/null
source bench/lib/service.sh

# The generated repository: C#, Python, JavaScript, Go and Markdown files, a few manifests.
git init -q --bare "$work/generated.git"
python3 - "$files" "$lines" <<'PY' | git -C "$work/generated.git" fast-import --quiet
import sys
files, lines = int(sys.argv[1]), int(sys.argv[2])
out = sys.stdout
exts = [".cs", ".py", ".js", ".go", ".md"]
def blob(mark, text):
    data = text.encode()
    out.write(f"blob\nmark :{mark}\ndata {len(data)}\n"); out.flush()
    sys.stdout.buffer.write(data); out.write("\n")
paths = []
for i in range(files):
    ext = exts[i % len(exts)]
    if ext == ".cs":
        body = "namespace Gen;\n// generated\npublic sealed class C%d\n{\n" % i
        body += "".join("    public int M%d(int a) { if (a > %d && a < 99) { return a; } return 0; } // m\n" % (n, n) for n in range(lines - 6))
        body += "}\n\n"
    elif ext == ".md":
        body = "".join(f"Line {n} of file {i}.\n" for n in range(lines))
    else:
        marker = "#" if ext == ".py" else "//"
        body = f"{marker} generated\n" + "".join(f"x{n} = {i} + {n}\n" for n in range(lines - 1))
    blob(i + 1, body)
    paths.append(f"dir{i // 100:03d}/file{i:05d}{ext}")
manifests = {
    "package.json": '{"dependencies":{"react":"^18.2.0"}}',
    "go.mod": "module example.com/gen\n\nrequire github.com/pkg/errors v0.9.1\n",
    "requirements.txt": "django==4.2.1\n",
}
for n, (path, text) in enumerate(manifests.items()):
    blob(files + n + 1, text); paths.append(path)
out.write("commit refs/heads/main\ncommitter Gen <gen@devmentor.invalid> 1700000000 +0000\ndata 9\ngenerated\n")
for mark, path in enumerate(paths, 1):
    out.write(f"M 100644 :{mark} {path}\n")
out.write("\n")
PY
git -C "$work/generated.git" symbolic-ref HEAD refs/heads/main

DEVMENTOR_DATA_DIR="$work/data" Logging__LogLevel__Default=Warning Pipelines__Runner__Enabled=false \
  dotnet src/Functions/bin/Release/net10.0/DevMentor.Functions.dll --urls "$base" >"$work/service.log" 2>&1 &
service_pid=$!
wait_for "$base/health"
admin="X-Api-Key: $(cat "$work/data/admin.key")"

# Seconds from POST /projects/{id}/syncs to a succeeded sync of the branch's head. Writes the sync's stage
# breakdown to $work/stages.<label>: time in the stages (the work) and the rest (the orchestration's queueing,
# from the stored sync to its first stage and between stages).
sync_seconds() { # clone-url branch label
  local body id start status
  body=$(printf '{"name":"bench %s","visibility":"private","repository":{"provider":"git","cloneUrl":"%s","defaultBranch":"%s"}}' "$RANDOM$RANDOM" "$1" "$2")
  id=$(curl -fs -H "$admin" -H 'Content-Type: application/json' -d "$body" "$base/projects" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
  start=$(date +%s.%N)
  curl -fs -X POST -H "$admin" "$base/projects/$id/syncs" >/dev/null
  while true; do
    status=$(curl -fs -H "$admin" "$base/projects/$id/syncs" | python3 -c 'import json,sys; print(json.load(sys.stdin)["items"][0]["status"])')
    [ "$status" = succeeded ] && break
    [ "$status" = failed ] && { echo "bench: sync failed"; curl -fs -H "$admin" "$base/projects/$id/syncs"; exit 1; }
    sleep 0.2
  done
  curl -fs -H "$admin" "$base/projects/$id/syncs" | python3 -c '
import json, sys
from datetime import datetime
s = json.load(sys.stdin)["items"][0]
t = lambda v: datetime.fromisoformat(v.replace("Z", "+00:00")).timestamp()
stages = sorted(s["stages"], key=lambda x: t(x["startedAt"]))
d = lambda x: t(x["finishedAt"]) - t(x["startedAt"])
work = sum(d(x) for x in stages)
total = t(s["finishedAt"]) - t(s["createdAt"])
each = ", ".join("%s %.2f" % (x["stage"], d(x)) for x in stages)
print("stored to finished %.2f s: stages %.2f s (%s), queueing before and between them %.2f s" % (total, work, each, total - work))
' >"$work/stages.$3"
  python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.2f}')" "$start" "$(date +%s.%N)"
}

wc_seconds() { # checkout dir
  local start
  start=$(date +%s.%N)
  (cd "$1" && git ls-files -z | xargs -0 wc -l >/dev/null 2>&1 || true)
  python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.2f}')" "$start" "$(date +%s.%N)"
}

git clone -q "$work/generated.git" "$work/generated"
generated_wc=$(wc_seconds "$work/generated")
generated_lines=$(cd "$work/generated" && git ls-files -z | xargs -0 cat | wc -l)
generated_sync=$(sync_seconds "file://$work/generated.git" main generated)

own_branch=$(git rev-parse --abbrev-ref HEAD)
own_wc=$(wc_seconds "$repo_root")
own_sync=$(sync_seconds "file://$repo_root" "$own_branch" own)

ratio() { python3 -c "import sys; print(f'{float(sys.argv[1]) / max(float(sys.argv[2]), 0.01):.1f}')" "$1" "$2"; }
echo "generated: $files files, $generated_lines lines: sync ${generated_sync} s (target ≤ 60 s), git ls-files | xargs wc -l ${generated_wc} s, ratio $(ratio "$generated_sync" "$generated_wc")×"
echo "this repository ($(git ls-files | wc -l) files): sync ${own_sync} s, git ls-files | xargs wc -l ${own_wc} s, ratio $(ratio "$own_sync" "$own_wc")×"
echo "  generated: $(cat "$work/stages.generated")"
echo "  this repository: $(cat "$work/stages.own")"
