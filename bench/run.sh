#!/usr/bin/env bash
# The benchmark of docs/benchmarks.md in one command. Builds in Release, starts its own
# Postgres (fsync and synchronous_commit on, as in production), Redis, the fast target, the
# baseline endpoint, the api and the workers on free loopback ports, measures ingest (ours and
# the baseline's), delivery throughput and end-to-end latency, prints the results page and
# writes it to bench/results/. Everything it starts is stopped on exit, whatever happens.
#
# Settings (environment): BENCH_SECONDS (each ingest run, 20), BENCH_WARMUP_SECONDS (before
# each ingest run, 15), BENCH_CONNECTIONS (64), BENCH_WRK_THREADS (2), BENCH_E2E_RATE (1000),
# BENCH_E2E_SECONDS (30), BENCH_E2E_WARMUP_SECONDS (5), BENCH_DELIVERIES (30000),
# BENCH_WORKERS (2), BENCH_WORKER_WARMUP_SECONDS (15), BENCH_DRAIN_TIMEOUT (90 s).
# A process keeps compiling its hot paths for tens of seconds under load (the JIT's tiers), so
# the warm-ups are long; the report shows how much compiling was left in each measured phase.
set -euo pipefail
cd "$(dirname "$0")/.."

connections=${BENCH_CONNECTIONS:-64}
wrk_threads=${BENCH_WRK_THREADS:-2}
ingest_seconds=${BENCH_SECONDS:-20}
warmup_seconds=${BENCH_WARMUP_SECONDS:-15}
e2e_rate=${BENCH_E2E_RATE:-1000}
e2e_seconds=${BENCH_E2E_SECONDS:-30}
e2e_warmup_seconds=${BENCH_E2E_WARMUP_SECONDS:-5}
deliveries=${BENCH_DELIVERIES:-30000}
workers=${BENCH_WORKERS:-2}
worker_warmup_seconds=${BENCH_WORKER_WARMUP_SECONDS:-15}
drain_timeout=${BENCH_DRAIN_TIMEOUT:-90}

body=bench/payload.json
cli_dll=src/WebhookEnterprise.Cli/bin/Release/net10.0/WebhookEnterprise.Cli.dll
bench_dll=bench/WebhookEnterprise.Bench/bin/Release/net10.0/WebhookEnterprise.Bench.dll
# The gateway's Redis names (src/WebhookEnterprise.Core/Queue/RedisKeys.cs, default prefix).
stream_key=webhooks:deliveries
delivery_field=delivery
worker_group=workers
wake_channel=webhooks:wake

say() { printf 'bench [%d:%02d]: %s\n' $((SECONDS / 60)) $((SECONDS % 60)) "$*" >&2; }
fail() { say "$*"; exit 1; }

# --- Prerequisites -----------------------------------------------------------------------

sudo_if_needed() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

./scripts/install-prerequisites.sh
if ! command -v wrk >/dev/null; then
  say "installing wrk"
  sudo_if_needed apt-get update -qq
  sudo_if_needed env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends wrk >/dev/null
fi

for tool in dotnet redis-server redis-cli wrk curl ss base64 awk pgrep findmnt; do
  command -v "$tool" >/dev/null || fail "$tool is missing"
done

pg_bin=$(find /usr/lib/postgresql -maxdepth 2 -name bin -type d | sort -V | tail -1)
[ -x "$pg_bin/postgres" ] || fail "no Postgres under /usr/lib/postgresql"

# --- Work and results folders, and cleanup -------------------------------------------------

results=bench/results/$(date -u +%Y%m%d-%H%M%S)
logs=$results/logs
mkdir -p "$logs"
work=$(mktemp -d "${TMPDIR:-/tmp}/webhook-bench.XXXXXX")

started_pids=()
started_names=()

