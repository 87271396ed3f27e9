#!/bin/sh
# Installs the npm packages of the API checks (from package-lock.json) once:
# @redocly/cli for the lint, ajv and ajv-formats for the contract test.
#   install.sh NPM
# @redocly/cli is held at 1.34.20: the 1.x line runs on Node 18.17 and later
# (2.x needs a newer Node), and 1.34.21 names a package version the registry
# does not have.
set -e
cd "$(dirname "$0")"
[ -d node_modules/@redocly/cli ] && [ -d node_modules/ajv ] && [ -d node_modules/ajv-formats ] ||
  "$1" ci --no-audit --no-fund --loglevel=error
