#!/usr/bin/env python3
"""Tests of the scripts the test loop stands on (CTest: scripts_selftest).

- scripts/tidy.py: a unit found clean is skipped in another clone of the tree
  (another folder); a change in a header it includes, or in .clang-tidy, runs
  it again; a unit with findings is never remembered.
- scripts/check_layers.py: an include or a library linked that runs back up,
  or across between siblings, is found with its file and line; so are an
  include of a file that does not exist and a folder of code with no layer.
- scripts/check_refusals.py: a code the sources answer with that
  base/refusals.h lacks, a code answered with another status than the list's,
  a listed code no source writes, and docs drifted from the list are found.
- scripts/bench_report.py: the figures come from each part's JSON line and
  are merged, the later part winning; the tables show what is there.
Each test works in its own temporary folders, with its own cache directory.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

SCRIPTS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "scripts")

CLANG_TIDY = "Checks: '-*,bugprone-*'\nWarningsAsErrors: '*'\n"
HEADER = "#pragma once\ninline int twice(int x) { return 2 * x; }\n"
SOURCE = '#include "a.h"\nint use() { return twice(2); }\n'
# A finding of bugprone-suspicious-semicolon: an if whose body is an empty statement.
FINDING = 'int bad(int x) {\n  if (x > 2);\n  return x;\n}\n'


def make_clone(parent, name):
    """A tree with scripts/tidy.py, .clang-tidy, src/a.h, src/a.cc and build/compile_commands.json."""
    root = os.path.join(parent, name)
    os.makedirs(os.path.join(root, "scripts"))
    os.makedirs(os.path.join(root, "src"))
    os.makedirs(os.path.join(root, "build"))
    shutil.copy(os.path.join(SCRIPTS, "tidy.py"), os.path.join(root, "scripts"))
    write(root, ".clang-tidy", CLANG_TIDY)
    write(root, "src/a.h", HEADER)
    write(root, "src/a.cc", SOURCE)
    entries = [{"directory": os.path.join(root, "build"), "file": os.path.join(root, "src", "a.cc"),
                "command": f"/usr/bin/c++ -I{root}/src -std=c++20 -o a.o -c {root}/src/a.cc"}]
    write(root, "build/compile_commands.json", json.dumps(entries))
    return root


def write(root, rel, text):
    os.makedirs(os.path.dirname(os.path.join(root, rel)), exist_ok=True)
    with open(os.path.join(root, rel), "w") as f:
        f.write(text)


class TidyCache(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="ledger-tidy-test-")
        self.env = dict(os.environ, XDG_CACHE_HOME=os.path.join(self.tmp, "cache"))

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def tidy(self, root):
        run = subprocess.run([sys.executable, os.path.join(root, "scripts", "tidy.py"), os.path.join(root, "build"),
                              f"^{root}/src/"], env=self.env, capture_output=True, text=True)
        return run.returncode, run.stdout.strip().splitlines()[-1] if run.stdout.strip() else run.stderr

    def test_clean_result_is_kept_across_clones_and_dropped_on_change(self):
        one = make_clone(self.tmp, "one")
        self.assertEqual(self.tidy(one), (0, "clang-tidy: 1 files: 0 clean before (cached), 1 checked clean, 0 with findings"))
        self.assertEqual(self.tidy(one), (0, "clang-tidy: 1 files: 1 clean before (cached), 0 checked clean, 0 with findings"))
        # Another folder with the same tree: the result holds.
        two = make_clone(self.tmp, "two-elsewhere")
        self.assertEqual(self.tidy(two), (0, "clang-tidy: 1 files: 1 clean before (cached), 0 checked clean, 0 with findings"))
        # A change in a header the unit includes runs it again.
        write(two, "src/a.h", HEADER + "inline int thrice(int x) { return 3 * x; }\n")
        self.assertEqual(self.tidy(two), (0, "clang-tidy: 1 files: 0 clean before (cached), 1 checked clean, 0 with findings"))
        # So does a change in .clang-tidy.
        write(two, ".clang-tidy", CLANG_TIDY + "HeaderFilterRegex: ''\n")
        self.assertEqual(self.tidy(two), (0, "clang-tidy: 1 files: 0 clean before (cached), 1 checked clean, 0 with findings"))

    def test_findings_are_reported_and_never_kept(self):
        one = make_clone(self.tmp, "one")
        write(one, "src/a.cc", SOURCE + FINDING)
        for _ in range(2):
            code, last = self.tidy(one)
            self.assertEqual(code, 1)
            self.assertEqual(last, "clang-tidy: 1 files: 0 clean before (cached), 0 checked clean, 1 with findings")


class BenchReport(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="ledger-bench-report-test-")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def part(self, name, text):
        path = os.path.join(self.tmp, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def report(self, *args):
        run = subprocess.run([sys.executable, os.path.join(SCRIPTS, "bench_report.py"), *args],
                             capture_output=True, text=True, check=True)
        return run.stdout.splitlines()

    def test_figures_merge_from_json_lines(self):
        a = self.part("append", "a table | 12 |\n{\"ledger_concurrent_eps\": 56473, \"ledger_batch_eps\": 1}\n")
        b = self.part("peer", "not json {\n{\"pg_single_eps\": 28000, \"pg_batch_eps\": 4}\n{\"ledger_batch_eps\": 151382}\n")
        lines = self.report("all", a, b)
        merged = json.loads(lines[-1])
        self.assertEqual(merged, {"ledger_concurrent_eps": 56473, "ledger_batch_eps": 151382, "pg_single_eps": 28000,
                                  "pg_batch_eps": 4})
        self.assertIn("| one-event commands, 64 clients, durable (events/s) | 56473 | 28000 | 2.02 |", lines)
        self.assertIn("| the same over HTTP, 64 connections (commands/s) | - | 28000 | - |", lines)

    def test_scale_table_has_a_row_per_size(self):
        small = self.part("100000", "{\"events\": 100387, \"replay_eps\": 1336353.5, \"asof_p50_ms\": 0.25, "
                                    "\"asof_p99_ms\": 2.0}\n")
        lines = self.report("scale", f"100000={small}")
        self.assertEqual(lines[-1], "| 100387 | 1336353.5 | - | 0.25 / 2 | - / - | - / - | - | - / - |")


LAYERS_DOC = """# How it works

