// The HTTP server: Boost.Beast over Asio, C++20 coroutines (the shape of
// Beast's awaitable examples). A listener accepts connections; each has a
// session coroutine that reads a request with a deadline, hands it to the
// Service and writes the answer, keeping the connection alive when asked.
// This is the only translation unit that includes Beast and Asio.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "server/service.h"

namespace pl {

struct HttpOptions {
  std::string listen = "127.0.0.1:8080";  // host:port; port 0 picks a free one
  int threads = 2;                        // I/O threads
  int idle_timeout_s = 30;                // a connection idle this long is closed
  int shutdown_grace_s = 10;              // time given to requests in flight at shutdown
  // Connections open at once; more wait in the listen queue. 0: the file
  // limit (raised to its hard value) less 128, at most 4,096.
  int max_connections = 0;
  // Live feeds open at once; more are answered 503.
  int max_live_subscribers = 256;
  // Called once listening, with the address actually bound ("127.0.0.1:43121").
  std::function<void(const std::string&)> on_listening;
};

// Serves until SIGINT or SIGTERM, then shuts down in order: stop accepting,
// let the writer commit and answer the commands it holds, wait for the
// answers in flight to be written (up to the grace time), close the rest,
// stop the projector (which saves a checkpoint) and flush the store.
// Returns non-ok if it could not listen.
Status serve_http(Service& service, const HttpOptions& options);

}  // namespace pl
