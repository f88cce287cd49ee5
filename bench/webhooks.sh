#!/usr/bin/env bash
# Webhook benchmark (see BENCHMARKS.md): what writing the outbox adds to charge create at
# CONNECTIONS clients, and how fast the worker delivers to a local receiver. Against a
# release `copay serve` on a fresh database; loopback only; every load is bounded.
#
#   bench/webhooks.sh [sqlite|postgres]    (default sqlite)
#   DURATION=10s CONNECTIONS=32 THREADS=2 WEBHOOKS=8 PATIENTS=200
#   PAIRS=N        only rows A and B, in N groups A B B A, and their median change
#   SUBSCRIBE=TYPE the event type B's webhook subscribes to (PATIENT_UPDATED: an active
#                  webhook that receives nothing from charge creates)
#   BENCH_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/postgres
#
# A. wrk POSTs /v1/charge/create with no webhook: the outbox costs one indexed read.
#    Repeated as A' after C (the webhook deleted), to show drift between the rows.
# B. The same with one webhook subscribed to CHARGE_CREATED: each charge also writes an
#    event and a delivery. Its URL points at a closed port, so the first delivery fails
#    and, with a retry base of 1000 s, holds every later one back (deliveries of a webhook
#    go in order): no delivery work runs during the load, only the outbox and rendering.
# C. The webhook is pointed at the receiver and its first delivery resent by hand; the
#    worker then drains the backlog of B in order: events delivered per second, one webhook.
# D. As B with WEBHOOKS webhooks (each charge writes WEBHOOKS deliveries), then all drained
#    at once: deliveries per second across webhooks.
set -euo pipefail
cd "$(dirname "$0")/.."

backend=${1:-sqlite}
duration=${DURATION:-10s}
connections=${CONNECTIONS:-32}
threads=${THREADS:-2}
webhooks=${WEBHOOKS:-8}
patients=${PATIENTS:-200}
port=18380
receiver_port=18381
closed_port=18382
base="http://127.0.0.1:$port"
admin=${BENCH_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}

command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }
cargo build --release --quiet --bin copay
copay=target/release/copay

work=$(mktemp -d)
pids=()
database=
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  if [ -n "$database" ]; then psql "$admin" -qc "DROP DATABASE IF EXISTS $database WITH (FORCE)" || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

case "$backend" in
  sqlite) database_url="sqlite://$work/bench.db" ;;
  postgres)
    database="copay_bench_wh_$$"
    psql "$admin" -qc "DROP DATABASE IF EXISTS $database" -c "CREATE DATABASE $database"
    database_url="${admin%/*}/$database"
    ;;
  *) echo "usage: $0 [sqlite|postgres]" >&2; exit 2 ;;
esac

wait_up() { for _ in $(seq 1 100); do curl -sf "$1" >/dev/null && return 0; sleep 0.1; done; echo "not up: $1" >&2; exit 1; }
field() { python3 -c "import json,sys; v=json.load(sys.stdin)$1; print(v if isinstance(v, str) else json.dumps(v))"; }

python3 bench/webhook_receiver.py "$receiver_port" & pids+=($!)
wait_up "http://127.0.0.1:$receiver_port/stats"
received() { curl -sf "http://127.0.0.1:$receiver_port/stats" | field '["count"]'; }

creds=$("$copay" tenant create bench --json --database-url "$database_url")
export API_KEY TENANT PATIENT
API_KEY=$(field '["api_key"]' <<<"$creds")
TENANT=bench
COPAY_LOG=warn COPAY_WEBHOOK_ALLOW_PRIVATE_TARGETS=true COPAY_WEBHOOK_RETRY_BASE_SECS=1000 \
  "$copay" serve --listen "127.0.0.1:$port" --database-url "$database_url" >"$work/copay.log" 2>&1 &
pids+=($!)
wait_up "$base/readyz"

api() { # METHOD PATH [BODY]
  curl -sf -X "$1" "$base$2" -H "API-KEY: $API_KEY" -H "TENANT: $TENANT" \
    -H 'content-type: application/json' ${3:+-d "$3"}
}
# The charges go to PATIENTS patients at random (PATIENTS=1: all to one, so every charge
# queues on that patient's row lock on PostgreSQL and any statement added to the
# transaction lengthens a section that runs one at a time).
PATIENT=
for n in $(seq 1 "$patients"); do
  id=$(api POST /user/patient/create "{\"firstName\":\"Bench$n\",\"lastName\":\"Patient\"}" | field '["id"]')
  PATIENT=${PATIENT:+$PATIENT,}$id
done

# wrk → "req/s p50 p99 2xx"
run_wrk() {
  local out
  out=$(wrk -t"$threads" -c"$connections" -d"$duration" --latency -s bench/charge_create.lua "$base")
  echo "$(awk '/^Requests\/sec/ {print $2}' <<<"$out") $(awk '$1 == "50%" {print $2}' <<<"$out") \
$(awk '$1 == "99%" {print $2}' <<<"$out") $(grep -o '200=[0-9]*' <<<"$out" | cut -d= -f2)"
}

new_webhook() { # prints the id of a webhook on the closed port
  api POST /webhook/decoda/create \
    "{\"url\":\"http://127.0.0.1:$closed_port/hook\",\"subscriptions\":[\"CHARGE_CREATED\"]}" | field '["id"]'
}

