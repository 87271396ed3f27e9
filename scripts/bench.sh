#!/usr/bin/env bash
# Benchmarks: figures, never assertions.
#   scripts/bench.sh append [--scale S]
#   scripts/bench.sh replay [--events N]     (the history is kept in build-release/replay-N)
#   scripts/bench.sh http [--duration S]     (wrk against the server on loopback; the 64-connection
#                                            runs last S seconds, those of the table S/2)
#   scripts/bench.sh peer [--duration S]     (PostgreSQL with pgbench, a throw-away server)
#   scripts/bench.sh scale [--10m]           the replay part at 100,000 and 1,000,000 events
#                                            (and 10,000,000), then one table of how it grows
#   scripts/bench.sh                         every part, then one table with the ratios to
#                                            PostgreSQL and one JSON line with every figure
# Each part prints its figures as one JSON line; the tables are made from
# those lines (scripts/bench_report.py), not from the text around them.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/deps.sh
ledger_install_deps
# LEDGER_BENCH_BUILD=dir uses binaries already built there (the test suite's
# smoke runs); by default a Release build in build-release/.
BUILD="${LEDGER_BENCH_BUILD:-build-release}"
if [[ -z "${LEDGER_BENCH_BUILD:-}" ]]; then
  ledger_build build-release -DCMAKE_BUILD_TYPE=Release -DLEDGER_BUILD_TESTS=OFF -DLEDGER_BUILD_BENCH=ON
