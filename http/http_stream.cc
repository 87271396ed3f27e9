// The streamed answers: the live feed, the exports, and the bytes of a file
// (the audit pack, the workbook) or of a stored document. Each holds one
// piece at a time: the next is read only once the socket took the last, so
// a client that does not read costs one piece of memory. Each asks again,
// before it writes, whether the token it was opened with still holds.
// Boost 1.74's asio/awaitable.hpp needs <utility> first with g++ 12.
// clang-format off
#include <utility>
// clang-format on

#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <cerrno>
#include <cstdio>
#include <memory>
#include <vector>

#include "http/http_internal.h"
#include "render/event_json.h"

namespace pl::http_impl {

namespace {

constexpr std::size_t kLiveBatch = 500;     // events per write of the live feed
constexpr std::size_t kExportBatch = 1000;  // events per write of an export
constexpr auto kHeartbeat = std::chrono::seconds(15);

// Whether the client of a live feed closed its side: the end of its stream,
// or an error on it. (Bytes it sends are left unread.)
bool peer_closed(beast::tcp_stream& stream) {
  char c;
  ssize_t n = ::recv(stream.socket().native_handle(), &c, 1, MSG_PEEK | MSG_DONTWAIT);
  return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
}

std::string reason_phrase(int status) { return std::string(http::obsolete_reason(static_cast<http::status>(status))); }

void log_revoked(const HttpResponse& r, const StreamToken& token) {
  spdlog::info("{} closed: the token of {} was removed or changed", r.route.empty() ? "a stream" : r.route,
               token.who ? token.who->name : std::string("?"));
}

// At most one batch of text is held per subscriber: the next is read from the
// log only once the socket took the last one, so a client that does not read
// holds the feed still, and costs one batch of memory.
net::awaitable<void> stream_live(beast::tcp_stream& stream, Shared& sh, const HttpResponse& r,
                                 const StreamToken& token) {
  beast::error_code ec;
  std::uint64_t from = r.from;
  auto ex = co_await net::this_coro::executor;
  auto timer = std::make_shared<net::steady_timer>(ex);
  std::uint64_t waiting_for = 0;
  auto next_heartbeat = Clock::now() + kHeartbeat;
  while (!sh.stopping) {
    if (!token.still_valid(sh.service)) {
      log_revoked(r, token);
      co_return;
    }
    std::string text;
    StreamChunk chunk = sh.service.live_chunk(from, kLiveBatch, r.mentor_id, &text);
    if (!chunk.status) {
      abort_connection(stream);
      co_return;
    }
    if (!text.empty()) {
      stream.expires_after(std::chrono::seconds(sh.options.idle_timeout_s));
      co_await net::async_write(stream, net::buffer(text), net::redirect_error(net::use_awaitable, ec));
      if (ec) co_return;
    }
    if (chunk.next > from) {
      from = chunk.next;
      continue;
    }
    // Wake for new events, for the heartbeat, and once a second to see
    // whether the client went away (so that it stops counting) or its token
    // was removed.
    auto now = Clock::now();
    if (now >= next_heartbeat) next_heartbeat = now + kHeartbeat;
    timer->expires_at(std::min(next_heartbeat, now + std::chrono::seconds(1)));
    if (waiting_for != from) {
      // Woken as soon as the read models cover `from`. The service keeps the
      // wake-up until then, perhaps after this feed ended: it must not keep
      // the timer (nor the I/O context it belongs to) alive.
      waiting_for = from;
      std::weak_ptr<net::steady_timer> weak = timer;
      sh.service.when_published(from, [weak](const Status&) {
        if (auto t = weak.lock())
          net::post(t->get_executor(), [weak] {
            if (auto still = weak.lock()) still->cancel();
          });
      });
    }
    co_await timer->async_wait(net::redirect_error(net::use_awaitable, ec));
    if (peer_closed(stream)) co_return;
    if (!ec && Clock::now() >= next_heartbeat) {  // the heartbeat: also finds out whether the client is gone
      stream.expires_after(std::chrono::seconds(sh.options.idle_timeout_s));
      co_await net::async_write(stream, net::buffer(std::string_view(": keep-alive\n\n")),
                                net::redirect_error(net::use_awaitable, ec));
      if (ec) co_return;
    }
  }
}

// Writes one chunk (RFC 9112 section 7.1); an empty one is the last.
net::awaitable<bool> write_chunk(beast::tcp_stream& stream, Shared& sh, std::string_view data) {
  beast::error_code ec;
  char size[24];
  int n = std::snprintf(size, sizeof size, "%zx\r\n", data.size());
  std::array<net::const_buffer, 3> parts = {net::buffer(size, static_cast<std::size_t>(n)), net::buffer(data),
                                            net::buffer(std::string_view("\r\n"))};
  stream.expires_after(std::chrono::seconds(std::max(sh.options.idle_timeout_s, 30)));
  co_await net::async_write(stream, parts, net::redirect_error(net::use_awaitable, ec));
  co_return !ec;
}

// Whether a stream may write its next piece: its token still holds. When it
// does not, the connection is cut (the last chunk never comes).
bool may_go_on(beast::tcp_stream& stream, Shared& sh, const HttpResponse& r, const StreamToken& token) {
  if (token.still_valid(sh.service)) return true;
  log_revoked(r, token);
  abort_connection(stream);
  return false;
}

net::awaitable<void> stream_export(beast::tcp_stream& stream, Shared& sh, const HttpResponse& r,
                                   const StreamToken& token) {
  std::uint64_t from = r.from;
  std::string text;
  if (r.to == 0 && r.stream == HttpResponse::Stream::csv) text = csv_header();  // an empty ledger
  for (;;) {
    StreamChunk chunk{from, Status::ok()};
    if (from <= r.to) chunk = sh.service.export_chunk(r.stream, from, r.to, kExportBatch, r.mentor_id, &text);
    if (!chunk.status) {
      // Whatever was read is not sent: the client sees a cut, never a short
      // export that looks whole.
      abort_connection(stream);
      co_return;
    }
    if (!text.empty()) {
      if (!may_go_on(stream, sh, r, token)) co_return;
      if (!co_await write_chunk(stream, sh, text)) co_return;
      text.clear();
    }
    if (chunk.next <= from || chunk.next > r.to) break;
    from = chunk.next;
  }
  co_await write_chunk(stream, sh, {});  // the last chunk, empty: the export is whole
}

// A file's bytes, in chunks of at most 256 KiB; a read error cuts the answer.
net::awaitable<void> stream_file(beast::tcp_stream& stream, Shared& sh, const HttpResponse& r,
                                 const StreamToken& token) {
  std::vector<char> buf(256 * 1024);
  for (;;) {
    std::size_t n = std::fread(buf.data(), 1, buf.size(), r.file.get());
    if (n == 0) {
      if (std::ferror(r.file.get())) {
        abort_connection(stream);
        co_return;
      }
      break;
    }
    if (!may_go_on(stream, sh, r, token)) co_return;
    if (!co_await write_chunk(stream, sh, std::string_view(buf.data(), n))) co_return;
  }
  co_await write_chunk(stream, sh, {});
}

// The pieces `r.next_piece` gives, each a chunk; a failure cuts the answer.
net::awaitable<void> stream_pieces(beast::tcp_stream& stream, Shared& sh, const HttpResponse& r,
                                   const StreamToken& token) {
  for (;;) {
    Result<std::string> piece = r.next_piece();
    if (!piece) {
      spdlog::error("{}: {}", r.route, piece.status().to_string());
      abort_connection(stream);
      co_return;
    }
    if (piece->empty()) break;
    if (!may_go_on(stream, sh, r, token)) co_return;
    if (!co_await write_chunk(stream, sh, *piece)) co_return;
  }
  co_await write_chunk(stream, sh, {});
}

}  // namespace

std::string stream_head(const HttpResponse& r, const std::string& request_id) {
  std::string h = "HTTP/1.1 " + std::to_string(r.status) + " " + reason_phrase(r.status) + "\r\n";
  h += "Content-Type: " + r.content_type + "\r\n";
  bool cache_given = std::any_of(r.headers.begin(), r.headers.end(),
                                 [](const auto& kv) { return beast::iequals(kv.first, "Cache-Control"); });
  if (!cache_given) h += "Cache-Control: no-store\r\n";
  h += "Connection: close\r\nX-Request-Id: " + request_id + "\r\n";
  if (r.stream == HttpResponse::Stream::live)
    h += "X-Accel-Buffering: no\r\n";
  else
    h += "Transfer-Encoding: chunked\r\n";
  for (auto& [k, v] : r.headers) h += k + ": " + v + "\r\n";
  h += "\r\n";
  return h;
}

void abort_connection(beast::tcp_stream& stream) {
  beast::error_code ignored;
  stream.socket().set_option(net::socket_base::linger(true, 0), ignored);
  stream.socket().close(ignored);
}

bool StreamToken::still_valid(Service& service) const {
  if (!who) return true;
  auto now = service.authenticate(token);
  return now && now->name == who->name && now->role == who->role && now->mentor_id == who->mentor_id;
}

StreamToken stream_token(Service& service, std::string_view authorization) {
  constexpr std::string_view kBearer = "Bearer ";
  StreamToken t;
  if (authorization.size() <= kBearer.size() || authorization.substr(0, kBearer.size()) != kBearer) return t;
  t.token = std::string(authorization.substr(kBearer.size()));
  t.who = service.authenticate(t.token);
  return t;
}

net::awaitable<void> write_stream(beast::tcp_stream& stream, Shared& sh, const HttpResponse& r,
                                  const StreamToken& token) {
  switch (r.stream) {
    case HttpResponse::Stream::live:
      co_await stream_live(stream, sh, r, token);
      break;
    case HttpResponse::Stream::file:
      co_await stream_file(stream, sh, r, token);
      break;
    case HttpResponse::Stream::pieces:
      co_await stream_pieces(stream, sh, r, token);
      break;
    case HttpResponse::Stream::ndjson:
    case HttpResponse::Stream::csv:
      co_await stream_export(stream, sh, r, token);
      break;
    case HttpResponse::Stream::none:
      break;
  }
}

}  // namespace pl::http_impl
