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

# wrk, pgbench, the copay binary, $work and the shared helpers.
source bench/lib.sh

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
