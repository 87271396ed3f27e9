#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test: first the suite built
# as shipped (build/), then the same suite built with AddressSanitizer and
# UndefinedBehaviorSanitizer (build-asan/).
# Under CI (CI set), each fuzz target also runs for a minute (scripts/fuzz.sh).
#   LEDGER_SKIP_SANITIZERS=1   the first part only (quicker, by hand)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/deps.sh
ledger_install_deps chromium wrk postgresql   # browser tests; smoke runs of the benchmarks
ledger_install_node
ledger_build build
ctest --test-dir build --output-on-failure -j 2 --timeout 600
if [[ "${LEDGER_SKIP_SANITIZERS:-0}" != "1" ]]; then
  echo "== the suite again, under AddressSanitizer and UndefinedBehaviorSanitizer"
  ledger_build build-asan -DLEDGER_SANITIZE=ON -DLEDGER_BUILD_BENCH=ON
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
    ctest --test-dir build-asan --output-on-failure -j 2 --timeout 1200
fi
if [[ -n "${CI:-}" && "${LEDGER_SKIP_FUZZ:-0}" != "1" ]]; then
  echo "== a minute of fuzzing for each target"
  bash scripts/fuzz.sh "${LEDGER_FUZZ_SECONDS:-60}"
fi
