#!/usr/bin/env bash
# Charge-capture benchmark: create throughput, filtered get_all latency at 10^4 and 10^6
# captures in one tenant, and the claim-creation processing rate. Against a release
# `copay serve` on a fresh database; loopback only; every load is bounded by time or count.
#
#   bench/charge_captures.sh [sqlite|postgres]    (default sqlite)
#
#   DURATION=10s CONNECTIONS=32 THREADS=2      wrk settings of every measured row (each get_all
#                                              query is also measured with one client first)
#   SEED_SMALL=10000 SEED_LARGE=1000000        tenant sizes at which get_all is measured
#   SEED_DEADLINE=1500                         seconds seeding through the API may take at most;
#                                              the tables show the size actually reached
#   CLAIMS=2000                                billable captures turned into claims in part 3
#   BENCH_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/postgres
#   QUIET_WAIT=90                              before each wrk row, wait up to this many seconds
#                                              for the machine to be idle (< 0.25 cores busy)
#   KEEP_DB=1                                  keep the databases for inspection (not dropped)
#
# 1. wrk POSTs EHR-like charges (bench/charge_capture_create.lua) to an empty tenant.
# 2. bench/charge_capture_seed.py fills a second tenant through the API to SEED_SMALL and the
#    get_all queries below are measured; the seeding rate is reported: it is create
#    throughput at scale. Then, with the server stopped, bench/charge_capture_grow.sh grows
#    the tenant to SEED_LARGE by copying its captures in SQL (minutes for 10^6, where the
#    API takes hours; the copies are realistic, see its header) and the queries are
#    measured again. The copying time is reported on a line of its own.
# 3. On a second fresh database, CLAIMS billable charges with complete data, each its own
#    patient (so each opens its own claim creation), are processed by `copay claims
#    process`; all must succeed and `copay verify` must pass afterwards.
# The server runs with --claim-creation-quiet-period-secs 100000, so the claim worker
# never competes with the measured load; billable charges still open claim creations.
set -euo pipefail
cd "$(dirname "$0")/.."

# get_all queries measured at each tenant size: "label|query string". @PATIENT@, @NPI@,
# @LAST_NAME@, @DOS_MIN@ and @DOS_MAX@ are replaced by the values below them.
QUERIES=(
  "no filter (baseline)|limit=100"
  "(a) status=billable|limit=100&status=billable"
  "(b) patient_external_id=@PATIENT@|limit=100&patient_external_id=@PATIENT@"
  "(c) date_of_service @DOS_MIN@..@DOS_MAX@, sort=date_of_service|limit=100&sort=date_of_service&date_of_service_min=@DOS_MIN@&date_of_service_max=@DOS_MAX@"
  "(d) billing_provider_npis=@NPI@|limit=100&billing_provider_npis=@NPI@"
  "(e) search_term=@LAST_NAME@|limit=100&search_term=@LAST_NAME@"
)
PATIENT=${PATIENT:-p0000500}   # a few charges at 10^4 captures (see charge_capture_seed.py), as many at
                               # 10^6: the copies get patients of their own (charge_capture_grow.sh)
NPI=${NPI:-1023456787}         # the first of the 50 billing-provider NPIs (~2 % of charges)
LAST_NAME=${LAST_NAME:-Garcia} # one of 40 patient last names (~2.5 % of charges)
DOS_MIN=${DOS_MIN:-2025-06-01} # dates of service are spread over 2025
DOS_MAX=${DOS_MAX:-2025-06-30}

backend=${1:-sqlite}
duration=${DURATION:-10s}
connections=${CONNECTIONS:-32}
threads=${THREADS:-2}
seed_small=${SEED_SMALL:-10000}
seed_large=${SEED_LARGE:-1000000}
seed_deadline=${SEED_DEADLINE:-1500}
quiet_wait=${QUIET_WAIT:-90}
claims=${CLAIMS:-2000}
port=18280
base="http://127.0.0.1:$port"

command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }
cargo build --release --quiet --bin copay
copay=target/release/copay

work=$(mktemp -d)
copay_pid=
databases=()
admin=${BENCH_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}
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

