#!/usr/bin/env bash
# Installs what is missing, builds into build/, and runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/deps.sh
ledger_install_deps chromium   # the dashboard's browser tests
ledger_install_node
ledger_build build
ctest --test-dir build --output-on-failure -j 2 --timeout 600
