#!/usr/bin/env python3
"""The error codes, against their one list (base/refusals.h).

Fails when:
  - a code is written in the sources (Status::rule/conflict/forbidden("code",
    Status::make(Kind::k, "code", fail(NNN, "code", error_response(NNN,
    "code", closing_error(status, "code", *code = "code", a constant
    std::string kName = "code", an eligibility reason {"code", ...}) that the
    list lacks;
  - a code of the list is written nowhere in the sources (a code no answer
    gives any more);
  - a code is answered with an HTTP status other than the list's;
  - docs/API.md's table of codes (between <!-- refusals --> and
    <!-- /refusals -->) is not the one the list makes;
  - docs/openapi.json's Error schema does not list exactly the list's codes
    answered over HTTP.

  scripts/check_refusals.py [ROOT]           check
  scripts/check_refusals.py --write [ROOT]   rewrite docs/API.md's table from the list
"""
import json
import os
import re
import sys

LAYERS = ["base", "log", "domain", "writer", "read", "render", "audit", "http", "app"]
ENTRY = re.compile(r'X\((\w+),\s*(\d+),\s*(?:\\\s*)?((?:"(?:[^"\\]|\\.)*"\s*(?:\\\s*)?)+)\)')
USES = [
    re.compile(r'Status::(?:rule|conflict|forbidden)\(\s*"(\w+)"'),
    re.compile(r'Status::make\(\s*Kind::\w+,\s*"(\w+)"'),
    re.compile(r'\bmake\(\s*Kind::\w+,\s*"(\w+)"'),
    re.compile(r'\*code = "(\w+)"'),
    re.compile(r'\bconst std::string k\w+ = "(\w+)"'),
]
# The reasons eligibility gives, as a rule's refusal (domain/eligibility.cc).
ELIGIBILITY = re.compile(r'push_back\(\{"(\w+)",')
WITH_STATUS = [
    re.compile(r'\b(?:fail|error_response)\(\s*(\d{3}),\s*"(\w+)"'),
    re.compile(r'\bclosing_error\(\s*http::status::(\w+),\s*"(\w+)"'),
]
BEAST_STATUS = {"bad_request": 400, "payload_too_large": 413, "too_many_requests": 429, "request_timeout": 408,
                "service_unavailable": 503, "unsupported_media_type": 415, "internal_server_error": 500}
BEGIN, END = "<!-- refusals -->", "<!-- /refusals -->"


def read_list(root):
    text = open(os.path.join(root, "base", "refusals.h"), encoding="utf-8").read()
    out = []
    for m in ENTRY.finditer(text):
        meaning = "".join(re.findall(r'"((?:[^"\\]|\\.)*)"', m.group(3)))
        out.append((m.group(1), int(m.group(2)), meaning))
    return out


def table(entries):
    lines = ["| code | status | what it means |", "|---|---:|---|"]
    for code, status, meaning in entries:
        if status:
            lines.append(f"| `{code}` | {status} | {meaning} |")
    return "\n".join(lines)


def check(root):
    entries = read_list(root)
    codes = {code: status for code, status, _ in entries}
    findings = []
    if len(codes) != len(entries):
        findings.append("base/refusals.h: a code is listed twice")
    used = set()
    for layer in LAYERS:
        folder = os.path.join(root, layer)
        for name in sorted(os.listdir(folder)) if os.path.isdir(folder) else []:
            if not name.endswith((".h", ".cc")) or (layer, name) == ("base", "refusals.h"):
                continue
            text = open(os.path.join(folder, name), encoding="utf-8").read()
            where = lambda m: f"{layer}/{name}:{text.count(chr(10), 0, m.start()) + 1}"
            for pattern in USES + ([ELIGIBILITY] if (layer, name) == ("domain", "eligibility.cc") else []):
                for m in pattern.finditer(text):
                    used.add(m.group(1))
                    if m.group(1) not in codes:
                        findings.append(f"{where(m)}: the code {m.group(1)} is not in base/refusals.h")
            for pattern in WITH_STATUS:
                for m in pattern.finditer(text):
                    status, code = m.group(1), m.group(2)
                    status = BEAST_STATUS.get(status, status) if not status.isdigit() else int(status)
                    used.add(code)
                    if code not in codes:
                        findings.append(f"{where(m)}: the code {code} is not in base/refusals.h")
                    elif isinstance(status, int) and codes[code] != status:
                        findings.append(f"{where(m)}: {code} answered with {status}, "
                                        f"but base/refusals.h gives {codes[code]}")
    for code in codes:
        if code not in used:
            findings.append(f"base/refusals.h: {code} is written nowhere in the sources")
    api = open(os.path.join(root, "docs", "API.md"), encoding="utf-8").read()
    if BEGIN not in api or END not in api:
        findings.append(f"docs/API.md: no {BEGIN} ... {END} block")
    elif api[api.index(BEGIN) + len(BEGIN):api.index(END)].strip() != table(entries):
        findings.append("docs/API.md: the table of codes is not the one base/refusals.h makes "
                        "(scripts/check_refusals.py --write)")
    doc = json.load(open(os.path.join(root, "docs", "openapi.json"), encoding="utf-8"))
    enum = doc["components"]["schemas"]["Error"]["properties"]["error"]["properties"]["code"].get("enum")
    if enum != [code for code, status, _ in entries if status]:
        findings.append("docs/openapi.json: the Error schema's codes are not base/refusals.h's "
                        "(build/app/ledger openapi > docs/openapi.json)")
    return findings


def main():
    args = [a for a in sys.argv[1:] if a != "--write"]
    root = os.path.abspath(args[0] if args else os.path.join(os.path.dirname(__file__), ".."))
    if "--write" in sys.argv:
        path = os.path.join(root, "docs", "API.md")
        api = open(path, encoding="utf-8").read()
        api = api[:api.index(BEGIN) + len(BEGIN)] + "\n" + table(read_list(root)) + "\n" + api[api.index(END):]
        open(path, "w", encoding="utf-8").write(api)
        return 0
    findings = check(root)
    for f in findings:
        print(f)
    if findings:
        print(f"{len(findings)} finding(s)", file=sys.stderr)
        return 1
    print(f"refusal codes: {len(read_list(root))}, every one listed once, used, documented")
    return 0


if __name__ == "__main__":
    sys.exit(main())
