#!/usr/bin/env bash
# Benchmarks: figures, never assertions.
#   scripts/bench.sh append [--scale S]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/deps.sh
ledger_install_deps
ledger_build build-release -DCMAKE_BUILD_TYPE=Release -DLEDGER_BUILD_TESTS=OFF -DLEDGER_BUILD_BENCH=ON
part="${1:-append}"
shift || true
case "$part" in
  append) ./build-release/bench/bench_append "$@" ;;
  *) echo "unknown part: $part (known: append)" >&2; exit 2 ;;
esac
