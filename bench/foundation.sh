#!/usr/bin/env bash
# Foundation benchmark (see BENCHMARKS.md): requests/s and latency of an authenticated
# no-op and of the token endpoint, against a bare axum hello-world on the same machine,
# plus copay's idle and peak memory. Loopback only; every run is bounded by DURATION.
#
#   bench/foundation.sh [sqlite|postgres]    (default sqlite)
#   DURATION=10s CONNECTIONS=32 THREADS=2 BENCH_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/postgres
set -euo pipefail
cd "$(dirname "$0")/.."

backend=${1:-sqlite}
duration=${DURATION:-10s}
connections=${CONNECTIONS:-32}
threads=${THREADS:-2}
copay_port=18180
bare_port=18181

command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }
cargo build --release --quiet --bin copay --example bare_axum
copay=target/release/copay
bare=target/release/examples/bare_axum

work=$(mktemp -d)
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

case "$backend" in
  sqlite) database_url="sqlite://$work/bench.db" ;;
  postgres)
    admin=${BENCH_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}
    name="copay_bench_$$"
    psql "$admin" -qc "DROP DATABASE IF EXISTS $name" -c "CREATE DATABASE $name"
    database_url="${admin%/*}/$name"
    ;;
  *) echo "usage: $0 [sqlite|postgres]" >&2; exit 2 ;;
esac

rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
hwm_kb() { awk '/^VmHWM/ {print $2}' "/proc/$1/status"; }

wait_up() { for _ in $(seq 1 100); do curl -sf "$1" >/dev/null && return 0; sleep 0.1; done; echo "not up: $1" >&2; exit 1; }

# wrk --latency output → "req/s p50 p99"
run_wrk() {
  local out
  out=$(wrk -t"$threads" -c"$connections" -d"$duration" --latency "$@")
  local rps p50 p99 errors
  rps=$(awk '/^Requests\/sec/ {print $2}' <<<"$out")
  p50=$(awk '$1 == "50%" {print $2}' <<<"$out")
  p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
  errors=$(awk '/Non-2xx or 3xx responses/ {print $5}' <<<"$out")
  echo "$rps $p50 $p99 ${errors:-0}"
}

"$bare" "127.0.0.1:$bare_port" & pids+=($!)
wait_up "http://127.0.0.1:$bare_port/"
read -r bare_rps bare_p50 bare_p99 bare_err < <(run_wrk "http://127.0.0.1:$bare_port/")
kill "${pids[0]}"

COPAY_LOG=warn "$copay" serve --listen "127.0.0.1:$copay_port" --database-url "$database_url" & copay_pid=$!
pids+=($copay_pid)
wait_up "http://127.0.0.1:$copay_port/readyz"
sleep 1
idle_kb=$(rss_kb "$copay_pid")

creds=$("$copay" tenant create bench --json --database-url "$database_url")
field() { python3 -c "import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])" "$creds" "$1"; }
client_id=$(field client_id); client_secret=$(field client_secret); api_key=$(field api_key)
token=$(curl -sf -X POST "http://127.0.0.1:$copay_port/api/auth/v2/token" -H 'content-type: application/json' \
  -d "{\"client_id\":\"$client_id\",\"client_secret\":\"$client_secret\"}" | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')

whoami="http://127.0.0.1:$copay_port/copay/v1/whoami"
read -r bearer_rps bearer_p50 bearer_p99 bearer_err < <(run_wrk -H "Authorization: Bearer $token" "$whoami")
read -r key_rps key_p50 key_p99 key_err < <(run_wrk -H "API-KEY: $api_key" -H "TENANT: bench" "$whoami")
read -r token_rps token_p50 token_p99 token_err < <(CLIENT_ID=$client_id CLIENT_SECRET=$client_secret \
  run_wrk -s bench/token.lua "http://127.0.0.1:$copay_port/api/auth/v2/token")
peak_kb=$(hwm_kb "$copay_pid")

ratio=$(python3 -c "print(f'{$bearer_rps / $bare_rps * 100:.0f}%')")
cat <<TABLE
backend: $backend; wrk -t$threads -c$connections -d$duration; $(nproc) cores; $(uname -sr)

| endpoint | requests/s | p50 | p99 | non-2xx |
|---|---:|---:|---:|---:|
| bare axum hello-world (baseline) | $bare_rps | $bare_p50 | $bare_p99 | $bare_err |
| GET /copay/v1/whoami, bearer token (authenticated no-op) | $bearer_rps | $bearer_p50 | $bearer_p99 | $bearer_err |
| GET /copay/v1/whoami, API-KEY + TENANT (key looked up in the database) | $key_rps | $key_p50 | $key_p99 | $key_err |
| POST /api/auth/v2/token | $token_rps | $token_p50 | $token_p99 | $token_err |

authenticated no-op / baseline: $ratio
copay RSS: idle $((idle_kb / 1024)) MiB, peak $((peak_kb / 1024)) MiB
TABLE

if [ "$backend" = postgres ]; then
  kill "$copay_pid"; wait "$copay_pid" 2>/dev/null || true
  psql "$admin" -qc "DROP DATABASE IF EXISTS $name WITH (FORCE)"
fi
