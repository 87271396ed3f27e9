#!/usr/bin/env bash
# Where the time of a script went: sourced by scripts/test.sh.
#   stage NAME          ends the stage before and starts NAME
#   ledger_cache_begin  remembers the compiler cache's counts (ccache)
#   stages_report       (on EXIT) ends the last stage and prints a table of
#                       the stages and their minutes, the total, and the
#                       compiler cache's hits and misses since ledger_cache_begin

LEDGER_STAGE_NAMES=()
LEDGER_STAGE_SECONDS=()
_ledger_stage=""
_ledger_stage_start=0
_ledger_run_start=$(date +%s)
_ledger_cache_before=""

_ledger_stage_end() {
  if [[ -n "$_ledger_stage" ]]; then
    LEDGER_STAGE_NAMES+=("$_ledger_stage")
    LEDGER_STAGE_SECONDS+=($(($(date +%s) - _ledger_stage_start)))
    _ledger_stage=""
  fi
}

stage() {
  _ledger_stage_end
  _ledger_stage="$1"
  _ledger_stage_start=$(date +%s)
  echo "== $1"
}

# Hits (direct and preprocessed) and misses of the compiler cache so far.
_ledger_cache_counts() {
  command -v ccache >/dev/null || return 0
  ccache --print-stats 2>/dev/null |
    awk '$1 == "direct_cache_hit" || $1 == "preprocessed_cache_hit" { h += $2 } $1 == "cache_miss" { m += $2 }
         END { print h + 0, m + 0 }'
}

ledger_cache_begin() { _ledger_cache_before=$(_ledger_cache_counts); }

stages_report() {
  local status=$?
  local failed=""
  if ((status != 0)) && [[ -n "$_ledger_stage" ]]; then failed="$_ledger_stage"; fi
  _ledger_stage_end
  echo
  echo "| stage | minutes |"
  echo "|---|---:|"
  local i
  for i in "${!LEDGER_STAGE_NAMES[@]}"; do
    local name="${LEDGER_STAGE_NAMES[$i]}"
    [[ "$name" == "$failed" ]] && name+=" (failed)"
    awk -v n="$name" -v s="${LEDGER_STAGE_SECONDS[$i]}" 'BEGIN { printf "| %s | %.1f |\n", n, s / 60 }'
  done
  awk -v s="$(($(date +%s) - _ledger_run_start))" 'BEGIN { printf "| total | %.1f |\n", s / 60 }'
  if [[ -n "$_ledger_cache_before" ]]; then
    local after
    after=$(_ledger_cache_counts)
    # shellcheck disable=SC2086
    set -- $_ledger_cache_before $after
    awk -v h=$(($3 - $1)) -v m=$(($4 - $2)) 'BEGIN {
      printf "compiler cache (ccache) over this run: %d hits, %d misses", h, m
      if (h + m > 0) printf " (%.1f%% hits)", 100 * h / (h + m)
      printf "\n" }'
  fi
  return $status
}
