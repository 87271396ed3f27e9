#!/usr/bin/env bash
# libFuzzer runs of the three fuzz targets (built with clang, AddressSanitizer
# and UndefinedBehaviorSanitizer into build-fuzz/):
#   scripts/fuzz.sh [SECONDS_EACH] [TARGET...]     default 60 s each, every target
# Targets: json_command (request bodies to commands), envelope (stored bytes
# to events, CloudEvents and CSV), http_request (raw HTTP through the service).
# A crash leaves its input in build-fuzz/crashes/TARGET/; copy it into
# fuzz/regressions/TARGET/ and the ordinary test suite replays it for good.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/deps.sh
ledger_install_deps clang
secs="${1:-60}"
shift || true
targets=("$@")
((${#targets[@]})) || targets=(json_command envelope http_request)
CC=clang CXX=clang++ cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLEDGER_FUZZ=ON \
  -DLEDGER_BUILD_TESTS=OFF -DLEDGER_BUILD_BENCH=OFF -DLEDGER_WERROR=OFF >/dev/null
cmake --build build-fuzz -j "$(nproc)" --target "${targets[@]/#/fuzz_}"
for t in "${targets[@]}"; do
  echo "== fuzz_$t for ${secs}s"
  rm -rf "build-fuzz/crashes/$t"
  mkdir -p "build-fuzz/corpus/$t" "build-fuzz/crashes/$t"
  ASAN_OPTIONS=detect_leaks=1 ./build-fuzz/fuzz/"fuzz_$t" -max_total_time="$secs" -print_final_stats=1 \
    -artifact_prefix="build-fuzz/crashes/$t/" "build-fuzz/corpus/$t" "fuzz/corpus/$t" 2>&1 |
    grep -E "^#[0-9]+ *(DONE|INITED)|stat::number_of_executed_units|ERROR|SUMMARY|artifact" || true
  if ls "build-fuzz/crashes/$t"/* >/dev/null 2>&1; then
    echo "fuzz_$t found a crash: build-fuzz/crashes/$t/" >&2
    exit 1
  fi
done