fi
part="${1:-all}"
shift || true
case "$part" in
  all)
    out=$(mktemp -d)
    for p in append replay http peer; do
      echo "=== $p"
      bash "$0" "$p" | tee "$out/$p"
    done
    echo
    python3 scripts/bench_report.py all "$out"/append "$out"/replay "$out"/http "$out"/peer
    rm -rf "$out"
    ;;
  append) $BUILD/bench/bench_append "$@" ;;
  replay)
    events=1000000
    if [[ "${1:-}" == "--events" ]]; then events="$2"; fi
    dir="$BUILD/replay-$events"
    $BUILD/bench/bench_replay build --dir "$dir" --events "$events"
    $BUILD/bench/bench_replay measure --dir "$dir"
    ;;
  scale)
    sizes="100000 1000000"
    if [[ "${1:-}" == "--10m" ]]; then sizes+=" 10000000"; fi
    out=$(mktemp -d)
    for n in $sizes; do
      echo "=== replay --events $n"
      bash "$0" replay --events "$n" | tee "$out/$n"
    done
    echo
    files=()
    for n in $sizes; do files+=("$n=$out/$n"); done
    python3 scripts/bench_report.py scale "${files[@]}"
    rm -rf "$out"
    ;;
  http)
    duration=20
    if [[ "${1:-}" == "--duration" ]]; then duration="$2"; fi
    command -v wrk >/dev/null || ledger_install_deps wrk
    work=$(mktemp -d)
    trap 'kill -TERM "${server:-0}" 2>/dev/null || true; rm -rf "$work"' EXIT
    programmes=10 mentees=100
    token=$($BUILD/bench/bench_http_setup --data "$work/data" --programmes $programmes --mentees $mentees)
    $BUILD/app/ledger serve --data "$work/data" --listen 127.0.0.1:0 --log-level warn >"$work/out" 2>"$work/err" &
    server=$!
    for _ in $(seq 100); do grep -q "127.0.0.1:" "$work/out" 2>/dev/null && break; sleep 0.1; done
    port=$(grep -o '127.0.0.1:[0-9]*' "$work/out" | head -1 | cut -d: -f2)
    export PROGRAMMES=$programmes MENTEES=$mentees TOKEN=$token
    rps() { awk '/Requests\/sec/ {printf "%.0f", $2}' "$1"; }
    p99() { awk '$1 == "99%" { v = $2; if (v ~ /us$/) { sub(/us/, "", v); v = v / 1000 } else if (v ~ /ms$/) { sub(/ms/, "", v) } else if (v ~ /s$/) { sub(/s/, "", v); v = v * 1000 } printf "%.2f", v }' "$1"; }
    echo "commands: 64 connections logging sessions for ${duration}s (durable, fsync per group)"
    RUN=64 wrk -t2 -c64 -d"${duration}s" --latency -s bench/wrk/sessions.lua "http://127.0.0.1:$port" | tee "$work/w1"
    echo "reads: 64 connections, pair status and budget caps, for ${duration}s"
    wrk -t2 -c64 -d"${duration}s" --latency -s bench/wrk/reads.lua "http://127.0.0.1:$port" | tee "$work/w2"
    # How commands scale with the connections: the same load at 1, 8 and 256
    # (the 64 row is the run above).
    short=$(( duration / 2 > 0 ? duration / 2 : 1 ))
    for c in 1 8 256; do
      RUN=$c wrk -t$(( c < 2 ? 1 : 2 )) -c$c -d"${short}s" --latency -s bench/wrk/sessions.lua "http://127.0.0.1:$port" >"$work/c$c"
    done
    cp "$work/w1" "$work/c64"
    kill -TERM "$server"; wait "$server" || true
    echo
    echo "| connections | commands/s | p99 (ms) |"
    echo "|---|---|---|"
    for c in 1 8 64 256; do echo "| $c | $(rps "$work/c$c") | $(p99 "$work/c$c") |"; done
    echo
    echo "{\"http_commands_per_s\": $(rps "$work/w1"), \"http_command_p99_ms\": $(p99 "$work/w1"), \"http_reads_per_s\": $(rps "$work/w2"), \"http_read_p99_ms\": $(p99 "$work/w2"), \"http_commands_per_s_c1\": $(rps "$work/c1"), \"http_commands_per_s_c8\": $(rps "$work/c8"), \"http_commands_per_s_c256\": $(rps "$work/c256"), \"http_command_p99_ms_c256\": $(p99 "$work/c256")}"
    ;;
  peer)
    duration=20 programmes=1478  # 1478 programmes: 1,000,606 events, as the replay part
    while (($#)); do
      case "$1" in
        --duration) duration="$2"; shift 2 ;;
        --programmes) programmes="$2"; shift 2 ;;
        *) echo "peer: unknown option $1" >&2; exit 2 ;;
      esac
    done
    ledger_install_deps postgresql
    pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
    work=$(mktemp -d)
    chmod 755 "$work"
    run_pg() { if [[ "$(id -u)" == 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi; }
    [[ "$(id -u)" == 0 ]] && chown postgres "$work"
    port=$((40000 + RANDOM % 20000))
    run_pg "$pgbin/initdb" -D "$work/db" -A trust -U bench >/dev/null
    trap 'run_pg "$pgbin/pg_ctl" -D "$work/db" -m fast stop >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
    run_pg "$pgbin/pg_ctl" -D "$work/db" -l "$work/log" -w start -o \
      "-p $port -k $work -c listen_addresses=127.0.0.1 -c max_connections=100 -c fsync=on -c synchronous_commit=on -c shared_buffers=1GB -c max_wal_size=4GB" >/dev/null
    psql=("$pgbin/psql" -h 127.0.0.1 -p "$port" -U bench -d postgres -v ON_ERROR_STOP=1 -q)
    "${psql[@]}" -f bench/peer/schema.sql
    echo "PostgreSQL $("$pgbin/postgres" --version | awk '{print $3}'): fsync on, synchronous_commit on"
    tps() { awk '/^tps = / {printf "%.0f", $3; exit}' "$1"; }
    "$pgbin/pgbench" -h 127.0.0.1 -p "$port" -U bench -n -c 64 -j 2 -T "$duration" -f bench/peer/single.sql postgres >"$work/single" 2>&1
    single=$(tps "$work/single")
    echo "one event per transaction, 64 clients: $single events/s"
    "$pgbin/pgbench" -h 127.0.0.1 -p "$port" -U bench -n -c 4 -j 2 -T "$duration" -f bench/peer/batch.sql postgres >"$work/batch" 2>&1
    batch=$(( $(tps "$work/batch") * 1000 ))
    echo "1,000 events per transaction, 4 clients: $batch events/s"
    echo "loading the history of $programmes programmes..."
    "${psql[@]}" -v programmes="$programmes" -f bench/peer/history.sql
    "${psql[@]}" -c "VACUUM ANALYZE events"
    rows=$("${psql[@]}" -At -c "SELECT count(*) FROM events")
    best=""
    for _ in 1 2 3; do
      ms=$( { "${psql[@]}" -c "\\timing on" -f bench/peer/budget.sql -o /dev/null; } 2>&1 | awk '/^Time:/ {print $2}' | tail -1)
      if [[ -z "$best" ]] || awk "BEGIN{exit !($ms < $best)}"; then best=$ms; fi
    done
    echo "budget totals of every programme over $rows events, with SQL: best of 3 $best ms"
    echo "{\"pg_single_eps\": $single, \"pg_batch_eps\": $batch, \"pg_budget_query_ms\": $best, \"pg_events\": $rows}"
    ;;
  *) echo "unknown part: $part (known: append, replay, scale, http, peer)" >&2; exit 2 ;;
esac
