// The HTTP server: Boost.Beast over Asio, C++20 coroutines (the shape of
// Beast's awaitable examples). A listener accepts connections; each has a
// session coroutine that reads a request with a deadline, hands it to the
// Service and writes the answer, keeping the connection alive when asked.
// http/http.cc and http/http_stream.cc (the streamed answers) are the
// only translation units that include Beast and Asio.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "http/service.h"

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
  // Connections open at once; more wait in the listen queue, and one that
  // waits there takes the place of the connection idle longest between two
  // requests, if there is one. 0: the file limit (raised to its hard value)
  // less 128, at most 4,096.
  // Default: 0
  int max_connections = 0;
  // Connections open at once from one client address; more are answered
  // 429 too_many_connections and closed. 0: a quarter of max_connections,
  // at least 8.
  // Default: 0
  int max_connections_per_client = 0;
  // Uploads (streamed bodies) in progress at once, in all and per token;
  // more are answered 503 busy and 429 too_many_uploads. 0: no limit.
  // Default: 32, 4
  int max_uploads = 32;
  int max_uploads_per_token = 4;
  // Seconds in which the whole body of an upload must come, from its
  // header; a slower one is cut off (408 upload_timeout, if the client
  // still listens) and nothing of it kept.
  // Default: 300
  int upload_timeout_s = 300;
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
