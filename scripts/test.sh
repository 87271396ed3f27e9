#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test:
#   scripts/test.sh         everything, as CI runs it (.ci/run):
#     1. the suite built as shipped (build/), after the tree's hygiene
#        (scripts/lint.sh: clang-format, and clang-tidy over the units that
#        changed since they were last found clean);
#     2. the same suite built with AddressSanitizer and UndefinedBehaviorSanitizer
#        (build-asan/);
#     3. the concurrency tests (label "concurrency": writer, projector, the
#        store's pipelined scan, HTTP) built with ThreadSanitizer (build-tsan/,
#        suppressions in tests/tsan.supp);
#     4. the fuzz targets built with libFuzzer (build-fuzz/): each replays its
#        corpus and the inputs of past crashes, then fuzzes for
#        LEDGER_FUZZ_SECONDS (default 30) seconds; the long runs are
#        scripts/fuzz.sh's (docs/TESTING.md says when).
#   scripts/test.sh quick   the inner loop: builds and runs the suite as shipped
#                           (no lint, no sanitizers, no fuzzing)
# It ends with a table of its stages and their minutes, and the compiler
# cache's hits and misses over the run.
#   LEDGER_SKIP_SANITIZERS=1   no sanitizer builds
#   LEDGER_SANITIZERS="address thread"   which sanitizer runs (default: both)
#   LEDGER_SKIP_FUZZ=1         no fuzzing
#   LEDGER_SANITIZER_HISTORIES=N   random histories of test_projections under
#                                  the sanitizers (default 250; the suite as
#                                  shipped runs 1,000): the sanitizers look for
#                                  memory errors and races, which the first
#                                  hundreds of histories reach as well as the
#                                  thousandth, at 3 to 10 times the time each
set -euo pipefail
cd "$(dirname "$0")/.."
tier="${1:-all}"
case "$tier" in
  all | quick) ;;
  *) echo "usage: scripts/test.sh [quick]" >&2; exit 2 ;;
esac
source scripts/deps.sh
source scripts/stages.sh
trap stages_report EXIT

stage "install"
# Browser tests; the workbook read back; the Go checks of the audit proofs;
# clang for the clang-tidy cache's key and libFuzzer; the benchmarks' smoke runs.
extra=(chromium python3-openpyxl golang-go golang-golang-x-mod-dev clang wrk postgresql)
ledger_install_deps "${extra[@]}"
ledger_install_node
tests/api/install.sh npm   # the OpenAPI lint and contract test (ctest -L api)
ledger_cache_begin
# The tests mostly wait (on fsync, on servers they start, on a browser): CTest
# runs twice as many at once as there are cores.
jobs=$(($(nproc) * 2))

stage "build"
ledger_build build

if [[ "$tier" == all ]]; then
  stage "lint"
  bash scripts/lint.sh build
fi

stage "suite"
ctest --test-dir build --output-on-failure -j "$jobs" --timeout 600

if [[ "$tier" == quick ]]; then exit 0; fi

sanitizers="${LEDGER_SANITIZERS:-address thread}"
export LEDGER_HISTORIES="${LEDGER_SANITIZER_HISTORIES:-250}"   # read by test_projections; the suite above ran 1,000
# The sanitizer builds at -O1 with line tables only (-g1), as the sanitizers'
# own documentation suggests: their reports keep file and line, and each build
# takes about 40% less time than at -O2 -g (a heavy file: 88 s against 52 s).
sanitizer_flags=(-DCMAKE_BUILD_TYPE=RelWithDebInfo "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -g1 -DNDEBUG")
if [[ "${LEDGER_SKIP_SANITIZERS:-0}" == "1" ]]; then sanitizers=""; fi
for sanitizer in $sanitizers; do
  case "$sanitizer" in
    address)
      stage "asan build"
      ledger_build build-asan "${sanitizer_flags[@]}" -DLEDGER_SANITIZE=address -DLEDGER_BUILD_BENCH=ON
      stage "asan suite"
      ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
        LSAN_OPTIONS="suppressions=$PWD/tests/lsan.supp" \
        ctest --test-dir build-asan --output-on-failure -j "$jobs" --timeout 1200
      ;;
    thread)
      stage "tsan build"
      cmake -S . -B build-tsan "${sanitizer_flags[@]}" -DLEDGER_SANITIZE=thread -DLEDGER_BUILD_BENCH=OFF >/dev/null
      cmake --build build-tsan -j "$(nproc)" --target test_writer test_projections test_store test_e2e test_hardening test_evidence_e2e test_http_limits test_slow_reads ledger_cli
      stage "tsan suite"
      # A race stops the process that saw it (a test, or the server it started),
      # which fails the test.
      TSAN_OPTIONS="suppressions=$PWD/tests/tsan.supp halt_on_error=1 second_deadlock_stack=1" \
        ctest --test-dir build-tsan -L concurrency --output-on-failure -j "$jobs" --timeout 1800
      ;;
    *) echo "LEDGER_SANITIZERS: '$sanitizer' is neither address nor thread" >&2; exit 2 ;;
  esac
done
if [[ "${LEDGER_SKIP_FUZZ:-0}" != "1" ]]; then
  stage "fuzz"
  bash scripts/fuzz.sh "${LEDGER_FUZZ_SECONDS:-30}"
fi
