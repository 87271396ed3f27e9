#!/usr/bin/env bash
# Installs what is missing, builds, loads the demonstration programme into
# the store under ./data (the first time only), and serves the ledger on
# 127.0.0.1:8080. Ctrl-C stops it cleanly.
#   LEDGER_DATA=dir   another data directory
#   LEDGER_LISTEN=host:port
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/deps.sh
ledger_install_deps
ledger_install_node
ledger_build build -DLEDGER_BUILD_TESTS=OFF -DLEDGER_BUILD_BENCH=OFF
DATA="${LEDGER_DATA:-./data}"
LISTEN="${LEDGER_LISTEN:-127.0.0.1:8080}"
./build/app/ledger demo --data "$DATA" > /dev/null
echo
echo "Programme Ledger: http://$LISTEN/"
if [[ -f "$DATA/demo-tokens.txt" ]]; then
  echo "Demo tokens (role, token), to sign in or to send as 'Authorization: Bearer <token>':"
  sed 's/^/  /' "$DATA/demo-tokens.txt"
else
  echo "Tokens: see $DATA/tokens.json; make one with ./build/app/ledger token add --data $DATA --name NAME --role ROLE"
fi
echo "Try: curl -H \"Authorization: Bearer <token>\" http://$LISTEN/v1/programmes"
echo "The verifier key of the signed checkpoints (paste it into the dashboard's audit page):"
echo "  $(./build/app/ledger key show --data "$DATA" 2>/dev/null)"
echo
exec ./build/app/ledger serve --data "$DATA" --listen "$LISTEN"
