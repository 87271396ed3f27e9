#!/usr/bin/env bash
# Benchmarks: figures, never assertions.
#   scripts/bench.sh append [--scale S]
#   scripts/bench.sh replay [--events N]     (the history is kept in build-release/replay-N)
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
  *) echo "unknown part: $part (known: append, replay)" >&2; exit 2 ;;
esac
