#!/usr/bin/env bash
# The tree's hygiene, as scripts/test.sh checks it:
#   1. every C++ file is formatted by .clang-format (clang-format --dry-run -Werror);
#   2. .clang-tidy's checks run clean over every translation unit of BUILD
#      (default build/; it must have been configured: compile_commands.json);
#      a unit found clean before is skipped while nothing that decides its
#      result has changed (scripts/tidy.py keeps those results).
#   scripts/lint.sh [BUILD]          check
#   scripts/lint.sh --fix-format     format the tree in place
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/deps.sh
ledger_install_deps clang   # clang++ preprocesses each unit for the clang-tidy cache's key

cxx_files() { git ls-files '*.cc' '*.h' '*.cc.in'; }

if [[ "${1:-}" == "--fix-format" ]]; then
  cxx_files | grep -v '\.cc\.in$' | xargs clang-format -i
  exit 0
fi
build="${1:-build}"

echo "== clang-format: $(cxx_files | grep -vc '\.cc\.in$') files"
cxx_files | grep -v '\.cc\.in$' | xargs clang-format --dry-run -Werror

echo "== clang-tidy over $build/compile_commands.json"
[[ -f "$build/compile_commands.json" ]] || { echo "no $build/compile_commands.json: build first" >&2; exit 2; }
# Boost 1.74's Asio hides awaitable from clang 14 unless told that coroutines
# are there. Generated files and the fuzz targets (clang-only flags) are left
# out. A file found clean before, with the same preprocessed text, flags,
# .clang-tidy and clang-tidy, is not run again (scripts/tidy.py).
python3 scripts/tidy.py "$build" "^$PWD/(base|log|domain|writer|read|render|audit|http|app|tests|bench)/" \
  --extra-arg=-Wno-unknown-warning-option \
  --extra-arg=-DBOOST_ASIO_HAS_CO_AWAIT=1 --extra-arg=-DBOOST_ASIO_HAS_STD_COROUTINE=1 > "$build/clang-tidy.log" 2>&1 || {
  cat "$build/clang-tidy.log" >&2
  echo "clang-tidy found the above (log: $build/clang-tidy.log)" >&2
  exit 1
}
tail -1 "$build/clang-tidy.log"
