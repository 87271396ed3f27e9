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
  // The address to listen on, "host:port" with an IP address ("[::1]:8080"
  // for IPv6); port 0 picks a free one.
  // Default: "127.0.0.1:8080"
  std::string listen = "127.0.0.1:8080";
  // I/O threads: they read requests, answer reads and write answers
  // (at least one runs).
  // Default: 2
  int threads = 2;
  // Seconds a client may take to send the next request, or to take a write
  // of an answer, before its connection is closed (exports get at least 30).
  // Default: 30
  int idle_timeout_s = 30;
  // Seconds given at shutdown to the answers in flight before the rest are
  // cut.
  // Default: 10
  int shutdown_grace_s = 10;
  // Connections open at once; more wait in the listen queue. 0: the file
  // limit (raised to its hard value) less 128, at most 4,096.
  // Default: 0
  int max_connections = 0;
  // Live feeds open at once; more are answered 503.
  // Default: 256
  int max_live_subscribers = 256;
  // Called once listening, on the calling thread, with the address actually
  // bound ("127.0.0.1:43121"). Empty: none.
  // Default: empty
  std::function<void(const std::string&)> on_listening;
};

// Serves `service` until SIGINT or SIGTERM, blocking the calling thread, then
// shuts down in order: stop accepting, let the writer commit and answer the
// commands it holds, wait for the answers in flight to be written (up to the
// grace time), close the rest, stop the projector (which saves a checkpoint)
// and flush the store; the service is stopped when it returns OK. Returns
// invalid_argument for a malformed `listen` and unavailable when it cannot
// listen, without stopping the service. One call at a time per process (it
// takes SIGINT and SIGTERM).
Status serve_http(Service& service, const HttpOptions& options);

}  // namespace pl
