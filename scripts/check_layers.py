#!/usr/bin/env python3
"""The layers of the tree, checked against docs/ARCHITECTURE.md.

docs/ARCHITECTURE.md holds, in a fenced block marked `layers`, one line per
layer folder, lowest first, naming the folders it may use:

    base:
    log: base
    domain: base log

This script reads every C++ file (.h, .cc, .cc.in) of every layer folder and
fails on an include of another layer's file that the line does not allow (an
arrow that runs back up, or across between siblings), on an include of a
project file that does not exist, on a layer folder with no line, and on a
CMake library of one layer linking another layer's library that the line does
not allow. tests/, fuzz/ and bench/ may use every layer.

  scripts/check_layers.py [ROOT]      exit 0 when clean, 1 with the findings
"""
import os
import re
import sys

INCLUDE = re.compile(r'^[ \t]*#[ \t]*include[ \t]+"([^"]+)"', re.M)
LINK = re.compile(r"target_link_libraries\s*\(\s*(\S+)([^)]*)\)", re.S)
FREE = {"tests", "fuzz", "bench"}  # may include any layer
SOURCES = (".h", ".cc", ".cc.in")


def read_layers(root):
    """[(layer, set of layers it may use)], lowest first, from docs/ARCHITECTURE.md."""
    text = open(os.path.join(root, "docs", "ARCHITECTURE.md"), encoding="utf-8").read()
    block = re.search(r"^```layers\n(.*?)^```", text, re.M | re.S)
    if not block:
        raise SystemExit("docs/ARCHITECTURE.md has no ```layers block")
    layers = []
    for line in block.group(1).splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        name, _, uses = line.partition(":")
        layers.append((name.strip(), set(uses.split())))
    known = {name for name, _ in layers}
    for name, uses in layers:
        if not uses <= known:
            raise SystemExit(f"docs/ARCHITECTURE.md: layer {name} uses unknown {sorted(uses - known)}")
    return layers


def check(root):
    """The findings, as lines of text."""
    layers = read_layers(root)
    allowed = dict(layers)
    order = [name for name, _ in layers]
    findings = []
    # A folder of C++ code at the root that is not a layer nor a free folder.
    for entry in sorted(os.listdir(root)):
        path = os.path.join(root, entry)
        if (not os.path.isdir(path) or entry.startswith(".") or entry in allowed or entry in FREE
                or entry.startswith("build")):
            continue
        if any(f.endswith(SOURCES) for f in os.listdir(path)):
            findings.append(f"{entry}/: a folder of C++ code that docs/ARCHITECTURE.md's layers do not name")
    for layer in order:
        folder = os.path.join(root, layer)
        if not os.path.isdir(folder):
            findings.append(f"{layer}/: named in docs/ARCHITECTURE.md's layers, but there is no such folder")
            continue
        for name in sorted(os.listdir(folder)):
            if not name.endswith(SOURCES):
                continue
            rel = f"{layer}/{name}"
            text = open(os.path.join(folder, name), encoding="utf-8").read()
            for m in INCLUDE.finditer(text):
                target = m.group(1)
                line = text.count("\n", 0, m.start()) + 1
                top = target.split("/", 1)[0] if "/" in target else None
                if top is None or (top not in allowed and top not in FREE):
                    continue  # generated headers (events_generated.h) and system-like paths
                if not os.path.isfile(os.path.join(root, target)):
                    findings.append(f"{rel}:{line}: includes {target}, which does not exist")
                elif top in FREE:
                    findings.append(f"{rel}:{line}: includes {target}: a layer may not use {top}/")
                elif top != layer and top not in allowed[layer]:
                    may = " ".join(sorted(allowed[layer], key=order.index)) or "nothing"
                    findings.append(f"{rel}:{line}: includes {target}, but {layer} may use only: {may}")
        cmake = os.path.join(folder, "CMakeLists.txt")
        if os.path.isfile(cmake):
            text = open(cmake, encoding="utf-8").read()
            for m in LINK.finditer(text):
                for lib in m.group(2).split():
                    if lib.startswith("pl_") and lib[3:] in allowed and lib[3:] != layer \
                            and lib[3:] not in allowed[layer]:
                        findings.append(f"{layer}/CMakeLists.txt: {m.group(1)} links {lib}, "
                                        f"but {layer} may use only: {' '.join(sorted(allowed[layer]))}")
    return findings


def main():
    root = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), ".."))
    findings = check(root)
    for f in findings:
        print(f)
    if findings:
        print(f"{len(findings)} finding(s): the layers and their order are in docs/ARCHITECTURE.md", file=sys.stderr)
        return 1
    print(f"layers: clean ({', '.join(name for name, _ in read_layers(root))})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
