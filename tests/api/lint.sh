#!/bin/sh
# Lints an OpenAPI document with Redocly's rules (redocly.yaml beside this
# file), without sending anything anywhere: no telemetry, no update check.
#   lint.sh DOC        exit status: 0 when the lint passes
# Run install.sh first (scripts/test.sh does).
set -e
here="$(cd "$(dirname "$0")" && pwd)"
if [ "$#" -ne 1 ]; then
  echo "usage: $0 openapi.json" >&2
  exit 2
fi
doc="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
if [ ! -x "$here/node_modules/.bin/redocly" ]; then
  echo "$here/node_modules is missing: run $here/install.sh npm" >&2
  exit 2
fi
export REDOCLY_TELEMETRY=off
export REDOCLY_SUPPRESS_UPDATE_NOTICE=true
cd "$here"
exec ./node_modules/.bin/redocly lint --config "$here/redocly.yaml" "$doc"
