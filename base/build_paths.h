// Paths the build knows and a program needs: the demonstration history, the
// dashboard's built assets, and for the tests the binaries and files they
// run. Each program gets the ones it uses in a small file generated into its
// build (CMake's ledger_build_paths), never as -D flags: then no other
// translation unit names the build's directory, and the compiler cache hits
// in any clone of the tree.
#pragma once

namespace pl::build_paths {

extern const char* const demo_file;      // scripts/demo/demo.json
extern const char* const web_dir;        // the dashboard's assets (BUILD/web)
extern const char* const source_dir;     // the root of the tree
extern const char* const ledger_bin;     // the ledger binary
extern const char* const crash_child;    // tests: the child that test_crash kills
extern const char* const python3;        // tests: python3 with openpyxl ("" when missing)
extern const char* const xlsx_checker;   // tests: tests/check_budget_xlsx.py
extern const char* const go_program;     // tests: go ("" when missing)
extern const char* const tlogcheck_src;  // tests: tests/interop/tlogcheck.go

}  // namespace pl::build_paths
