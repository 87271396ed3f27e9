// What the session (http/http.cc) and the streamed answers
// (http/http_stream.cc) share: the state of the server, and the pieces of
// an answer written outside Beast's message types. These two translation
// units are the only ones that include Beast and Asio.
//
// Internal to server/http*.cc.
#pragma once

// Boost 1.74's asio/awaitable.hpp needs <utility> first with g++ 12.
// clang-format off
#include <utility>
// clang-format on

#include <atomic>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "http/http.h"
#include "http/http_limits.h"

namespace pl::http_impl {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;

struct Shared {
  Shared(Service& s, const HttpOptions& o, SessionTable::Limits limits) : service(s), options(o), table(limits) {}
  Service& service;
  HttpOptions options;
  std::atomic<bool> stopping{false};
  std::atomic<int> in_flight{0};    // requests read and not yet answered
  std::atomic<int> connections{0};  // sessions open
  std::atomic<int> live_subscribers{0};
  std::atomic<std::uint64_t> next_id{1};
  SessionTable table;
};

// A JSON error answer that closes the connection.
http::response<http::string_body> closing_error(http::status status, std::string_view code, const std::string& message);

// The head of a streamed answer. An export, a file or a document is sent
// in chunks (RFC 9112 section 7.1), so that a client knows it has it whole
// only when the last, empty chunk arrives: a failure midway aborts the
// connection without it. The live feed runs until the connection closes.
std::string stream_head(const HttpResponse& r, const std::string& request_id);

// Ends a connection so that the client sees an error (a reset), not an end.
void abort_connection(beast::tcp_stream& stream);

// The bearer token a streamed answer was asked with, and whom it named then.
// Before each write, and at least once a second, the stream asks again: a
// token removed from the tokens file (or given another role or mentor) ends
// the stream within the time other requests see the change (the file is
// looked at once a second), and nothing more is written to it.
struct StreamToken {
  std::string token;             // empty: none was sent
  std::optional<Principal> who;  // nullopt: it named no one (a route that needs no token)
  bool still_valid(Service& service) const;
};
// The token of an Authorization header ("Bearer <token>"), and whom it names.
StreamToken stream_token(Service& service, std::string_view authorization);

// Hands a request to the Service; its answer. An answer given before
// handle() returns is used as it is, without a trip through the executor's
// queue (a read's answer); a later one resumes the coroutine on its own
// executor.
net::awaitable<HttpResponse> handle_request(Service& service, HttpRequest req);

// What became of a streamed body.
struct BodyRead {
  beast::error_code ec;                 // it could not be read whole (timeout: past its deadline, or idle)
  std::optional<HttpResponse> refused;  // the sink refused a piece: the rest is not read
  bool whole = false;                   // read to its end
};

// Reads the body after the header `header` (which it takes over) and gives
// it to `sink` in pieces of 256 KiB (the last one less), each taken before
// the next is read. The body must come whole before `deadline`, and no read
// may wait more than `idle_s` seconds: otherwise the read ends with a
// timeout (and the caller drops the sink, with what it took).
net::awaitable<BodyRead> read_streamed_body(beast::tcp_stream& stream, beast::flat_buffer& buffer,
                                            http::request_parser<http::string_body>& header,
                                            std::shared_ptr<BodySink> sink, std::size_t limit,
                                            Clock::time_point deadline, int idle_s);
// Tells the sink the body is whole; its answer.
net::awaitable<HttpResponse> finish_body(std::shared_ptr<BodySink> sink);

// Writes the streamed answer `r` (its head already written): the live feed,
// an export, or the bytes of a file or a stored document.
net::awaitable<void> write_stream(beast::tcp_stream& stream, Shared& sh, const HttpResponse& r,
                                  const StreamToken& token);

}  // namespace pl::http_impl
