#!/usr/bin/env bash
# Installs the Debian packages the build needs, when any is missing.
# Sourced by scripts/test.sh, scripts/run.sh and scripts/bench.sh.
set -euo pipefail

LEDGER_PACKAGES=(
  build-essential cmake pkg-config ccache
  librocksdb-dev libflatbuffers-dev flatbuffers-compiler
  libboost-dev libspdlog-dev libfmt-dev doctest-dev
  libssl-dev nlohmann-json3-dev libcli11-dev libxlsxwriter-dev
  clang-format clang-tidy
)

ledger_install_deps() {
  local missing=()
  for p in "${LEDGER_PACKAGES[@]}" "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if ((${#missing[@]})); then
    echo "installing: ${missing[*]}"
    local sudo=""
    if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
}

# Node.js and npm build the dashboard; Debian's when the machine has none.
ledger_install_node() {
  if ! command -v node >/dev/null || ! command -v npm >/dev/null; then ledger_install_deps nodejs npm; fi
}

# Configures and builds into $1 (default build/) with the extra cmake flags given.
ledger_build() {
  local dir="${1:-build}"
  shift || true
  cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
  cmake --build "$dir" -j "$(nproc)"
}