```layers
base:
log: base
writer: base log
read: base log   # siblings of writer
app: base log writer read
```
"""


class Layers(unittest.TestCase):
    def setUp(self):
        self.root = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, self.root)
        write(self.root, "docs/ARCHITECTURE.md", LAYERS_DOC)
        write(self.root, "base/a.h", "#pragma once\n#include <string>\n")
        write(self.root, "log/store.h", '#pragma once\n#include "base/a.h"\n#include "events_generated.h"\n')
        write(self.root, "writer/writer.cc", '#include "log/store.h"\n')
        write(self.root, "read/models.cc", '#include "log/store.h"\n#include "base/a.h"\n')
        write(self.root, "app/main.cc", '#include "writer/writer.cc"\n#include "read/models.cc"\n')
        write(self.root, "tests/t.cc", '#include "app/main.cc"\n')
        write(self.root, "log/CMakeLists.txt", "add_library(pl_log store.cc)\ntarget_link_libraries(pl_log PUBLIC pl_base)\n")

    def run_check(self):
        r = subprocess.run([sys.executable, os.path.join(SCRIPTS, "check_layers.py"), self.root],
                           capture_output=True, text=True)
        return r.returncode, r.stdout

    def test_clean_tree(self):
        code, out = self.run_check()
        self.assertEqual(code, 0, out)
        self.assertIn("layers: clean (base, log, writer, read, app)", out)

    def test_back_up(self):
        write(self.root, "base/b.cc", '#include "base/a.h"\n\n#include "log/store.h"\n')
        code, out = self.run_check()
        self.assertEqual(code, 1)
        self.assertIn("base/b.cc:3: includes log/store.h, but base may use only: nothing", out)

    def test_across_siblings(self):
        write(self.root, "read/models.cc", '#include "writer/writer.cc"\n')
        code, out = self.run_check()
        self.assertEqual(code, 1)
        self.assertIn("read/models.cc:1: includes writer/writer.cc, but read may use only: base log", out)

    def test_missing_file_and_tests_folder(self):
        write(self.root, "log/x.cc", '#include "base/gone.h"\n#include "tests/t.cc"\n')
        code, out = self.run_check()
        self.assertEqual(code, 1)
        self.assertIn("log/x.cc:1: includes base/gone.h, which does not exist", out)
        self.assertIn("log/x.cc:2: includes tests/t.cc: a layer may not use tests/", out)

    def test_library_linked_back_up(self):
        write(self.root, "log/CMakeLists.txt", "target_link_libraries(pl_log PUBLIC pl_base PRIVATE pl_app)\n")
        code, out = self.run_check()
        self.assertEqual(code, 1)
        self.assertIn("log/CMakeLists.txt: pl_log links pl_app", out)

    def test_folder_without_layer(self):
        write(self.root, "extra/y.cc", "int y;\n")
        code, out = self.run_check()
        self.assertEqual(code, 1)
        self.assertIn("extra/: a folder of C++ code that docs/ARCHITECTURE.md's layers do not name", out)


REFUSALS_H = """#define PL_REFUSALS(X) \\
  X(bad_request, 400, "the request is malformed") \\
  X(four_eyes, 403, \\
    "whoever recorded it " \\
    "may not verify it") \\
  X(hour_cap_exceeded, 422, "past the hour cap") \\
  X(chunk_full, 0, "a piece is full (never answered)")
