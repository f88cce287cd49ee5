#!/usr/bin/env bash
# Patient-billing benchmark: Gen-1 charge create and Gen-2 credit settlement under wrk at
# 32 clients, on SQLite and on PostgreSQL, and on PostgreSQL in the same run pgbench's
# built-in TPC-B-like script against the same server as the ceiling. Against a release
# `copay serve` on a fresh database; loopback only; every load is bounded by time.
#
#   bench/patient_billing.sh [sqlite|postgres|all]    (default all)
#
#   DURATION=30s CONNECTIONS=32 THREADS=2      wrk settings of every copay row; pgbench
#                                              runs -c CONNECTIONS -j THREADS -T DURATION
#   PATIENTS=2000                              seeded patients the load is spread over
#   CREDIT=100000000                           cents of credit each patient is granted
#   PGBENCH_SCALE=10                           pgbench -i -s (10 branches, 10^6 accounts)
#   BENCH_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/postgres
#   QUIET_WAIT=90                              before each row, wait up to this many seconds
#                                              for the machine to be idle (< 0.25 cores busy)
#   KEEP_DB=1                                  keep the databases for inspection
#   COPAY_BIN=path                             benchmark this binary instead of building
#   LOADS="charge settle"  PGBENCH=1           experiments: run only some rows
#   PG_SETUP_SQL='…'                           experiments: SQL run on copay's PostgreSQL
#                                              database after migration, before seeding
#
# Per backend: a fresh database, a tenant with a Decoda API key, 4 catalogue items and
# PATIENTS patients each holding one credit of CREDIT (bench/patient_billing_seed.py), then
#   (a) POST /v1/charge/create, two catalogue lines, random patient (bench/patient_billing.lua)
#   (b) POST /billing/payment-terminal/charge/create-patient-credit-settled?amount=N, one
#       inline new charge of N cents paid in full from the patient's credit
# then `copay verify` on the database (must pass). On PostgreSQL also: pgbench -i into a
# scratch database on the same server, pgbench -c32 -j2 -T30 (TPC-B-like), its tps.
# Every row records the CPU other processes took meanwhile (bench/cpu_share.py).
set -euo pipefail
cd "$(dirname "$0")/.."

which=${1:-all}
duration=${DURATION:-30s}
connections=${CONNECTIONS:-32}
threads=${THREADS:-2}
patients=${PATIENTS:-2000}
credit=${CREDIT:-100000000}
scale=${PGBENCH_SCALE:-10}
quiet_wait=${QUIET_WAIT:-90}
admin=${BENCH_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}
port=18281
base="http://127.0.0.1:$port"
case "$which" in
  sqlite) backends=(sqlite) ;;
  postgres) backends=(postgres) ;;
  all) backends=(sqlite postgres) ;;
  *) echo "usage: $0 [sqlite|postgres|all]" >&2; exit 2 ;;
esac

