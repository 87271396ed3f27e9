// The options of `ledger serve` that shape its HTTP server (http/http.h):
// where it listens and what one client, one token or all of them may hold.
#pragma once

#include <CLI/CLI.hpp>

#include "http/http.h"

namespace pl::cli {

// Adds them to `serve`; CLI11 writes what it parses into *options.
void add_http_options(CLI::App* serve, HttpOptions* options);

}  // namespace pl::cli