stop_all() {
  local status=$?
  trap - EXIT INT TERM
  local i pid name
  for ((i = ${#started_pids[@]} - 1; i >= 0; i--)); do
    pid=${started_pids[i]}
    name=${started_names[i]}
    kill -0 "$pid" 2>/dev/null || continue
    # Postgres takes SIGINT as its fast shutdown; everything else stops on SIGTERM.
    if [ "$name" = postgres ]; then kill -INT "$pid" 2>/dev/null || true; else kill -TERM "$pid" 2>/dev/null || true; fi
    for _ in $(seq 1 100); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  rm -rf "$work"
  if [ "$status" -eq 130 ]; then
    say "interrupted; the processes' output is in $logs"
  elif [ "$status" -ne 0 ]; then
    say "failed; the processes' output is in $logs"
  fi
  exit "$status"
}
trap stop_all EXIT
trap 'exit 130' INT TERM

# Starts "$@" in the background with its output in $logs/NAME.log and remembers it.
start() {
  local name=$1
  shift
  "$@" >"$logs/$name.log" 2>&1 &
  started_pids+=("$!")
  started_names+=("$name")
}

last_pid() { echo "${started_pids[${#started_pids[@]} - 1]}"; }

# Waits up to TIMEOUT seconds for "$@" to succeed while process PID lives.
wait_for() {
  local what=$1 timeout=$2 pid=$3
  shift 3
  local deadline=$((SECONDS + timeout))
  until "$@" >/dev/null 2>&1; do
    kill -0 "$pid" 2>/dev/null || fail "$what: the process exited"
    ((SECONDS < deadline)) || fail "timed out after ${timeout}s waiting for $what"
    sleep 0.2
  done
}

taken_ports=" "
free_port() {
  local port
  for _ in $(seq 1 200); do
    port=$((20000 + RANDOM % 40000))
    if [[ "$taken_ports" != *" $port "* ]] && [ -z "$(ss -Htln "sport = :$port")" ]; then
      taken_ports+="$port "
      echo "$port"
      return
    fi
  done
  fail "found no free port"
}

# --- Build ---------------------------------------------------------------------------------

say "building in Release"
dotnet build src/WebhookEnterprise.Cli -c Release -nologo -v quiet >"$logs/build.log" 2>&1 \
  || { tail -30 "$logs/build.log" >&2; fail "the gateway did not build"; }
dotnet build bench/WebhookEnterprise.Bench -c Release -nologo -v quiet >>"$logs/build.log" 2>&1 \
  || { tail -30 "$logs/build.log" >&2; fail "the bench project did not build"; }
dotnet tool restore >>"$logs/build.log" 2>&1 || fail "could not restore dotnet-counters; see $logs/build.log"
# Run from its package rather than as 'dotnet dotnet-counters', which starts it as a child
# that a signal to the parent does not stop.
counters_version=$(sed -n '/"dotnet-counters"/,/}/s/.*"version": *"\([^"]*\)".*/\1/p' dotnet-tools.json)
counters_dll=$(find "${NUGET_PACKAGES:-$HOME/.nuget/packages}/dotnet-counters/$counters_version/tools" \
  -name dotnet-counters.dll -path '*/any/*' | sort -V | tail -1)
[ -f "$counters_dll" ] || fail "dotnet-counters $counters_version is not in the NuGet cache"

# --- Postgres and Redis --------------------------------------------------------------------

pg_port=$(free_port)
redis_port=$(free_port)
target_port=$(free_port)
baseline_port=$(free_port)
api_port=$(free_port)

# Postgres refuses to run as root; as root it runs as the postgres user. setpriv execs, so
# the process started is Postgres itself.
chmod 755 "$work"
mkdir -p "$work/pg"
as_postgres=()
if [ "$(id -u)" -eq 0 ]; then
  as_postgres=(setpriv --reuid=postgres --regid=postgres --init-groups)
  chown postgres:postgres "$work/pg"
fi

say "starting Postgres on $pg_port and Redis on $redis_port"
"${as_postgres[@]}" "$pg_bin/initdb" -D "$work/pg/data" -U postgres --auth=trust -E UTF8 --no-sync >"$logs/initdb.log" 2>&1 \
  || fail "initdb failed; see $logs/initdb.log"
# A checkpoint makes the WAL of the writes after it larger for a while (full page images).
# With the default max_wal_size one starts somewhere in the ingest runs, set off by the WAL
# of both endpoints, so the run that comes second pays for it; room for the WAL of the whole
# run, as a write-heavy production server is given, keeps the comparison even.
start postgres "${as_postgres[@]}" "$pg_bin/postgres" -D "$work/pg/data" -p "$pg_port" -k "$work/pg" \
  -c listen_addresses=127.0.0.1 -c max_connections=300 \
  -c fsync=on -c synchronous_commit=on -c full_page_writes=on \
  -c max_wal_size=8GB -c checkpoint_timeout=30min \
  -c shared_preload_libraries=pg_stat_statements -c track_wal_io_timing=on
pg_pid=$(last_pid)
wait_for "Postgres" 30 "$pg_pid" "$pg_bin/pg_isready" -q -h 127.0.0.1 -p "$pg_port"

start redis redis-server --port "$redis_port" --bind 127.0.0.1 --save "" --appendonly no
redis_pid=$(last_pid)
wait_for "Redis" 30 "$redis_pid" redis-cli -p "$redis_port" ping

psql_at() { "$pg_bin/psql" -h 127.0.0.1 -p "$pg_port" -U postgres -d "$1" -XAtq -F ' ' -c "$2"; }
psql_at postgres "CREATE EXTENSION pg_stat_statements" >/dev/null

gateway_postgres="Host=127.0.0.1;Port=$pg_port;Username=postgres;Database=webhooks"
baseline_postgres="Host=127.0.0.1;Port=$pg_port;Username=postgres;Database=baseline"
redis_connection="127.0.0.1:$redis_port,abortConnect=false"
api_url=http://127.0.0.1:$api_port
target_url=http://127.0.0.1:$target_port
baseline_url=http://127.0.0.1:$baseline_port

# webhook-cli with this run's servers; env execs, so the process started is the gateway's own.
gateway=(env -u OTEL_EXPORTER_OTLP_ENDPOINT -u WEBHOOK_ADMIN_TOKEN
  ConnectionStrings__webhooks="$gateway_postgres" ConnectionStrings__redis="$redis_connection"
  Api__PublicUrl="$api_url" WEBHOOK_API_URL="$api_url" ${BENCH_GATEWAY_ENV:-}
  dotnet "$cli_dll")

# --- Target, baseline and api --------------------------------------------------------------

say "starting the fast target, the baseline endpoint and the api"
start target dotnet "$bench_dll" target --urls "$target_url"
target_pid=$(last_pid)
wait_for "the target" 30 "$target_pid" curl -fsS "$target_url/_bench/stats?run=none"

ConnectionStrings__webhooks="$baseline_postgres" dotnet "$cli_dll" migrate >"$logs/baseline-migrate.log" 2>&1 \
  || fail "could not create the baseline's tables; see $logs/baseline-migrate.log"
start baseline dotnet "$bench_dll" baseline --urls "$baseline_url" --postgres "$baseline_postgres" --redis "$redis_connection"
baseline_pid=$(last_pid)
wait_for "the baseline" 30 "$baseline_pid" curl -fsS "$baseline_url/alive"

start api "${gateway[@]}" run api --urls "$api_url"
api_pid=$(last_pid)
# Ready once /health answers 200: Postgres and Redis are both connected. The api connects to
# Redis only when a request first needs it, and a cold api met by the first wrk burst of 64
# requests at once stalls for many seconds (see docs/benchmarks.md), so this is part of starting.
wait_for "the api" 60 "$api_pid" curl -fsS "$api_url/health"

source_url=$("${gateway[@]}" source add --name bench) || fail "could not add the source"
"${gateway[@]}" target add --name bench-target --forward-name bench --url "$target_url/deliver" >"$logs/target-add.log" \
  || fail "could not add the target"
credentials=${source_url#*://}
credentials=${credentials%%@*}
source_id=${source_url##*/}
ingest_url=$api_url/$source_id
basic=$(printf '%s' "$credentials" | base64 -w0)

dotnet "$bench_dll" machine --data-dir "$work" --out "$results/machine.json" \
  --postgres "$("$pg_bin/postgres" --version)" --redis "$(redis-server --version | cut -d' ' -f1-3)" \
  --wrk "$(wrk -v 2>&1 | head -1 | cut -d' ' -f1-2)" \
  --file-system "$(findmnt -n -o FSTYPE,SOURCE --target "$work" | tr -s ' ')"
if [ "$(findmnt -n -o FSTYPE --target "$work")" = tmpfs ]; then
  say "warning: $work is on tmpfs, where fsync costs nothing; set TMPDIR to a folder on a disk"
fi

# --- Measuring -----------------------------------------------------------------------------

clk_tck=$(getconf CLK_TCK)
declare -A before after

# Sets variable $1 to the CPU ticks of process $2, its reaped children included; 0 once gone.
ticks_into() {
  local -n into=$1
  local line
  into=0
  { read -r line <"/proc/$2/stat"; } 2>/dev/null || return 0
  line=${line##*) }
  local -a field
  read -ra field <<<"$line"
  # After "pid (comm) " the fields start at the third: utime, stime, cutime, cstime are 14-17.
  into=$((field[11] + field[12] + field[13] + field[14]))
}

# Sets the associative array $1 to the CPU ticks of each process group, the machine's busy
# ticks and the time. "load" is this script's reaped children: wrk and the generators, which
# run in the foreground.
snapshot() {
  local -n snap=$1
  local ticks total pid
  snap[time]=$EPOCHREALTIME
  ticks_into ticks "$api_pid"; snap[api]=$ticks
  ticks_into ticks "$baseline_pid"; snap[baseline]=$ticks
  ticks_into ticks "$target_pid"; snap[target]=$ticks
  ticks_into ticks "$redis_pid"; snap[redis]=$ticks
  total=0
  for pid in "${worker_pids[@]}"; do ticks_into ticks "$pid"; total=$((total + ticks)); done
  snap[workers]=$total
  ticks_into total "$pg_pid"
  for pid in $(pgrep -P "$pg_pid"); do ticks_into ticks "$pid"; total=$((total + ticks)); done
  snap[postgres]=$total
  ticks_into ticks $$; snap[load]=$ticks
  local -a cpu
  read -ra cpu </proc/stat
  snap[machine]=$((cpu[1] + cpu[2] + cpu[3] + cpu[6] + cpu[7] + cpu[8]))
}

pg_counters() {
  psql_at postgres "SELECT (SELECT sum(xact_commit) FROM pg_stat_database),
    wal_records, wal_sync, wal_bytes, wal_sync_time FROM pg_stat_wal"
}

# Starts counting statements afresh for a phase.
pg_statements_reset() { psql_at postgres "SELECT pg_stat_statements_reset()" >/dev/null; }

# Writes the statements that took Postgres the most time since the reset to statements-NAME.txt.
pg_statements_save() {
  "$pg_bin/psql" -h 127.0.0.1 -p "$pg_port" -U postgres -d postgres -Xq -P pager=off -c "
    SELECT calls, round(total_exec_time) AS total_ms, round(mean_exec_time::numeric, 3) AS mean_ms, rows,
           left(regexp_replace(query, '\s+', ' ', 'g'), 90) AS query
    FROM pg_stat_statements
    ORDER BY total_exec_time DESC
    LIMIT 12" >"$results/statements-$1.txt"
}

# Peak resident memory (VmHWM, kB) of a process; it only grows, so reading it after each
# phase shows which phase raised it.
peak_kb() { awk '/^VmHWM:/ { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0; }

peak_memory_json() {
  printf '{"api": %d, "baseline": %d, "target": %d' \
    "$(peak_kb "$api_pid")" "$(peak_kb "$baseline_pid")" "$(peak_kb "$target_pid")"
  local i
  for i in "${!worker_pids[@]}"; do
    printf ', "worker-%d": %d' $((i + 1)) "$(peak_kb "${worker_pids[i]}")"
  done
  printf '}'
}

# Starts dotnet-counters on each NAME=PID given, into counters-PHASE-NAME.csv, once a second.
counter_pids=()
counters_start() {
  local phase=$1 pair
  shift
  counter_pids=()
  for pair in "$@"; do
    start "counters-$phase-${pair%%=*}" dotnet "$counters_dll" collect -p "${pair#*=}" --format csv \
      -o "$results/counters-$phase-${pair%%=*}.csv" --refresh-interval 1 --counters System.Runtime
    counter_pids+=("$(last_pid)")
  done
}

# Stops them. They write each sample as it comes, so SIGTERM loses nothing; a command started
# in the background by a script ignores SIGINT, so Ctrl-C's signal would not do.
counters_stop() {
  local pid
  for pid in "${counter_pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${counter_pids[@]}"; do
    for _ in $(seq 1 50); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
}

# Writes phase-NAME.json from the snapshots "before" and "after" and the Postgres counters.
write_phase() {
  local name=$1 pg_before=$2 pg_after=$3
  local wall
  wall=$(awk -v a="${before[time]}" -v b="${after[time]}" 'BEGIN { printf "%.2f", b - a }')
  {
    printf '{"name": "%s", "started_unix": %s, "ended_unix": %s, "wall_s": %s, ' \
      "$name" "${before[time]}" "${after[time]}" "$wall"
    awk -v t="$clk_tck" -v w="$wall" -v m=$((after[machine] - before[machine])) \
      'BEGIN { printf "\"machine_busy_pct\": %.1f, ", 100 * m / t / w }'
    printf '"cpu_s": {'
    local group sep=""
    for group in api workers baseline postgres redis target load; do
      awk -v t="$clk_tck" -v d=$((after[$group] - before[$group])) -v g="$group" -v s="$sep" \
        'BEGIN { printf "%s\"%s\": %.2f", s, g, d / t }'
      sep=", "
    done
    read -r c0 r0 s0 b0 t0 <<<"$pg_before"
    read -r c1 r1 s1 b1 t1 <<<"$pg_after"
    printf '}, "pg": {"commits": %d, "wal_records": %d, "wal_syncs": %d, "wal_bytes": %d, ' \
      $((c1 - c0)) $((r1 - r0)) $((s1 - s0)) $((${b1%.*} - ${b0%.*}))
    awk -v a="$t0" -v b="$t1" 'BEGIN { printf "\"wal_sync_ms\": %.1f}, ", b - a }'
    printf '"peak_kb": %s}\n' "$(peak_memory_json)"
  } >"$results/phase-$name.json"
}

# Runs wrk against URL for SECONDS, writing its done() summary to OUT.
run_wrk() {
  local url=$1 seconds=$2 out=$3
  BENCH_BODY=$body BENCH_BASIC=$basic BENCH_RUN=ingest BENCH_WRK_OUT=$out \
    wrk -t"$wrk_threads" -c"$connections" -d"${seconds}s" --timeout 10s -s bench/ingest.lua "$url" \
    >>"$logs/wrk.log" 2>&1 || fail "wrk failed; see $logs/wrk.log"
  [ -s "$out" ] || fail "wrk wrote no results; see $logs/wrk.log"
}

# Ingest, closed loop: warm-up, then the measured run between two snapshots.
measure_ingest() {
  local name=$1 url=$2 process=$3 pg_before pg_after
  say "ingest, $name: ${warmup_seconds}s warm-up, then ${ingest_seconds}s at $connections connections"
  # dotnet-counters takes a few seconds to attach; started now, it samples the whole
  # measured run, and the report keeps only the samples within it.
  counters_start "$name" "$process"
  run_wrk "$url" "$warmup_seconds" "$results/$name-warmup.json"
  pg_statements_reset
  pg_before=$(pg_counters)
  snapshot before
  run_wrk "$url" "$ingest_seconds" "$results/$name.json"
  snapshot after
  counters_stop
  # Backends publish their counters within a second of going idle.
  sleep 1.5
  pg_after=$(pg_counters)
  write_phase "$name" "$pg_before" "$pg_after"
  pg_statements_save "$name"
}

worker_pids=()
measure_ingest ingest-baseline "$baseline_url/$source_id" "baseline=$baseline_pid"
measure_ingest ingest-api "$ingest_url" "api=$api_pid"

printf '{"api": %d, "baseline": %d}\n' \
  "$(psql_at webhooks 'SELECT count(*) FROM messages')" "$(psql_at baseline 'SELECT count(*) FROM messages')" \
  >"$results/stored.json"

# Delivery throughput. The newest jobs of the ingest run are kept as the backlog, and the
# workers' consumer group is made at the end of the stream, so that the workers started now
# do not see the backlog yet. They warm up on live traffic through the api first (a cold
# process spends its first seconds compiling), then the group moves back to the start of the
# stream and they deliver the backlog. The deliveries whose jobs were trimmed stay pending in
# Postgres; their due time moves a day on, so that the overdue sweep (which would queue them
# again after 7 minutes) leaves them be. Only theirs: a worker drops a job whose delivery is
# not due yet.
redis-cli -p "$redis_port" XTRIM "$stream_key" MAXLEN "$deliveries" >/dev/null
queued=$(redis-cli -p "$redis_port" XLEN "$stream_key")
((queued > 0)) || fail "the ingest run queued no jobs"
redis-cli -p "$redis_port" --raw XRANGE "$stream_key" - + |
  awk -v field="$delivery_field" 'previous == field { print } { previous = $0 }' >"$work/queued-deliveries"
"$pg_bin/psql" -h 127.0.0.1 -p "$pg_port" -U postgres -d webhooks -Xq \
  -c "CREATE TEMPORARY TABLE queued (id uuid PRIMARY KEY)" \
  -c "\\copy queued FROM '$work/queued-deliveries'" \
  -c "UPDATE deliveries SET next_run_at = now() + interval '1 day'
      WHERE state = 'pending' AND id NOT IN (SELECT id FROM queued)" >/dev/null
redis-cli -p "$redis_port" XGROUP CREATE "$stream_key" "$worker_group" '$' >/dev/null

worker_reading() { grep -q "reading the delivery stream" "$logs/$1.log"; }
no_pending_jobs() { [ "$(redis-cli -p "$redis_port" XPENDING "$stream_key" "$worker_group" | head -1)" = 0 ]; }

warmup_rate=$((2 * e2e_rate))
say "delivery: $workers workers warm up at ${warmup_rate}/s for ${worker_warmup_seconds}s, then deliver $queued queued jobs"
for i in $(seq 1 "$workers"); do
  start "worker-$i" "${gateway[@]}" run worker
  worker_pids+=("$(last_pid)")
  wait_for "worker $i" 60 "$(last_pid)" worker_reading "worker-$i"
done
counters_start delivery "worker-1=${worker_pids[0]}"
dotnet "$bench_dll" open-loop --url "$ingest_url" --credentials "$credentials" --body "$body" \
  --target "$target_url" --rate "$warmup_rate" --seconds "$worker_warmup_seconds" --warmup-seconds 0 --run delivery-warmup \
  --drain-timeout "$drain_timeout" --out "$logs/delivery-warmup.json" >"$logs/delivery-warmup.log"
wait_for "the warm-up's jobs to be acknowledged" 30 "$api_pid" no_pending_jobs

# The drain counts from the first arrival, so it starts, and pays for its own start, before
# the backlog is released.
dotnet "$bench_dll" drain --target "$target_url" --run ingest --count "$queued" --timeout "$drain_timeout" \
  --out "$results/delivery.json" &
drain_pid=$!
sleep 2
pg_statements_reset
pg_before=$(pg_counters)
snapshot before
redis-cli -p "$redis_port" XGROUP SETID "$stream_key" "$worker_group" 0 >/dev/null
redis-cli -p "$redis_port" PUBLISH "$wake_channel" "$queued" >/dev/null
wait "$drain_pid" || fail "the drain of the backlog failed"
snapshot after
counters_stop
sleep 1.5
write_phase delivery "$pg_before" "$(pg_counters)"
pg_statements_save delivery
for pid in "${worker_pids[@]}"; do
  kill -0 "$pid" 2>/dev/null || fail "a worker exited during the delivery run"
done

say "end to end: ${e2e_rate}/s for ${e2e_seconds}s after ${e2e_warmup_seconds}s of warm-up, open loop"
counters_start e2e "api=$api_pid" "worker-1=${worker_pids[0]}"
pg_statements_reset
pg_before=$(pg_counters)
snapshot before
dotnet "$bench_dll" open-loop --url "$ingest_url" --credentials "$credentials" --body "$body" \
  --target "$target_url" --rate "$e2e_rate" --seconds "$e2e_seconds" --warmup-seconds "$e2e_warmup_seconds" \
  --drain-timeout "$drain_timeout" --out "$results/e2e.json"
snapshot after
counters_stop
sleep 1.5
write_phase e2e "$pg_before" "$(pg_counters)"
pg_statements_save e2e

# --- Memory, settings and the report -------------------------------------------------------

peak_memory_json >"$results/memory.json"

command_line="bench/run.sh"
for setting in BENCH_SECONDS BENCH_WARMUP_SECONDS BENCH_CONNECTIONS BENCH_WRK_THREADS BENCH_E2E_RATE \
  BENCH_E2E_SECONDS BENCH_E2E_WARMUP_SECONDS BENCH_DELIVERIES BENCH_WORKERS BENCH_WORKER_WARMUP_SECONDS \
  BENCH_DRAIN_TIMEOUT; do
  if [ -n "${!setting:-}" ]; then command_line="$setting=${!setting} $command_line"; fi
done
printf '{"connections": %d, "wrk_threads": %d, "ingest_seconds": %d, "warmup_seconds": %d, ' \
  "$connections" "$wrk_threads" "$ingest_seconds" "$warmup_seconds" >"$results/settings.json"
printf '"e2e_rate": %d, "e2e_seconds": %d, "deliveries": %d, "workers": %d, "worker_warmup_seconds": %d, ' \
  "$e2e_rate" "$e2e_seconds" "$queued" "$workers" "$worker_warmup_seconds" >>"$results/settings.json"
printf '"body_bytes": %d, "command": "%s"}\n' "$(wc -c <"$body")" "$command_line" >>"$results/settings.json"

dotnet "$bench_dll" report --results "$results" --out "$results/report.md"
cp "$results/report.md" bench/results/latest.md
say "results in $results/report.md (and bench/results/latest.md)"
