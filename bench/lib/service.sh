# Sourced by benchmarks that run the real service: a scratch dir, a free loopback port, and a
# cleanup that stops the service and removes the dir on exit. After sourcing: $work, $port, $base;
# start the service in the background, set service_pid, then call wait_for "$base/health".
# Anything else the benchmark starts (a second service, servers) goes in extra_pids: stopped too.

work=$(mktemp -d /tmp/devmentor-bench.XXXXXX)
chmod 755 "$work" # the embedded PostgreSQL runs as its own user and must reach its directory
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
base="http://127.0.0.1:$port"

service_pid=
extra_pids=()
cleanup() {
  for pid in $service_pid "${extra_pids[@]}"; do
    if kill -0 "$pid" 2>/dev/null; then
      kill -TERM "$pid"
      wait "$pid" 2>/dev/null || true
    fi
  done
  rm -rf "$work"
}
trap cleanup EXIT

# Waits up to a minute for URL to answer 2xx; fails with the service's log if it exits first.
# Usage: wait_for URL [pid log] (default: $service_pid and $work/service.log).
wait_for() {
  local pid=${2:-$service_pid} log=${3:-$work/service.log}
  for _ in $(seq 1 300); do
    curl -fs "$1" >/dev/null 2>&1 && return 0
    kill -0 "$pid" 2>/dev/null || { echo "bench: the service exited:"; cat "$log"; exit 1; }
    sleep 0.2
  done
  echo "bench: $1 did not answer within a minute"; exit 1
}
