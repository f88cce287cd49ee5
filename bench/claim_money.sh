#!/usr/bin/env bash
# Money-on-claims benchmark: insurance-refund create with three allocations and
# patient-payment create under wrk at 32 clients, on SQLite and on PostgreSQL, and on
# PostgreSQL in the same run pgbench's built-in TPC-B-like script against the same server
# as the ceiling. Against a release `copay serve` on a fresh database; loopback only.
#
#   bench/claim_money.sh [sqlite|postgres|all]    (default all)
#
#   DURATION=30s CONNECTIONS=32 THREADS=2      wrk settings; pgbench -c/-j/-T the same
#   CLAIMS=1000                                seeded claims (3 lines each, one patient each)
#   PGBENCH_SCALE=10  BENCH_POSTGRES_URL=…  QUIET_WAIT=90  KEEP_DB=1  COPAY_BIN=path
#   LOADS="refund payment"  PGBENCH=1          experiments: run only some rows
#
# Per backend: a fresh database, a tenant, CLAIMS processed claims each with one large
# insurance payment on every line (bench/claim_money_seed.py), then
#   (a) POST /api/insurance-refunds/v1, 3 cents from the three lines of a random claim
#   (b) POST /api/patient-payments/v4, one line of a random claim, by its patient
# then `copay verify` on the database (must pass).
set -euo pipefail
cd "$(dirname "$0")/.."

which=${1:-all}
duration=${DURATION:-30s}
connections=${CONNECTIONS:-32}
threads=${THREADS:-2}
claims=${CLAIMS:-1000}
scale=${PGBENCH_SCALE:-10}
quiet_wait=${QUIET_WAIT:-90}
admin=${BENCH_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}
port=18282
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
  local backend=$1 url creds token seed_out mode label rps p50 p99 err sock copay_cores other_cores statuses
  case "$backend" in
    sqlite) url="sqlite://$work/claims.db" ;;
    postgres) url=$(fresh_postgres "copay_bench_cm_$$") ;;
  esac
  start_copay "$url"
  creds=$("$copay" tenant create bench --json --database-url "$url")
  seed_out=$(python3 bench/claim_money_seed.py --port "$port" --client-id "$(json_field "$creds" client_id)" \
    --client-secret "$(json_field "$creds" client_secret)" --claims "$claims" --copay "$copay" \
    --database-url "$url" --out "$work/seed.$backend")
  echo "$backend: seeded $seed_out" >&2
  if [ "$(json_field "$seed_out" failed)" != 0 ]; then echo "seeding failed" >&2; exit 1; fi
  token=$(curl -sf "$base/api/auth/v2/token" -H 'Content-Type: application/json' \
    -d "{\"client_id\":\"$(json_field "$creds" client_id)\",\"client_secret\":\"$(json_field "$creds" client_secret)\"}")
  token=$(json_field "$token" access_token)
  for mode in ${LOADS:-refund payment}; do
    case "$mode" in
      refund) label="insurance refund, 3 allocations \`POST /api/insurance-refunds/v1\`" ;;
      payment) label="patient payment \`POST /api/patient-payments/v4\`" ;;
    esac
    read -r rps p50 p99 err sock copay_cores other_cores < <(MODE=$mode SEED="$work/seed.$backend" \
      TOKEN=$token run_wrk -s bench/claim_money.lua "$base")
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

$(nproc) cores; $(uname -sr); copay $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- crates || echo "+uncommitted")$([ -n "${COPAY_BIN:-}" ] && echo " (binary $COPAY_BIN)"); wrk -t$threads -c$connections -d$duration --latency; $claims claims of 3 lines$([ "$which" != sqlite ] && echo "; $(psql "$admin" -Atc 'SHOW server_version'), pgbench -c$connections -j$threads -T${duration%s}")

| backend | load | requests/s | p50 | p99 | non-2xx | socket errors | copay CPU (cores) | other CPU (cores) |
|---|---|---:|---:|---:|---:|---:|---:|---:|
$(printf '%s' "$rows")

| backend | copay verify exit | output |
|---|---:|---|
$(printf '%s' "$verify_rows")

"other CPU" is busy time outside copay, wrk, pgbench and PostgreSQL (bench/cpu_share.py).
REPORT
if [ -n "$pgbench_tps" ]; then
  awk -F'|' -v tps="$pgbench_tps" '$2 ~ /postgres/ && $3 ~ /(refund|payment)/ {gsub(/ /, "", $4); printf "%s on PostgreSQL / pgbench: %.2fx (target >= 0.5x)\n", $3, $4 / tps}' <<<"$rows"
fi
if [ "$failed" != 0 ]; then echo "FAILED: errors or verify" >&2; exit 1; fi
