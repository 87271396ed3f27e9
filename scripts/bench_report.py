#!/usr/bin/env python3
"""The tables of scripts/bench.sh, from the JSON line each benchmark prints.

    scripts/bench_report.py all FILE...          the table beside PostgreSQL, then one JSON line
                                                 with every figure of the files (merged in order)
    scripts/bench_report.py scale N=FILE...      the growth table, one row per history size N

Each FILE is the output of one part of scripts/bench.sh; its figures are the
JSON objects it printed, one per line (a later figure of the same name wins).
A figure a file does not have is shown as "-".
"""
import json
import sys


def figures(path):
    """Every figure of the JSON lines of one benchmark's output."""
    merged = {}
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line.startswith("{"):
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(obj, dict):
                merged.update(obj)
    return merged


def show(figs, key):
    v = figs.get(key)
    if v is None:
        return "-"
    if isinstance(v, float):
        return str(int(v)) if v.is_integer() else f"{v:.3f}".rstrip("0").rstrip(".")
    return str(v)


def ratio(figs, a, b):
    x, y = figs.get(a), figs.get(b)
    return f"{x / y:.2f}" if isinstance(x, (int, float)) and isinstance(y, (int, float)) and y > 0 else "-"


def both(figs, a, b, sep=" / "):
    return f"{show(figs, a)}{sep}{show(figs, b)}"


def report_all(paths):
    figs = {}
    for p in paths:
        figs.update(figures(p))
    rows = [
        ("one-event commands, 64 clients, durable (events/s)", "ledger_concurrent_eps", "pg_single_eps"),
        ("the same over HTTP, 64 connections (commands/s)", "http_commands_per_s", "pg_single_eps"),
        ("1,000 events per command / transaction (events/s)", "ledger_batch_eps", "pg_batch_eps"),
        ("budget totals of every programme, 1M events (ms; lower is better)", "budget_query_ms", "pg_budget_query_ms"),
    ]
    print("| figure | ledger | PostgreSQL | ledger / PostgreSQL |")
    print("|---|---|---|---|")
    for label, ours, theirs in rows:
        print(f"| {label} | {show(figs, ours)} | {show(figs, theirs)} | {ratio(figs, ours, theirs)} |")
    alone = [
        ("full rebuild of every read model (events/s)", show(figs, "replay_eps")),
        ("as-of budget of a programme, 100 random (programme, instant) pairs, half in a 300,000-event programme: "
         "p50 / p99 (ms)", both(figs, "asof_p50_ms", "asof_p99_ms")),
        ("as-of pairs view of a programme, the same pairs: p50 / p99 (ms)",
         both(figs, "asof_pairs_p50_ms", "asof_pairs_p99_ms")),
        ("as-of models of a programme (what its other views start from), the same pairs: p50 / p99 (ms)",
         both(figs, "asof_models_p50_ms", "asof_models_p99_ms")),
        ("as-of by a replay of the whole log to its middle, as before the programme snapshots (ms)",
         show(figs, "asof_full_replay_ms")),
        ("HTTP reads, 64 connections (requests/s)", show(figs, "http_reads_per_s")),
        ("inclusion / consistency proof over 1M events, p99 (ms)",
         both(figs, "inclusion_proof_p99_ms", "consistency_proof_p99_ms")),
    ]
    for label, value in alone:
        print(f"| {label} | {value} | | |")
    print(json.dumps(figs))


def report_scale(pairs):
    print("| events | rebuild (events/s) | peak memory (MB) | as-of budget p50 / p99 (ms) | as-of pairs p50 / p99 (ms) "
          "| as-of models p50 / p99 (ms) | whole-log as-of (ms) | inclusion / consistency proof p99 (ms) |")
    print("|---|---|---|---|---|---|---|---|")
    for pair in pairs:
        _, path = pair.split("=", 1)
        f = figures(path)
        print(f"| {show(f, 'events')} | {show(f, 'replay_eps')} | {show(f, 'replay_peak_rss_mb')} "
              f"| {both(f, 'asof_p50_ms', 'asof_p99_ms')} | {both(f, 'asof_pairs_p50_ms', 'asof_pairs_p99_ms')} "
              f"| {both(f, 'asof_models_p50_ms', 'asof_models_p99_ms')} | {show(f, 'asof_full_replay_ms')} "
              f"| {both(f, 'inclusion_proof_p99_ms', 'consistency_proof_p99_ms')} |")


def main():
    if len(sys.argv) < 3 or sys.argv[1] not in ("all", "scale"):
        print(__doc__, file=sys.stderr)
        return 2
    (report_all if sys.argv[1] == "all" else report_scale)(sys.argv[2:])
    return 0


if __name__ == "__main__":
    sys.exit(main())
