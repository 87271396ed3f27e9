#!/usr/bin/env bash
# Installs what is missing, builds, and opens the store under ./data.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/deps.sh
ledger_install_deps
ledger_build build -DLEDGER_BUILD_TESTS=OFF -DLEDGER_BUILD_BENCH=OFF
DATA="${LEDGER_DATA:-./data}"
mkdir -p "$DATA"
./build/app/ledger head --data "$DATA/store"
