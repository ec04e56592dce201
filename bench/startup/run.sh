#!/usr/bin/env bash
# Start-up time of the real executable (Release build), from launch to the first 200 from /health:
#   first  a fresh data dir: initdb, start, all migrations;
#   later  the same data dir after a clean stop (SIGTERM): the cluster is reused;
#   kill   after a SIGKILL: the postmaster left running is adopted.
# Baseline, measured in the same round: the PostgreSQL part alone, done bare with the same programs
# (initdb + pg_ctl start -w for "first", pg_ctl start -w for "later"): what the service cannot go below.
# Medians over the rounds are reported.
# Usage: bench/startup/run.sh [rounds=3]
set -euo pipefail
cd "$(dirname "$0")/../.."

rounds=${1:-3}

dotnet build src/Functions -c Release --nologo -v quiet -warnaserror >/dev/null
dll=src/Functions/bin/Release/net10.0/DevMentor.Functions.dll
pg_bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
as_postgres=()
if [ "$(id -u)" = 0 ]; then
  as_postgres=(runuser -u postgres --) # PostgreSQL refuses to run as root, as in the service
fi

work=$(mktemp -d /tmp/devmentor-bench-startup.XXXXXX)
chmod 755 "$work" # the embedded PostgreSQL runs as its own user and must reach its directory
service_pid=
cleanup() {
  if [ -n "$service_pid" ] && kill -0 "$service_pid" 2>/dev/null; then
    kill -TERM "$service_pid"
    wait "$service_pid" 2>/dev/null || true
  fi
  for cluster in "$work"/*/pg "$work"/bare-*; do
    if [ -f "$cluster/postmaster.pid" ]; then
      "${as_postgres[@]}" "$pg_bin/pg_ctl" stop -D "$cluster" -m fast -w >/dev/null 2>&1 || true
    fi
  done
  rm -rf "$work"
}
trap cleanup EXIT

now_ms() { date +%s%3N; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# Launches the service on DATA_DIR and sets `elapsed` to the milliseconds until /health answered 200.
start_service() {
  local data=$1 port t0
  port=$(free_port)
  t0=$(now_ms)
  DEVMENTOR_DATA_DIR="$data" Scheduler__Enabled=false \
    dotnet "$dll" --urls "http://127.0.0.1:$port" >>"$work/service.log" 2>&1 &
  service_pid=$!
  until curl -fs -o /dev/null "http://127.0.0.1:$port/health"; do
    kill -0 "$service_pid" 2>/dev/null || { echo "bench: the service exited:"; tail -20 "$work/service.log"; exit 1; }
    sleep 0.02
  done
  elapsed=$(( $(now_ms) - t0 ))
}

stop_service() { # $1: TERM or KILL
  kill "-$1" "$service_pid"
  wait "$service_pid" 2>/dev/null || true
  service_pid=
}

# The bare PostgreSQL steps; sets `elapsed`.
bare_first() {
  local dir=$1 port t0
  mkdir "$dir"
  [ ${#as_postgres[@]} -eq 0 ] || chown postgres:postgres "$dir"
  port=$(free_port)
  t0=$(now_ms)
  "${as_postgres[@]}" "$pg_bin/initdb" -D "$dir" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >/dev/null
  "${as_postgres[@]}" "$pg_bin/pg_ctl" start -D "$dir" -l "$dir/server.log" -w -t 30 \
    -o "-p $port -c listen_addresses=127.0.0.1 -c unix_socket_directories=''" >/dev/null
  elapsed=$(( $(now_ms) - t0 ))
  "${as_postgres[@]}" "$pg_bin/pg_ctl" stop -D "$dir" -m fast -w >/dev/null
}

bare_later() {
  local dir=$1 port t0
  port=$(free_port)
  t0=$(now_ms)
  "${as_postgres[@]}" "$pg_bin/pg_ctl" start -D "$dir" -l "$dir/server.log" -w -t 30 \
    -o "-p $port -c listen_addresses=127.0.0.1 -c unix_socket_directories=''" >/dev/null
  elapsed=$(( $(now_ms) - t0 ))
  "${as_postgres[@]}" "$pg_bin/pg_ctl" stop -D "$dir" -m fast -w >/dev/null
}

median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : int((v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }

echo "round | bare initdb+start | service first | bare start | service later | service after SIGKILL (ms)"
declare -a bare_first_ms service_first_ms bare_later_ms service_later_ms service_kill_ms
for round in $(seq 1 "$rounds"); do
  bare_first "$work/bare-$round"; bare_first_ms+=("$elapsed")
  bare_later "$work/bare-$round"; bare_later_ms+=("$elapsed")

  start_service "$work/run-$round"; service_first_ms+=("$elapsed"); stop_service TERM
  start_service "$work/run-$round"; service_later_ms+=("$elapsed"); stop_service KILL
  start_service "$work/run-$round"; service_kill_ms+=("$elapsed"); stop_service TERM
  echo "$round | ${bare_first_ms[-1]} | ${service_first_ms[-1]} | ${bare_later_ms[-1]} | ${service_later_ms[-1]} | ${service_kill_ms[-1]}"
done

printf 'median | %s | %s | %s | %s | %s\n' \
  "$(printf '%s\n' "${bare_first_ms[@]}" | median)" \
  "$(printf '%s\n' "${service_first_ms[@]}" | median)" \
  "$(printf '%s\n' "${bare_later_ms[@]}" | median)" \
  "$(printf '%s\n' "${service_later_ms[@]}" | median)" \
  "$(printf '%s\n' "${service_kill_ms[@]}" | median)"
echo "targets: first run <= 10000 ms, later run <= 3000 ms"