"""


class Refusals(unittest.TestCase):
    def setUp(self):
        self.root = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, self.root)
        write(self.root, "base/refusals.h", REFUSALS_H)
        write(self.root, "base/status.h", 'Status invalid() { return make(Kind::invalid_argument, "bad_request", m); }\n')
        write(self.root, "domain/decide.cc", 'Status a() { return Status::rule("hour_cap_exceeded", "m"); }\n'
                                             'Status b() { return Status::forbidden(\n    "four_eyes", "m"); }\n')
        write(self.root, "http/service.cc", 'const std::string kChunkFull = "chunk_full";\n')
        write(self.root, "docs/API.md", "# API\n<!-- refusals -->\n<!-- /refusals -->\n")
        write(self.root, "docs/openapi.json", json.dumps({"components": {"schemas": {"Error": {"properties": {
            "error": {"properties": {"code": {"enum": ["bad_request", "four_eyes", "hour_cap_exceeded"]}}}}}}}}))
        self.script = os.path.join(SCRIPTS, "check_refusals.py")
        subprocess.run([sys.executable, self.script, "--write", self.root], check=True)

    def run_check(self):
        r = subprocess.run([sys.executable, self.script, self.root], capture_output=True, text=True)
        return r.returncode, r.stdout

    def test_clean_tree_and_the_table(self):
        code, out = self.run_check()
        self.assertEqual(code, 0, out)
        api = open(os.path.join(self.root, "docs/API.md")).read()
        self.assertIn("| `four_eyes` | 403 | whoever recorded it may not verify it |", api)
        self.assertNotIn("chunk_full", api)

    def test_unlisted_code(self):
        write(self.root, "http/api.cc", 'void f(Ctx& c) { c.fail(409, "already_there", "m"); }\n')
        code, out = self.run_check()
        self.assertEqual(code, 1)
        self.assertIn("http/api.cc:1: the code already_there is not in base/refusals.h", out)

    def test_wrong_status(self):
        write(self.root, "http/api.cc", 'auto r = error_response(409, "hour_cap_exceeded", "m");\n')
        code, out = self.run_check()
        self.assertEqual(code, 1)
        self.assertIn("hour_cap_exceeded answered with 409, but base/refusals.h gives 422", out)

    def test_unused_code_and_drifted_docs(self):
        write(self.root, "domain/decide.cc", 'Status a() { return Status::rule("hour_cap_exceeded", "m"); }\n')
        write(self.root, "docs/API.md", "# API\n<!-- refusals -->\n| old |\n<!-- /refusals -->\n")
        code, out = self.run_check()
        self.assertEqual(code, 1)
        self.assertIn("base/refusals.h: four_eyes is written nowhere in the sources", out)
        self.assertIn("docs/API.md: the table of codes is not the one base/refusals.h makes", out)


if __name__ == "__main__":
    unittest.main(verbosity=2)
