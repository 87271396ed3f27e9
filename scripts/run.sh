#!/usr/bin/env bash
# Installs what is missing, builds, and loads the demonstration programme
# into the store under ./data (once), then prints the head and verifies it.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/deps.sh
ledger_install_deps
ledger_build build -DLEDGER_BUILD_TESTS=OFF -DLEDGER_BUILD_BENCH=OFF
DATA="${LEDGER_DATA:-./data}"
./build/app/ledger demo --data "$DATA"
./build/app/ledger verify --data "$DATA"
