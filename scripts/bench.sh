#!/usr/bin/env bash
# Benchmarks: figures, never assertions.
#   scripts/bench.sh append [--scale S]
#   scripts/bench.sh replay [--events N]     (the history is kept in build-release/replay-N)
#   scripts/bench.sh http [--duration S]     (wrk against the server on loopback)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/deps.sh
ledger_install_deps
ledger_build build-release -DCMAKE_BUILD_TYPE=Release -DLEDGER_BUILD_TESTS=OFF -DLEDGER_BUILD_BENCH=ON
part="${1:-append}"
shift || true
case "$part" in
  append) ./build-release/bench/bench_append "$@" ;;
  replay)
    events=1000000
    if [[ "${1:-}" == "--events" ]]; then events="$2"; fi
    dir="build-release/replay-$events"
    ./build-release/bench/bench_replay build --dir "$dir" --events "$events"
    ./build-release/bench/bench_replay measure --dir "$dir"
    ;;
  http)
    duration=20
    if [[ "${1:-}" == "--duration" ]]; then duration="$2"; fi
    command -v wrk >/dev/null || ledger_install_deps wrk
    work=$(mktemp -d)
    trap 'kill -TERM "${server:-0}" 2>/dev/null || true; rm -rf "$work"' EXIT
    programmes=10 mentees=100
    token=$(./build-release/bench/bench_http_setup --data "$work/data" --programmes $programmes --mentees $mentees)
    ./build-release/app/ledger serve --data "$work/data" --listen 127.0.0.1:0 --log-level warn >"$work/out" 2>"$work/err" &
    server=$!
    for _ in $(seq 100); do grep -q "127.0.0.1:" "$work/out" 2>/dev/null && break; sleep 0.1; done
    port=$(grep -o '127.0.0.1:[0-9]*' "$work/out" | head -1 | cut -d: -f2)
    export PROGRAMMES=$programmes MENTEES=$mentees TOKEN=$token
    echo "commands: 64 connections logging sessions for ${duration}s (durable, fsync per group)"
    wrk -t2 -c64 -d"${duration}s" --latency -s bench/wrk/sessions.lua "http://127.0.0.1:$port" | tee "$work/w1"
    echo "reads: 64 connections, pair status and budget caps, for ${duration}s"
    wrk -t2 -c64 -d"${duration}s" --latency -s bench/wrk/reads.lua "http://127.0.0.1:$port" | tee "$work/w2"
    kill -TERM "$server"; wait "$server" || true
    rps() { awk '/Requests\/sec/ {printf "%.0f", $2}' "$1"; }
    p99() { awk '$1 == "99%" { v = $2; if (v ~ /us$/) { sub(/us/, "", v); v = v / 1000 } else if (v ~ /ms$/) { sub(/ms/, "", v) } else if (v ~ /s$/) { sub(/s/, "", v); v = v * 1000 } printf "%.2f", v }' "$1"; }
    echo "{\"http_commands_per_s\": $(rps "$work/w1"), \"http_command_p99_ms\": $(p99 "$work/w1"), \"http_reads_per_s\": $(rps "$work/w2"), \"http_read_p99_ms\": $(p99 "$work/w2")}"
    ;;
  *) echo "unknown part: $part (known: append, replay, http)" >&2; exit 2 ;;
esac