command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }
# Debian ships pgbench with the server (postgresql-15); /usr/bin/pgbench is a wrapper.
pgbench=$(command -v pgbench || ls /usr/lib/postgresql/*/bin/pgbench 2>/dev/null | tail -1 || true)
if [ -z "$pgbench" ] && [ "$which" != sqlite ]; then
  apt-get update -qq && apt-get install -y -qq postgresql-contrib
  pgbench=$(command -v pgbench)
fi
if [ -n "${COPAY_BIN:-}" ]; then copay=$COPAY_BIN; else
  cargo build --release --quiet --bin copay
  copay=target/release/copay
fi

work=$(mktemp -d)
copay_pid=
databases=()
cleanup() {
  if [ -n "$copay_pid" ]; then kill "$copay_pid" 2>/dev/null || true; wait "$copay_pid" 2>/dev/null || true; fi
  if [ -n "${KEEP_DB:-}" ]; then
    echo "KEEP_DB: kept $work and PostgreSQL databases: ${databases[*]:-none}" >&2
    return
  fi
  for name in "${databases[@]}"; do psql "$admin" -qc "DROP DATABASE IF EXISTS $name WITH (FORCE)" || true; done
  rm -rf "$work"
}
trap cleanup EXIT

# A fresh PostgreSQL database on the benchmark's server; prints its URL.
fresh_postgres() {
  local name="$1"
  psql "$admin" -qc "DROP DATABASE IF EXISTS $name" -c "CREATE DATABASE $name" >&2
  databases+=("$name")
  echo "${admin%/*}/$name"
}

wait_up() { for _ in $(seq 1 100); do curl -sf "$1" >/dev/null && return 0; sleep 0.1; done; echo "not up: $1" >&2; exit 1; }
json_field() { python3 -c "import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])" "$1" "$2"; }

start_copay() {
  COPAY_LOG=warn "$copay" serve --listen "127.0.0.1:$port" --database-url "$1" \
    --claim-creation-quiet-period-secs 100000 >>"$work/copay.log" 2>&1 &
  copay_pid=$!
  wait_up "$base/readyz"
}
stop_copay() { kill "$copay_pid"; wait "$copay_pid" 2>/dev/null || true; copay_pid=; }

# wrk --latency output → "req/s p50 p99 non-2xx socket-errors copay-cores other-cores";
# the raw output is kept in $work/wrk.last.
run_wrk() {
  local out me=$BASHPID
  python3 bench/cpu_share.py wait-quiet "$quiet_wait" 0.25 >/dev/null
  python3 bench/cpu_share.py snap "$work/cpu.$me" "$me"
  out=$(wrk -t"$threads" -c"$connections" -d"$duration" --timeout 30s --latency "$@")
  printf '%s\n' "$out" >"$work/wrk.last"
  local rps p50 p99 errors socket cpu
  rps=$(awk '/^Requests\/sec/ {print $2}' <<<"$out")
  p50=$(awk '$1 == "50%" {print $2}' <<<"$out")
  p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
  errors=$(awk '/Non-2xx or 3xx responses/ {print $5}' <<<"$out")
  socket=$(awk '/Socket errors/ {gsub(",", ""); print $4 + $6 + $8 + $10}' <<<"$out")
  cpu=$(python3 bench/cpu_share.py diff "$work/cpu.$me" "$me" "$copay_pid")
  echo "$rps ${p50:--} ${p99:--} ${errors:-0} ${socket:-0} $cpu"
}

rows=
failed=0
bench_backend() {
  local backend=$1 url creds api_key seed_out mode label rps p50 p99 err sock copay_cores other_cores statuses
  case "$backend" in
    sqlite) url="sqlite://$work/billing.db" ;;
    postgres) url=$(fresh_postgres "copay_bench_pb_$$") ;;
  esac
  start_copay "$url"
  if [ "$backend" = postgres ] && [ -n "${PG_SETUP_SQL:-}" ]; then psql "$url" -qc "$PG_SETUP_SQL"; fi
  creds=$("$copay" tenant create bench --json --database-url "$url")
  api_key=$(json_field "$creds" api_key)
  seed_out=$(python3 bench/patient_billing_seed.py --port "$port" --api-key "$api_key" \
    --tenant bench --patients "$patients" --credit "$credit" --out "$work/seed.$backend")
  echo "$backend: seeded $seed_out" >&2
  if [ "$(json_field "$seed_out" failed)" != 0 ]; then echo "seeding failed" >&2; exit 1; fi
  for mode in ${LOADS:-charge settle}; do
    case "$mode" in
      charge) label="charge create \`POST /v1/charge/create\`" ;;
      settle) label="credit settlement \`POST …/create-patient-credit-settled\`" ;;
    esac
    read -r rps p50 p99 err sock copay_cores other_cores < <(MODE=$mode SEED="$work/seed.$backend" \
      API_KEY=$api_key TENANT=bench run_wrk -s bench/patient_billing.lua "$base")
    statuses=$(awk '/^responses by status/ {$1=$2=$3=""; print substr($0, 4)}' "$work/wrk.last")
    echo "$backend $mode: $rps req/s, p50 $p50, p99 $p99, $statuses" >&2
    if [ "$err" != 0 ] || [ "$sock" != 0 ]; then failed=1; echo "$backend $mode: failures, see $work/copay.log" >&2; fi
    rows+="| $backend | $label | $rps | $p50 | $p99 | $err | $sock | $copay_cores | $other_cores |"$'\n'
  done
  stop_copay
  local verify_rc=0 verify_out
  verify_out=$("$copay" verify --database-url "$url") || verify_rc=$?
  echo "$backend: copay verify (exit $verify_rc): $verify_out" >&2
  verify_rows+="| $backend | $verify_rc | $(tr '\n' ' ' <<<"$verify_out" | cut -c1-200) |"$'\n'
  if [ "$verify_rc" != 0 ]; then failed=1; fi
  if [ "$backend" = postgres ] && [ "${PGBENCH:-1}" != 0 ]; then bench_pgbench; fi
}

# pgbench's TPC-B-like script against the same server, as the ceiling.
bench_pgbench() {
  local url out tps latency cpu me=$BASHPID
  url=$(fresh_postgres "copay_bench_pgbench_$$")
  "$pgbench" -i -q -s "$scale" "$url" >"$work/pgbench.init" 2>&1
  python3 bench/cpu_share.py wait-quiet "$quiet_wait" 0.25 >/dev/null
  python3 bench/cpu_share.py snap "$work/cpu.pg" "$me"
  out=$("$pgbench" -c "$connections" -j "$threads" -T "${duration%s}" "$url" 2>&1)
  cpu=$(python3 bench/cpu_share.py diff "$work/cpu.pg" "$me" 0)
  printf '%s\n' "$out" >"$work/pgbench.last"
  tps=$(awk '/^tps = / {print $3}' <<<"$out")
  latency=$(awk '/^latency average/ {print $4 " " $5}' <<<"$out")
  echo "pgbench: $tps tps, latency average $latency" >&2
  pgbench_tps=$tps
  rows+="| postgres | pgbench TPC-B-like (scale $scale), ceiling | ${tps%.*} | avg $latency | – | – | – | – | ${cpu#* } |"$'\n'
}

verify_rows=
pgbench_tps=
for backend in "${backends[@]}"; do bench_backend "$backend"; done

cat <<REPORT

$(nproc) cores; $(uname -sr); copay $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- crates || echo "+uncommitted")$([ -n "${COPAY_BIN:-}" ] && echo " (binary $COPAY_BIN)"); wrk -t$threads -c$connections -d$duration --latency; $patients patients$([ "$which" != sqlite ] && echo "; $(psql "$admin" -Atc 'SHOW server_version'), pgbench -c$connections -j$threads -T${duration%s}")

| backend | load | requests/s | p50 | p99 | non-2xx | socket errors | copay CPU (cores) | other CPU (cores) |
|---|---|---:|---:|---:|---:|---:|---:|---:|
$(printf '%s' "$rows")

| backend | copay verify exit | output |
|---|---:|---|
$(printf '%s' "$verify_rows")

"other CPU" is busy time outside copay, wrk, pgbench and PostgreSQL (bench/cpu_share.py):
other work competing for the cores; rows with more than ~0.1 understate copay.
REPORT
if [ -n "$pgbench_tps" ]; then
  settle_rps=$(awk -F'|' '$2 ~ /postgres/ && $3 ~ /settlement/ {gsub(/ /, "", $4); print $4}' <<<"$rows")
  python3 -c "import sys; print(f'credit settlement on PostgreSQL / pgbench: {float(sys.argv[1]) / float(sys.argv[2]):.2f}x (target >= 0.5x)')" "$settle_rps" "$pgbench_tps"
fi
if [ "$failed" != 0 ]; then echo "FAILED: errors or verify" >&2; exit 1; fi
