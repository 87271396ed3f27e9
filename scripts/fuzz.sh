#!/usr/bin/env bash
# libFuzzer runs of the three fuzz targets (built with clang, AddressSanitizer
# and UndefinedBehaviorSanitizer into build-fuzz/). Each run first replays the
# target's corpus (fuzz/corpus/TARGET, and what earlier runs found in
# build-fuzz/corpus/TARGET) and the inputs of past crashes
# (fuzz/regressions/TARGET), then fuzzes for the time given.
#   scripts/fuzz.sh [SECONDS_EACH] [TARGET...]     default 600 s each, every target
# scripts/test.sh runs it for 30 s each; the long runs are for whoever changes
# a parser (docs/TESTING.md).
# Targets: json_command (request bodies to commands), envelope (stored bytes
# to events, CloudEvents and CSV), http_request (raw HTTP through the service).
# A crash leaves its input in build-fuzz/crashes/TARGET/; copy it into
# fuzz/regressions/TARGET/ and the ordinary test suite replays it for good.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/deps.sh
ledger_install_deps clang
secs="${1:-600}"
shift || true
targets=("$@")
((${#targets[@]})) || targets=(json_command envelope http_request)
# At -O1 with line tables only, as the sanitizer builds of scripts/test.sh.
CC=clang CXX=clang++ cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -g1 -DNDEBUG" -DLEDGER_FUZZ=ON \
  -DLEDGER_BUILD_TESTS=OFF -DLEDGER_BUILD_BENCH=OFF -DLEDGER_WERROR=OFF >/dev/null
cmake --build build-fuzz -j "$(nproc)" --target "${targets[@]/#/fuzz_}"
for t in "${targets[@]}"; do
  echo "== fuzz_$t for ${secs}s"
  rm -rf "build-fuzz/crashes/$t"
  mkdir -p "build-fuzz/corpus/$t" "build-fuzz/crashes/$t"
  status=0
  # The targets keep their ledgers under TMPDIR; the run's own, removed after.
  tmp=$(mktemp -d)
  TMPDIR="$tmp" ASAN_OPTIONS=detect_leaks=1 ./build-fuzz/fuzz/"fuzz_$t" -max_total_time="$secs" -print_final_stats=1 \
    -artifact_prefix="build-fuzz/crashes/$t/" "build-fuzz/corpus/$t" "fuzz/corpus/$t" "fuzz/regressions/$t" \
    >"build-fuzz/fuzz_$t.log" 2>&1 || status=$?
  rm -rf "$tmp"
  grep -E "^#[0-9]+[[:space:]]+(DONE|INITED)|stat::number_of_executed_units|ERROR|SUMMARY|artifact" "build-fuzz/fuzz_$t.log" || true
  if ((status != 0)) || ls "build-fuzz/crashes/$t"/* >/dev/null 2>&1; then
    tail -30 "build-fuzz/fuzz_$t.log" >&2
    echo "fuzz_$t failed (exit status $status; its log: build-fuzz/fuzz_$t.log, its inputs: build-fuzz/crashes/$t/)" >&2
    exit 1
  fi
done
