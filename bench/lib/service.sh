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

# Starts the Release build of the service in the background with what the API benchmarks share: a JWT signing key
# (in $signing_key), the /bench endpoints, rate limits far above what a run sends (the benchmark measures the path,
# not the throttle), warnings only in the log. Settings of the caller's own go in its environment. Sets service_pid
# and waits for /health.
start_bench_service() {
  signing_key=$(python3 -c 'import secrets; print(secrets.token_urlsafe(48))')
  DEVMENTOR_DATA_DIR="$work/data" \
  Auth__Jwt__SigningKey="$signing_key" \
  Bench__Enabled=true \
  RateLimits__PerIp=1000000000 RateLimits__PerUser=1000000000 RateLimits__PerApiKey=1000000000 \
  Logging__LogLevel__Default=Warning \
    dotnet src/Functions/bin/Release/net10.0/DevMentor.Functions.dll --urls "$base" >"$work/service.log" 2>&1 &
  service_pid=$!
  wait_for "$base/health"
}

# Prints an HS256 JWT for user $1 (default bench-user), valid for an hour, signed with $signing_key.
bench_jwt() {
  python3 - "$signing_key" "${1:-bench-user}" <<'PY'
import base64, hashlib, hmac, json, sys, time
def b64(data): return base64.urlsafe_b64encode(data).rstrip(b"=").decode()
key, user = sys.argv[1].encode(), sys.argv[2]
header = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
payload = b64(json.dumps({"sub": user, "iss": "devmentor-auth", "aud": "devmentor", "exp": int(time.time()) + 3600}).encode())
print(f"{header}.{payload}.{b64(hmac.new(key, f'{header}.{payload}'.encode(), hashlib.sha256).digest())}")
PY
}
