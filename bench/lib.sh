#!/usr/bin/env bash
# Shared by the write-load benchmarks (bench/patient_billing.sh, bench/claim_money.sh):
# sourced after the caller set which, duration, connections, threads, scale, quiet_wait,
# admin, port and base. Installs wrk (and pgbench unless only SQLite runs), builds copay,
# makes a scratch directory cleaned on exit, and defines the helpers below.

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
# Databases made, one name per line: fresh_postgres runs in a command substitution (a
# subshell), so a shell array would forget them.
touch "$work/databases"
cleanup() {
  if [ -n "$copay_pid" ]; then kill "$copay_pid" 2>/dev/null || true; wait "$copay_pid" 2>/dev/null || true; fi
  if [ -n "${KEEP_DB:-}" ]; then
    echo "KEEP_DB: kept $work and PostgreSQL databases: $(tr '\n' ' ' <"$work/databases")" >&2
    return
  fi
  while read -r name; do psql "$admin" -qc "DROP DATABASE IF EXISTS $name WITH (FORCE)" || true; done <"$work/databases"
  rm -rf "$work"
}
trap cleanup EXIT

# A fresh PostgreSQL database on the benchmark's server; prints its URL.
fresh_postgres() {
  local name="$1"
  psql "$admin" -qc "DROP DATABASE IF EXISTS $name" -c "CREATE DATABASE $name" >&2
  echo "$name" >>"$work/databases"
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