# A fresh database; prints its URL.
fresh_database() {
  case "$backend" in
    sqlite) echo "sqlite://$work/$1.db" ;;
    postgres)
      local name="copay_bench_cc_$$_$1"
      psql "$admin" -qc "DROP DATABASE IF EXISTS $name" -c "CREATE DATABASE $name" >&2
      echo "${admin%/*}/$name"
      ;;
  esac
}
case "$backend" in
  sqlite | postgres) ;;
  *) echo "usage: $0 [sqlite|postgres]" >&2; exit 2 ;;
esac

hwm_kb() { awk '/^VmHWM/ {print $2}' "/proc/$1/status"; }
rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
wait_up() { for _ in $(seq 1 100); do curl -sf "$1" >/dev/null && return 0; sleep 0.1; done; echo "not up: $1" >&2; exit 1; }
json_field() { python3 -c "import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])" "$1" "$2"; }

start_copay() {
  COPAY_LOG=warn "$copay" serve --listen "127.0.0.1:$port" --database-url "$1" \
    --claim-creation-quiet-period-secs 100000 >>"$work/copay.log" 2>&1 &
  copay_pid=$!
  wait_up "$base/readyz"
}
stop_copay() { kill "$copay_pid"; wait "$copay_pid" 2>/dev/null || true; copay_pid=; }

# A tenant and a bearer token for it; prints the token. Its credentials (with its id) are kept
# in $work/tenant.$1.json.
tenant_token() {
  local creds
  creds=$("$copay" tenant create "$1" --json --database-url "$2")
  printf '%s\n' "$creds" >"$work/tenant.$1.json"
  curl -sf -X POST "$base/api/auth/v2/token" -H 'content-type: application/json' \
    -d "{\"client_id\":\"$(json_field "$creds" client_id)\",\"client_secret\":\"$(json_field "$creds" client_secret)\"}" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])'
}

# GET a Candid path with the token in $token; prints one field of the JSON answer.
get_field() {
  curl -sf "$base$1" -H "Authorization: Bearer $token" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$2"
}
tenant_rows() { get_field "/api/charge_captures/v1?limit=1" item_count; }

# Counts the items of a Candid list by walking its pages (at most 1,000 pages of 1,000).
count_items() {
  python3 - "$base$1" "$token" <<'PY'
import json, sys, urllib.parse, urllib.request
url, token, total, page_token = sys.argv[1], sys.argv[2], 0, None
for _ in range(1000):
    page_url = url + ("&page_token=" + urllib.parse.quote(page_token) if page_token else "")
    request = urllib.request.Request(page_url, headers={"Authorization": "Bearer " + token})
    with urllib.request.urlopen(request, timeout=60) as response:
        page = json.load(response)
    total += len(page["items"])
    page_token = page.get("next_page_token")
    if not page_token:
        break
print(total)
PY
}

# wrk --latency output → "req/s p50 p99 non-2xx socket-errors copay-cores other-cores"
# (bench/cpu_share.py); the raw output is kept in $work/wrk.last.
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

# Seeds the tenant of $token from its current size up to $1 captures; appends a row to
# $seed_rows.
seed_rows=
seed_to() {
  local target=$1 have out created rate seconds failed cpu
  have=$(tenant_rows)
  if [ "$have" -ge "$target" ]; then return; fi
  echo "seeding $have → $target captures …" >&2
  python3 bench/cpu_share.py snap "$work/cpu.seed" "$BASHPID"
  out=$(python3 bench/charge_capture_seed.py --port "$port" --token "$token" --start "$have" \
    --count "$((target - have))" --concurrency "$connections" --deadline-secs "$seed_deadline" \
    --progress-every 100000)
  cpu=$(python3 bench/cpu_share.py diff "$work/cpu.seed" "$BASHPID" "$copay_pid")
  created=$(json_field "$out" created); rate=$(json_field "$out" rate); seconds=$(json_field "$out" seconds)
  failed=$(python3 -c "import json,sys; d=json.loads(sys.argv[1]); print(sum(d['non_2xx'].values()) + d['errors'])" "$out")
  if [ "$failed" != 0 ]; then echo "seeding failures: $out" >&2; fi
  if [ "$(json_field "$out" timed_out)" = True ]; then echo "seeding stopped at SEED_DEADLINE=${seed_deadline}s" >&2; fi
  seed_rows+="| $have → $((have + created)) | $created | $seconds s | $rate | $failed | $(json_field "$out" client_cpu_secs) s | ${cpu% *} | ${cpu#* } |"$'\n'
}

