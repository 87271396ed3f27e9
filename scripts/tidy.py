#!/usr/bin/env python3
"""clang-tidy over the translation units of a build, skipping those already found clean.

    scripts/tidy.py BUILD REGEX [--extra-arg=ARG ...]

Runs .clang-tidy's checks over every file of BUILD/compile_commands.json whose
path matches REGEX, one clang-tidy per file, as many at once as there are
cores. A clean result is remembered under the user's cache directory
($XDG_CACHE_HOME or ~/.cache, then programme-ledger/clang-tidy/), keyed by what
decides it:
  - the file as clang sees it once preprocessed (so every header it includes,
    and a change in any of them re-runs every file that includes it),
  - its compile flags, the extra arguments, .clang-tidy, and the version of
    clang-tidy,
with the clone's root written as a placeholder, so that a clean result found
in one clone of the tree holds in another. A file with a remembered clean
result is not run again; a file with findings is never remembered.
Prints each file's findings and exits 1 if any file had one.
  LEDGER_TIDY_CACHE=0   run every file, remember nothing
"""
import concurrent.futures
import hashlib
import json
import os
import re
import shlex
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PLACEHOLDER = "@ROOT@"


def cache_dir():
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "programme-ledger", "clang-tidy")


def compile_args(entry):
    """The compiler's arguments of one entry, without the compiler, the output and -c."""
    args = entry.get("arguments") or shlex.split(entry["command"])
    out, skip = [], False
    for a in args[1:]:
        if skip:
            skip = False
            continue
        if a in ("-o", "-MF", "-MT", "-MQ"):
            skip = True
            continue
        if a in ("-c", "-MD", "-MMD") or a == entry["file"]:
            continue
        out.append(a)
    return out


def key_of(entry, common):
    """The cache key of one file: the hash of its preprocessed text and everything else that decides the result."""
    args = compile_args(entry)
    extra = [a.split("=", 1)[1] for a in common["extra_args"]]
    cmd = ["clang++", *args, *extra, "-E", entry["file"]]
    pre = subprocess.run(cmd, cwd=entry["directory"], capture_output=True)
    if pre.returncode != 0:
        return None  # clang-tidy will say what is wrong
    h = hashlib.sha256()
    for part in (common["version"], common["config"], " ".join(common["extra_args"]), " ".join(args),
                 os.path.relpath(entry["file"], ROOT)):
        h.update(part.replace(ROOT, PLACEHOLDER).encode() + b"\0")
    h.update(pre.stdout.replace(ROOT.encode(), PLACEHOLDER.encode()))
    return h.hexdigest()


def check(entry, build, common, use_cache):
    """Runs one file; returns (file, 'cached' | 'clean' | 'found', output)."""
    key = key_of(entry, common) if use_cache else None
    mark = os.path.join(cache_dir(), key[:2], key) if key else None
    if mark and os.path.exists(mark):
        return entry["file"], "cached", ""
    run = subprocess.run(["clang-tidy", "-p", build, "--quiet", *common["extra_args"], entry["file"]],
                         capture_output=True, text=True)
    text = run.stdout + run.stderr
    found = run.returncode != 0 or re.search(r"(warning|error):", run.stdout)
    if found:
        return entry["file"], "found", text
    if mark:
        os.makedirs(os.path.dirname(mark), exist_ok=True)
        with open(mark + ".tmp", "w") as f:
            f.write(os.path.relpath(entry["file"], ROOT) + "\n")
        os.replace(mark + ".tmp", mark)
    return entry["file"], "clean", ""


def main():
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    build, pattern = sys.argv[1], re.compile(sys.argv[2])
    extra_args = [a for a in sys.argv[3:] if a.startswith("--extra-arg=")]
    with open(os.path.join(build, "compile_commands.json")) as f:
        entries = [e for e in json.load(f) if pattern.search(e["file"])]
    with open(os.path.join(ROOT, ".clang-tidy")) as f:
        config = f.read()
    version = subprocess.run(["clang-tidy", "--version"], capture_output=True, text=True).stdout
    common = {"version": version, "config": config, "extra_args": extra_args}
    use_cache = os.environ.get("LEDGER_TIDY_CACHE", "1") != "0"
    counts = {"cached": 0, "clean": 0, "found": 0}
    with concurrent.futures.ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        jobs = [pool.submit(check, e, build, common, use_cache) for e in entries]
        for job in concurrent.futures.as_completed(jobs):
            file, result, text = job.result()
            counts[result] += 1
            if result == "found":
                print(f"== {os.path.relpath(file, ROOT)}\n{text}", flush=True)
    print(f"clang-tidy: {len(entries)} files: {counts['cached']} clean before (cached), "
          f"{counts['clean']} checked clean, {counts['found']} with findings")
    return 1 if counts["found"] else 0


if __name__ == "__main__":
    sys.exit(main())