# Points a webhook at the receiver once its first delivery has failed, and resends that one.
release() {
  local id=$1 first
  for _ in $(seq 1 300); do
    first=$(api GET "/webhook/decoda/$id/delivery-attempts/list?limit=1&sort_direction=asc" | field '[0]')
    [ "$(field '["lastDeliveryAttemptError"]' <<<"$first")" != "null" ] && break
    sleep 0.1
  done
  api PUT "/webhook/decoda/update/$id" "{\"url\":\"http://127.0.0.1:$receiver_port/hook\"}" >/dev/null
  api GET "/webhook/decoda/events/$(field '["id"]' <<<"$first")/send" >/dev/null
}

# Waits until the receiver has TARGET requests; prints "delivered/s seconds".
drain() {
  local target=$1 start now count
  start=$(date +%s.%N)
  while :; do
    count=$(received)
    [ "$count" -ge "$target" ] && break
    sleep 0.2
  done
  now=$(date +%s.%N)
  python3 -c "import sys; s=float(sys.argv[3])-float(sys.argv[2]); print(f'{(int(sys.argv[1]))/s:.0f} {s:.1f}')" \
    "$target" "$start" "$now"
}

echo "# webhooks benchmark: $backend, wrk -t$threads -c$connections -d$duration, $patients patients, $(nproc) cores"

# PAIRS=N: only the outbox's cost, as N groups of four rows A B B A (A: no webhook; B: one
# subscribed webhook whose deliveries are held back, archived again after its row), and
# the median of the groups' changes, mean(B)/mean(A) - 1. Rows of one binary drift by
# 10-20% over a run on this machine, as much as the effect: one pair cannot settle it,
# and ordering each group A B B A cancels a steady drift that A-then-B pairs would
# charge to B (or credit it with).
SUBSCRIBE=${SUBSCRIBE:-CHARGE_CREATED}
if [ "${PAIRS:-0}" -gt 0 ]; then
  changes=()
  row_b() {
    local hook
    hook=$(api POST /webhook/decoda/create \
      "{\"url\":\"http://127.0.0.1:$closed_port/hook\",\"subscriptions\":[\"$SUBSCRIBE\"]}" | field '["id"]')
    run_wrk
    api DELETE "/webhook/decoda/delete/$hook" >/dev/null
  }
  for round in $(seq 1 "$PAIRS"); do
    read -r a1 _ a1_p99 _ <<<"$(run_wrk)"
    read -r b1 _ b1_p99 _ <<<"$(row_b)"
    read -r b2 _ b2_p99 _ <<<"$(row_b)"
    read -r a2 _ a2_p99 _ <<<"$(run_wrk)"
    change=$(python3 -c "import sys; a1,b1,b2,a2=map(float,sys.argv[1:]); print(f'{100*((b1+b2)/(a1+a2)-1):+.1f}')" "$a1" "$b1" "$b2" "$a2")
    changes+=("$change")
    echo "group $round: A $a1 B $b1 B $b2 A $a2 req/s (p99 A $a1_p99 B $b1_p99 B $b2_p99 A $a2_p99)  change $change%"
  done
  python3 -c "import statistics,sys; v=sorted(map(float,sys.argv[1:])); print(f'median change B vs A over {len(v)} groups: {statistics.median(v):+.1f}% (min {v[0]:+.1f}%, max {v[-1]:+.1f}%)')" "${changes[@]}"
  exit 0
fi
read -r a_rps a_p50 a_p99 a_ok <<<"$(run_wrk)"
echo "A  charge create, no webhook:            $a_rps req/s  p50 $a_p50  p99 $a_p99  ($a_ok created)"

one=$(new_webhook)
read -r b_rps b_p50 b_p99 b_ok <<<"$(run_wrk)"
echo "B  charge create, 1 subscribed webhook:  $b_rps req/s  p50 $b_p50  p99 $b_p99  ($b_ok created)"
python3 -c "import sys; a,b=float(sys.argv[1]),float(sys.argv[2]); print(f'   throughput change B vs A: {100*(b-a)/a:+.1f}%')" "$a_rps" "$b_rps"

before=$(received)
release "$one"
read -r c_rate c_secs <<<"$(drain $((before + b_ok)))"
echo "C  drain, 1 webhook (in order):          $c_rate events/s  ($b_ok in ${c_secs}s)"

api DELETE "/webhook/decoda/delete/$one" >/dev/null
# A again, now that the tenant holds A's and B's charges: B is compared with both A rows, so
# a drift with the tenant's size (or the machine) is not counted as the outbox's cost.
read -r a2_rps a2_p50 a2_p99 a2_ok <<<"$(run_wrk)"
echo "A' charge create, no webhook (again):    $a2_rps req/s  p50 $a2_p50  p99 $a2_p99  ($a2_ok created)"
python3 -c "import sys; a,a2,b=map(float,sys.argv[1:]); m=(a+a2)/2; print(f'   throughput change B vs mean(A, A\'): {100*(b-m)/m:+.1f}%')" \
  "$a_rps" "$a2_rps" "$b_rps"
ids=()
for _ in $(seq 1 "$webhooks"); do ids+=("$(new_webhook)"); done
read -r d_rps d_p50 d_p99 d_ok <<<"$(run_wrk)"
echo "D  charge create, $webhooks subscribed webhooks: $d_rps req/s  p50 $d_p50  p99 $d_p99  ($d_ok created)"
before=$(received)
for id in "${ids[@]}"; do release "$id"; done
read -r d_rate d_secs <<<"$(drain $((before + d_ok * webhooks)))"
echo "   drain, $webhooks webhooks at once:          $d_rate deliveries/s  ($((d_ok * webhooks)) in ${d_secs}s)"
