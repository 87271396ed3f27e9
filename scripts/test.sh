#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test: first the tree's
# hygiene (scripts/lint.sh: clang-format and clang-tidy), the suite built
# as shipped (build/), then the same suite built with AddressSanitizer and
# UndefinedBehaviorSanitizer (build-asan/), then the concurrency tests (label
# "concurrency": writer, projector, the store's pipelined scan, HTTP) built
# with ThreadSanitizer (build-tsan/, suppressions in tests/tsan.supp).
# Under CI (CI set), each fuzz target also runs for a minute (scripts/fuzz.sh).
#   LEDGER_SKIP_SANITIZERS=1   the first part only (quicker, by hand)
#   LEDGER_SANITIZERS="address thread"   which sanitizer runs (default: both)
#   LEDGER_SANITIZER_HISTORIES=N   random histories of test_projections under
#                                  the sanitizers (default 250; the suite as
#                                  shipped runs 1,000): the sanitizers look for
#                                  memory errors and races, which the first
#                                  hundreds of histories reach as well as the
#                                  thousandth, at 3 to 10 times the time each
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/deps.sh
ledger_install_deps chromium wrk postgresql golang-go golang-golang-x-mod-dev python3-openpyxl   # browser tests; smoke runs of the benchmarks; the Go checks of the audit proofs; the workbook read back
ledger_install_node
tests/api/install.sh npm   # the OpenAPI lint and contract test (ctest -L api)
ledger_build build
bash scripts/lint.sh build
ctest --test-dir build --output-on-failure -j 2 --timeout 600
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
      echo "== the suite again, under AddressSanitizer and UndefinedBehaviorSanitizer"
      ledger_build build-asan "${sanitizer_flags[@]}" -DLEDGER_SANITIZE=address -DLEDGER_BUILD_BENCH=ON
      ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
        LSAN_OPTIONS="suppressions=$PWD/tests/lsan.supp" \
        ctest --test-dir build-asan --output-on-failure -j 2 --timeout 1200
      ;;
    thread)
      echo "== the concurrency tests again, under ThreadSanitizer"
      cmake -S . -B build-tsan "${sanitizer_flags[@]}" -DLEDGER_SANITIZE=thread -DLEDGER_BUILD_BENCH=OFF >/dev/null
      cmake --build build-tsan -j "$(nproc)" --target test_writer test_projections test_store test_e2e test_hardening test_evidence_e2e ledger_cli
      # A race stops the process that saw it (a test, or the server it started),
      # which fails the test.
      TSAN_OPTIONS="suppressions=$PWD/tests/tsan.supp halt_on_error=1 second_deadlock_stack=1" \
        ctest --test-dir build-tsan -L concurrency --output-on-failure -j 2 --timeout 1800
      ;;
    *) echo "LEDGER_SANITIZERS: '$sanitizer' is neither address nor thread" >&2; exit 2 ;;
  esac
done
if [[ -n "${CI:-}" && "${LEDGER_SKIP_FUZZ:-0}" != "1" ]]; then
  echo "== a minute of fuzzing for each target"
  bash scripts/fuzz.sh "${LEDGER_FUZZ_SECONDS:-60}"
fi