# Grows the tenant $1 to $2 captures by copying them in SQL (bench/charge_capture_grow.sh),
# with the server stopped; sets grow_line for the report.
grow_line=
grow_to() {
  local tenant=$1 target=$2 have seconds size
  have=$(tenant_rows)
  if [ "$have" -ge "$target" ]; then return; fi
  echo "growing $have → $target captures by copying them in SQL …" >&2
  stop_copay
  seconds=$(bench/charge_capture_grow.sh "$database_url" "$tenant" "$target")
  case "$backend" in
    sqlite) size=$(( $(stat -c %s "${database_url#sqlite://}") / 1048576 )) ;;
    postgres) size=$(( $(psql "$database_url" -XAtc "SELECT pg_database_size(current_database())") / 1048576 )) ;;
  esac
  start_copay "$database_url"
  grow_line="grown $have → $(tenant_rows) captures by copying them in SQL (bench/charge_capture_grow.sh, server stopped): $seconds s; database afterwards: $size MiB"
}

# Stands in for autovacuum having caught up after a bulk load (PostgreSQL only).
settle() { if [ "$backend" = postgres ]; then psql "$database_url" -qc "VACUUM (ANALYZE)"; fi; }

query_rows=
measure_queries() {
  local rows entry label query matching rps p50 p99 err sock copay_cores other_cores note
  rows=$(tenant_rows)
  for entry in "${QUERIES[@]}"; do
    label=${entry%%|*}; query=${entry#*|}
    for var in PATIENT NPI LAST_NAME DOS_MIN DOS_MAX; do
      label=${label//@$var@/${!var}}; query=${query//@$var@/${!var}}
    done
    matching=$(get_field "/api/charge_captures/v1?$query" item_count)
    # One client: what a query costs (its latency); then $connections clients: throughput,
    # and latency that is mostly waiting for one of the cores.
    read -r one_rps one_p50 one_p99 one_err one_sock _ one_other < <(connections=1 threads=1 \
      run_wrk -H "Authorization: Bearer $token" "$base/api/charge_captures/v1?$query")
    read -r rps p50 p99 err sock copay_cores other_cores < <(run_wrk -H "Authorization: Bearer $token" "$base/api/charge_captures/v1?$query")
    note=
    if [ "$matching" = "$rows" ] && [ "$query" != limit=100 ]; then note=" (matches every row: filter ignored?)"; fi
    query_rows+="| $label$note | $rows | $matching | $one_rps | $one_p50 | $one_p99 | $rps | $p50 | $p99 | $((one_err + err)) | $((one_sock + sock)) | $copay_cores | $one_other / $other_cores |"$'\n'
  done
}

# ---- 1 and 2: create throughput, seeding, get_all ----
database_url=$(fresh_database main)
if [ "$backend" = postgres ]; then databases+=("copay_bench_cc_$$_main"); fi
start_copay "$database_url"
sleep 1
idle_kb=$(rss_kb "$copay_pid")

token=$(tenant_token ehr "$database_url")
read -r create_rps create_p50 create_p99 create_err create_sock create_copay create_other < <(TOKEN=$token PREFIX=w THREADS=$threads \
  run_wrk -s bench/charge_capture_create.lua "$base/api/charge_captures/v1")
create_statuses=$(awk '/^responses by status/ {$1=$2=$3=""; print substr($0, 4)}' "$work/wrk.last")
create_rows=$(tenant_rows)

token=$(tenant_token bench "$database_url")
seed_to "$seed_small"
settle
measure_queries
main_peak_kb=$(hwm_kb "$copay_pid")
grow_to "$(json_field "$(cat "$work/tenant.bench.json")" tenant_id)" "$seed_large"
settle
measure_queries
main_peak_kb=$(( $(hwm_kb "$copay_pid") > main_peak_kb ? $(hwm_kb "$copay_pid") : main_peak_kb ))
stop_copay

# ---- 3: claim-creation processing ----
database_url=$(fresh_database claims)
if [ "$backend" = postgres ]; then databases+=("copay_bench_cc_$$_claims"); fi
start_copay "$database_url"
token=$(tenant_token claims "$database_url")
seed_out=$(python3 bench/charge_capture_seed.py --port "$port" --token "$token" --count "$claims" \
  --concurrency "$connections" --mode claims --prefix c --deadline-secs "$seed_deadline")
not_started_before=$(get_field /api/charge_capture_claim_creation/v1/all/summary charge_capture_claim_creations_not_started_count)
t0=$(date +%s.%N)
process_out=$("$copay" claims process --database-url "$database_url")
t1=$(date +%s.%N)
process_secs=$(python3 -c "print(f'{$t1 - $t0:.2f}')")
succeeded=$(json_field "$process_out" succeeded)
claims_rate=$(python3 -c "print(f'{$succeeded / ($t1 - $t0):.0f}')")
successful=$(count_items "/api/charge_capture_claim_creation/v1?claim_creation_status=successful&limit=1000")
not_started_after=$(get_field /api/charge_capture_claim_creation/v1/all/summary charge_capture_claim_creations_not_started_count)
in_error_after=$(get_field /api/charge_capture_claim_creation/v1/all/summary charge_capture_claim_creations_in_error_count)
claims_peak_kb=$(hwm_kb "$copay_pid")
stop_copay
verify_rc=0
verify_out=$("$copay" verify --database-url "$database_url") || verify_rc=$?

seed_table=$(printf '%s' "$seed_rows")
query_table=$(printf '%s' "$query_rows")
cat <<REPORT
backend: $backend; wrk -t$threads -c$connections -d$duration --latency; $(nproc) cores; $(uname -sr)$([ "$backend" = postgres ] && echo "; $(psql --version)")

1. POST /api/charge_captures/v1 into an empty tenant (bench/charge_capture_create.lua)

| endpoint | requests/s | p50 | p99 | non-2xx | socket errors | copay CPU (cores) | other CPU (cores) |
|---|---:|---:|---:|---:|---:|---:|---:|
| POST /api/charge_captures/v1 | $create_rps | $create_p50 | $create_p99 | $create_err | $create_sock | $create_copay | $create_other |

responses by status: $create_statuses; captures in the tenant afterwards: $create_rows

2. Seeding a second tenant through the API (bench/charge_capture_seed.py, $connections connections)

| captures | created | time | captures/s | failed | seeder CPU | copay CPU (cores) | other CPU (cores) |
|---|---:|---:|---:|---:|---:|---:|---:|
$seed_table

${grow_line:-not grown (SEED_LARGE ≤ SEED_SMALL)}

GET /api/charge_captures/v1 (page size 100)$([ "$backend" = postgres ] && echo "; VACUUM (ANALYZE) after seeding and after growing")

| query | rows in tenant | matching (item_count) | 1 client: req/s | p50 | p99 | $connections clients: req/s | p50 | p99 | non-2xx | socket errors | copay CPU (cores, $connections clients) | other CPU (cores, 1 / $connections clients) |
|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|
$query_table

3. Claim creations: $claims billable captures, one patient each ($(json_field "$seed_out" rate) captures/s to create, failed: $(json_field "$seed_out" errors) errors, non-2xx $(json_field "$seed_out" non_2xx))

not started before: $not_started_before; copay claims process: $process_out in $process_secs s = $claims_rate claims/s
afterwards: successful $successful, not started $not_started_after, in error $in_error_after
copay verify (exit $verify_rc): $verify_out

"other CPU" is busy time of the machine outside copay, the load generator and PostgreSQL
(bench/cpu_share.py): other work competing for the 2 cores; rows with more than ~0.1 understate copay.
copay RSS: idle $((idle_kb / 1024)) MiB; peak $((main_peak_kb / 1024)) MiB (parts 1–2), $((claims_peak_kb / 1024)) MiB (part 3)
REPORT
if [ "$successful" != "$claims" ] || [ "$verify_rc" != 0 ]; then echo "FAILED: claims or verify" >&2; exit 1; fi
