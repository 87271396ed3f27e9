#!/bin/sh
# Installs the dashboard's npm packages (from package-lock.json) once.
#   install.sh NPM
set -e
cd "$(dirname "$0")"
[ -d node_modules/chart.js ] && [ -d node_modules/esbuild ] || "$1" ci --no-audit --no-fund --loglevel=error
