// Boost 1.74's asio/awaitable.hpp needs <utility> first with g++ 12.
// clang-format off
#include <utility>
// clang-format on

#include "server/http.h"

#include <spdlog/spdlog.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <array>
#include <atomic>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <future>
#include <limits>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "server/event_json.h"

namespace pl {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;

namespace {

constexpr std::size_t kLiveBatch = 500;     // events per write of the live feed
constexpr std::size_t kExportBatch = 1000;  // events per write of an export
constexpr auto kHeartbeat = std::chrono::seconds(15);

struct Shared {
  Service& service;
  HttpOptions options;
  std::atomic<bool> stopping{false};
  std::atomic<int> in_flight{0};    // requests read and not yet answered
  std::atomic<int> connections{0};  // sessions open
  std::atomic<int> live_subscribers{0};
  std::atomic<std::uint64_t> next_id{1};
};

// Gives back one unit of a counter (open connections, live feeds) when it
// goes; the unit was taken by whoever checked the cap.
struct CountedUnit {
  std::atomic<int>& count;
  explicit CountedUnit(std::atomic<int>& c) : count(c) {}
  ~CountedUnit() { --count; }
  CountedUnit(const CountedUnit&) = delete;
  CountedUnit& operator=(const CountedUnit&) = delete;
};

// A JSON error answer that closes the connection.
http::response<http::string_body> closing_error(http::status status, std::string_view code,
                                                const std::string& message) {
  http::response<http::string_body> res{status, 11};
  res.set(http::field::content_type, "application/json");
  res.set(http::field::connection, "close");
  nlohmann::json body = {{"error", {{"code", code}, {"message", message}, {"details", nlohmann::json::object()}}}};
  res.body() = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  res.prepare_payload();
  res.keep_alive(false);
  return res;
}

std::string lower_trimmed(std::string_view v) {
  while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
  while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
  std::string out(v);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// RFC 9112 section 6.1: a request whose transfer coding is not exactly
// "chunked" cannot be framed safely, whatever a parser would make of it (its
// body could be read as the next request). Empty when the framing is fine.
std::string transfer_coding_problem(const http::request_parser<http::string_body>& parser) {
  const auto& fields = parser.get();
  std::size_t count = 0;
  std::string value;
  for (auto it = fields.find(http::field::transfer_encoding);
       it != fields.end() && it->name() == http::field::transfer_encoding; ++it) {
    ++count;
    value = lower_trimmed(std::string_view(it->value().data(), it->value().size()));
  }
  if (count == 0) return {};
  if (count > 1) return "the request has more than one Transfer-Encoding header";
  if (value != "chunked")
    return "the only transfer coding accepted is chunked; '" + value + "' cannot be framed (RFC 9112 section 6.1)";
  return {};
}

// HTTP methods keep their own metric label; any other name shares one, so
// that made-up methods cannot add series without end.
std::string method_label(std::string_view m) {
  for (std::string_view known : {"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"})
    if (m == known) return std::string(known);
  return "other";
}

// An answer of the Service that may come before handle() returns (reads are
// answered on the calling thread) or later on another thread (commands).
struct PendingAnswer {
  std::mutex mu;
  std::optional<HttpResponse> early;  // answered before anyone waited
  bool waiting = false;
  std::function<void(HttpResponse)> resume;
};

// Resumes the coroutine with the answer of `pending` once it comes (the
// answer that came before the wait is taken by the caller, not here).
template <typename Token>
auto async_pending(std::shared_ptr<PendingAnswer> pending, Token&& token);

// A completion handler as a callback that may be called on any thread: it
// resumes the coroutine on its own executor.
template <typename R, typename Handler>
std::function<void(R)> resume_with(Handler handler) {
  auto h = std::make_shared<Handler>(std::move(handler));
  auto work = std::make_shared<net::executor_work_guard<net::any_io_executor>>(net::get_associated_executor(*h));
  return [h, work](R r) {
    auto ex = work->get_executor();
    net::post(ex, [h, work, r = std::move(r)]() mutable { (*h)(std::move(r)); });
  };
}

template <typename Token>
auto async_pending(std::shared_ptr<PendingAnswer> pending, Token&& token) {
  return net::async_initiate<Token, void(HttpResponse)>(
      // NOLINTNEXTLINE(performance-unnecessary-value-param): a shared owner for the call
      [](auto handler, std::shared_ptr<PendingAnswer> p) {
        auto resume = resume_with<HttpResponse>(std::move(handler));
        std::unique_lock lock(p->mu);
        if (p->early) {  // came between the look and the wait
          HttpResponse r = std::move(*p->early);
          p->early.reset();
          lock.unlock();
          return resume(std::move(r));
        }
        p->waiting = true;
        p->resume = std::move(resume);
      },
      token, std::move(pending));
}

// Hands a request to the Service. An answer given before handle() returns
// is used as it is, without a trip through the executor's queue (a read's
// answer); a later one resumes the coroutine on its own executor.
net::awaitable<HttpResponse> handle_request(Service& service, HttpRequest req) {
  auto pending = std::make_shared<PendingAnswer>();
  service.handle(std::move(req), [pending](HttpResponse r) {
    std::unique_lock lock(pending->mu);
    if (!pending->waiting) {
      pending->early = std::move(r);
      return;
    }
    auto resume = std::move(pending->resume);
    lock.unlock();
    resume(std::move(r));
  });
  {
    std::lock_guard lock(pending->mu);
    if (pending->early) co_return std::move(*pending->early);
  }
  co_return co_await async_pending(pending, net::use_awaitable);
}

// Gives a piece of a streamed body to its sink; resumes with the sink's
// refusal, if it refuses.
template <typename Token>
auto async_sink_write(std::shared_ptr<BodySink> sink, std::string piece, Token&& token) {
  return net::async_initiate<Token, void(std::optional<HttpResponse>)>(
      // NOLINTNEXTLINE(performance-unnecessary-value-param): moved into write()
      [](auto handler, std::shared_ptr<BodySink> s, std::string p) {
        s->write(std::move(p), resume_with<std::optional<HttpResponse>>(std::move(handler)));
      },
      token, std::move(sink), std::move(piece));
}

// Tells the sink the body is whole; resumes with its answer.
template <typename Token>
auto async_sink_finish(std::shared_ptr<BodySink> sink, Token&& token) {
  return net::async_initiate<Token, void(HttpResponse)>(
      // NOLINTNEXTLINE(performance-unnecessary-value-param): a shared owner for the call
      [](auto handler, std::shared_ptr<BodySink> s) { s->finish(resume_with<HttpResponse>(std::move(handler))); },
      token, std::move(sink));
}

// A streamed body is handed over in pieces of at least this much (the last
// one less).
constexpr std::size_t kStreamPiece = 256 * 1024;

// Answers `res` (which closes the connection) to a request whose body was
// not read whole, then reads and drops what the client is still sending (a
// little while, at most `drain` bytes), so that closing does not reset the
// connection before the client reads the answer. The scratch buffer is this
// session's own.
net::awaitable<void> answer_unread(beast::tcp_stream& stream, http::response<http::string_body>& res,
                                   std::size_t drain) {
  beast::error_code ec;
  co_await http::async_write(stream, res, net::redirect_error(net::use_awaitable, ec));
  stream.expires_after(std::chrono::seconds(2));
  std::size_t drained = 0;
  std::vector<char> scratch(16384);
  while (!ec && drained < drain) {
    std::size_t n = co_await stream.async_read_some(net::buffer(scratch), net::redirect_error(net::use_awaitable, ec));
    drained += n;
  }
}

// An answer of the service as Beast's.
http::response<http::string_body> beast_response(HttpResponse& r, unsigned version, const std::string& request_id) {
  http::response<http::string_body> res{static_cast<http::status>(r.status), version};
  res.set(http::field::content_type, r.content_type);
  res.set("X-Request-Id", request_id);
  for (auto& [k, v] : r.headers) res.set(k, v);
  res.body() = std::move(r.body);
  res.prepare_payload();
  return res;
}

std::string reason_phrase(int status) { return std::string(http::obsolete_reason(static_cast<http::status>(status))); }

// The head of a streamed answer. An export is sent in chunks (RFC 9112
// section 7.1), so that a client knows it has it whole only when the last,
// empty chunk arrives: a failure midway aborts the connection without it. The
// live feed runs until the connection closes.
std::string stream_head(const HttpResponse& r, const std::string& request_id) {
  std::string h = "HTTP/1.1 " + std::to_string(r.status) + " " + reason_phrase(r.status) + "\r\n";
  h += "Content-Type: " + r.content_type + "\r\n";
  h += "Cache-Control: no-store\r\nConnection: close\r\nX-Request-Id: " + request_id + "\r\n";
  if (r.stream == HttpResponse::Stream::live)
    h += "X-Accel-Buffering: no\r\n";
  else
    h += "Transfer-Encoding: chunked\r\n";
  for (auto& [k, v] : r.headers) h += k + ": " + v + "\r\n";
  h += "\r\n";
  return h;
}

// Ends a connection so that the client sees an error (a reset), not an end.
void abort_connection(beast::tcp_stream& stream) {
  beast::error_code ignored;
  stream.socket().set_option(net::socket_base::linger(true, 0), ignored);
  stream.socket().close(ignored);
}

// Whether the client of a live feed closed its side: the end of its stream,
// or an error on it. (Bytes it sends are left unread.)
bool peer_closed(beast::tcp_stream& stream) {
  char c;
  ssize_t n = ::recv(stream.socket().native_handle(), &c, 1, MSG_PEEK | MSG_DONTWAIT);
  return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
}

// At most one batch of text is held per subscriber: the next is read from the
// log only once the socket took the last one, so a client that does not read
// holds the feed still, and costs one batch of memory.
net::awaitable<void> stream_live(beast::tcp_stream& stream, Shared& sh, std::uint64_t from,
                                 const std::string& mentor_id) {
  beast::error_code ec;
  auto ex = co_await net::this_coro::executor;
  auto timer = std::make_shared<net::steady_timer>(ex);
  std::uint64_t waiting_for = 0;
  auto next_heartbeat = Clock::now() + kHeartbeat;
  while (!sh.stopping) {
    std::string text;
    StreamChunk chunk = sh.service.live_chunk(from, kLiveBatch, mentor_id, &text);
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
    // whether the client went away (so that it stops counting).
    auto now = Clock::now();
    if (now >= next_heartbeat) next_heartbeat = now + kHeartbeat;
    timer->expires_at(std::min(next_heartbeat, now + std::chrono::seconds(1)));
    if (waiting_for != from) {
      // Woken as soon as the read models cover `from`.
      waiting_for = from;
      sh.service.when_published(
          from, [timer](const Status&) { net::post(timer->get_executor(), [timer] { timer->cancel(); }); });
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

net::awaitable<void> stream_export(beast::tcp_stream& stream, Shared& sh, const HttpResponse& r) {
  beast::error_code ec;
  std::uint64_t from = r.from;
  std::string text;
  if (r.to == 0 && r.stream == HttpResponse::Stream::csv) text = csv_header();  // an empty ledger
  auto write_chunk = [&](std::string_view data) -> net::awaitable<bool> {
    char size[24];
    int n = std::snprintf(size, sizeof size, "%zx\r\n", data.size());
    std::array<net::const_buffer, 3> parts = {net::buffer(size, static_cast<std::size_t>(n)), net::buffer(data),
                                              net::buffer(std::string_view("\r\n"))};
    stream.expires_after(std::chrono::seconds(std::max(sh.options.idle_timeout_s, 30)));
    co_await net::async_write(stream, parts, net::redirect_error(net::use_awaitable, ec));
    co_return !ec;
  };
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
      if (!co_await write_chunk(text)) co_return;
      text.clear();
    }
    if (chunk.next <= from || chunk.next > r.to) break;
    from = chunk.next;
  }
  co_await write_chunk({});  // the last chunk, empty: the export is whole
}

// A file's bytes, in chunks of at most 256 KiB; a read error cuts the answer.
net::awaitable<void> stream_file(beast::tcp_stream& stream, Shared& sh, const HttpResponse& r) {
  beast::error_code ec;
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
    char size[24];
    int len = std::snprintf(size, sizeof size, "%zx\r\n", n);
    std::array<net::const_buffer, 3> parts = {net::buffer(size, static_cast<std::size_t>(len)),
                                              net::buffer(buf.data(), n), net::buffer(std::string_view("\r\n"))};
    stream.expires_after(std::chrono::seconds(std::max(sh.options.idle_timeout_s, 30)));
    co_await net::async_write(stream, parts, net::redirect_error(net::use_awaitable, ec));
    if (ec) co_return;
  }
  co_await net::async_write(stream, net::buffer(std::string_view("0\r\n\r\n")),
                            net::redirect_error(net::use_awaitable, ec));
}

net::awaitable<void> session(tcp::socket socket, Shared& sh) {
  CountedUnit connection(sh.connections);  // taken by the listener
  beast::tcp_stream stream(std::move(socket));
  beast::flat_buffer buffer;
  beast::error_code ec;
  for (;;) {
    http::request_parser<http::string_body> parser;
    // No limit while the header is read: a Content-Length over the route's
    // limit is refused below once the route is known (and, for a streamed
    // route, after the token and role: a 401 or 403 comes first). The body
    // is then read with the route's own limit (1 MiB but for the streamed
    // routes).
    parser.body_limit(std::numeric_limits<std::uint64_t>::max());  // (boost::none would refuse every body)
    parser.header_limit(64 * 1024);
    stream.expires_after(std::chrono::seconds(sh.options.idle_timeout_s));
    co_await http::async_read_header(stream, buffer, parser, net::redirect_error(net::use_awaitable, ec));
    // For the logs and metrics of the refusals below, before a Service sees it.
    auto early = [&parser] {
      return std::pair(method_label(std::string(parser.get().method_string())),
                       std::string(parser.get().target()).substr(0, 200));
    };
    HttpRequest req;
    // A route that reads its body as a stream: the token, the role and the
    // headers are checked now, before any of the body is read.
    std::optional<StreamedBody> streamed;
    std::size_t limit = kMaxBodyBytes;
    if (!ec) {
      if (std::string problem = transfer_coding_problem(parser); !problem.empty()) {
        // Nothing after this header can be trusted to be where it seems.
        auto res = closing_error(http::status::bad_request, "bad_request", problem);
        co_await http::async_write(stream, res, net::redirect_error(net::use_awaitable, ec));
        auto [label, target] = early();
        sh.service.metrics().request(label, "bad_framing", 400, 0);
        spdlog::info("{} {} 400 refused transfer coding", label, target);
        break;
      }
      auto& msg = parser.get();
      req.method = std::string(msg.method_string());
      req.target = std::string(msg.target());
      req.authorization = std::string(msg[http::field::authorization]);
      req.idempotency_key = std::string(msg["Idempotency-Key"]);
      req.if_match = std::string(msg[http::field::if_match]);
      req.last_event_id = std::string(msg["Last-Event-ID"]);
      req.request_id = std::string(msg["X-Request-Id"]);
      req.content_type = std::string(msg[http::field::content_type]);
      req.filename = std::string(msg["X-Filename"]);
      if (req.request_id.empty() || req.request_id.size() > 128) {
        char buf[24];
        std::snprintf(buf, sizeof buf, "r%llx", static_cast<unsigned long long>(sh.next_id++));
        req.request_id = buf;
      }
      if (req.method == "POST") streamed = sh.service.open_stream(req);
      if (streamed) limit = streamed->body_limit;
      auto length = parser.content_length();
      if (streamed && !streamed->sink) {
        // Refused before the body is read (401, 403, 400, 415): answer, close.
        auto started = Clock::now();
        HttpResponse& r = streamed->refusal;
        auto res = beast_response(r, msg.version(), req.request_id);
        res.keep_alive(false);
        co_await answer_unread(stream, res, limit + kMaxBodyBytes);
        double seconds = std::chrono::duration<double>(Clock::now() - started).count();
        sh.service.metrics().request(method_label(req.method), r.route.empty() ? "unknown" : r.route, r.status,
                                     seconds);
        spdlog::info("{} {} {} {:.2f}ms before the body {} id={}", req.method, req.target, r.status, seconds * 1000,
                     r.route, req.request_id);
        break;
      }
      if (length && *length > limit) {
        ec = http::error::body_limit;
      } else if (!streamed) {
        parser.body_limit(limit);
        if (!parser.is_done())
          co_await http::async_read(stream, buffer, parser, net::redirect_error(net::use_awaitable, ec));
      }
    }
    auto started = Clock::now();
    if (ec == http::error::end_of_stream || ec == beast::error::timeout || ec == net::error::eof) break;
    if (ec == http::error::body_limit) {
      // Answer and close: the rest of the body is not read (nor kept: a
      // streamed body's sink goes with what it took).
      streamed.reset();
      auto [label, target] = early();
      std::string over = std::to_string(limit >> 20) + " MiB";
      auto res = closing_error(http::status::payload_too_large, "payload_too_large", "the body is larger than " + over);
      co_await answer_unread(stream, res, std::max(4 * kMaxBodyBytes, limit + kMaxBodyBytes));
      sh.service.metrics().request(label, "payload_too_large", 413, 0);
      spdlog::info("{} {} 413 body over {}", label, target, over);
      break;
    }
    if (ec) {
      if (ec != net::error::operation_aborted && ec != net::error::connection_reset) {
        // A request that is not HTTP: say so, then close.
        http::response<http::string_body> res{http::status::bad_request, 11};
        res.set(http::field::content_type, "application/json");
        res.body() = R"({"error":{"code":"bad_request","message":"the request is not valid HTTP/1.1: )" + ec.message() +
                     R"(","details":{}}})";
        res.prepare_payload();
        res.keep_alive(false);
        beast::error_code ignored;
        co_await http::async_write(stream, res, net::redirect_error(net::use_awaitable, ignored));
      }
      break;
    }
    auto& msg = parser.get();
    bool keep_alive = msg.keep_alive();
    bool head = msg.method() == http::verb::head;
    std::string method = req.method, target = req.target, request_id = req.request_id;

    HttpResponse r;
    // A streamed body refused midway is not read to its end: the answer
    // closes the connection.
    bool unread = false;
    if (streamed) {
      if (beast::iequals(msg[http::field::expect], "100-continue")) {
        // The client waits for this before it sends the body (curl does).
        stream.expires_after(std::chrono::seconds(sh.options.idle_timeout_s));
        co_await net::async_write(stream, net::buffer(std::string_view("HTTP/1.1 100 Continue\r\n\r\n")),
                                  net::redirect_error(net::use_awaitable, ec));
        if (ec) break;
      }
      std::shared_ptr<BodySink> sink = std::move(streamed->sink);
      parser.body_limit(limit);
      std::optional<HttpResponse> refused;
      std::string& body = msg.body();
      while (!refused) {
        if (!parser.is_done()) {
          stream.expires_after(std::chrono::seconds(sh.options.idle_timeout_s));
          co_await http::async_read_some(stream, buffer, parser, net::redirect_error(net::use_awaitable, ec));
          if (ec) break;
          if (body.size() < kStreamPiece && !parser.is_done()) continue;
        }
        if (body.empty()) break;
        std::string piece(body);
        body.clear();  // keeps its room for the next piece
        refused = co_await async_sink_write(sink, std::move(piece), net::use_awaitable);
        if (parser.is_done()) break;
      }
      if (ec == http::error::body_limit) {
        auto res = closing_error(http::status::payload_too_large, "payload_too_large",
                                 "the body is larger than " + std::to_string(limit >> 20) + " MiB");
        sink.reset();  // nothing kept
        co_await answer_unread(stream, res, limit + kMaxBodyBytes);
        sh.service.metrics().request(method_label(method), streamed->refusal.route, 413, 0);
        spdlog::info("{} {} 413 body over {} MiB", method, target, limit >> 20);
        break;
      }
      if (ec) {
        // The client went, or stopped sending: nothing of the body is kept.
        sink.reset();
        sh.service.metrics().request(method_label(method), streamed->refusal.route, 499, 0);
        spdlog::info("{} {} body cut ({}) {} id={}", method, target, ec.message(), streamed->refusal.route, request_id);
        break;
      }
      ++sh.in_flight;
      if (refused) {
        r = std::move(*refused);
        unread = !parser.is_done();
      } else {
        r = co_await async_sink_finish(sink, net::use_awaitable);
      }
      sink.reset();
      if (r.route.empty()) r.route = streamed->refusal.route;
    } else {
      req.body = std::move(msg.body());
      ++sh.in_flight;
      r = co_await handle_request(sh.service, std::move(req));
    }
    double seconds = std::chrono::duration<double>(Clock::now() - started).count();
    sh.service.metrics().request(method_label(method), r.route.empty() ? "unknown" : r.route, r.status, seconds);
    spdlog::info("{} {} {} {:.2f}ms {} id={}", method, target, r.status, seconds * 1000, r.route, request_id);

    if (r.stream == HttpResponse::Stream::live && sh.live_subscribers.load() >= sh.options.max_live_subscribers) {
      r = HttpResponse{};
      r.status = 503;
      r.route = "GET /v1/events/live";
      r.body = R"({"error":{"code":"busy","message":"too many live feeds are open; retry later","details":{}}})";
      r.headers.emplace_back("Retry-After", "5");
    }
    if (r.stream != HttpResponse::Stream::none) {
      --sh.in_flight;
      std::optional<CountedUnit> subscription;
      if (r.stream == HttpResponse::Stream::live) {
        ++sh.live_subscribers;
        subscription.emplace(sh.live_subscribers);
      }
      std::string head_text = stream_head(r, request_id);
      co_await net::async_write(stream, net::buffer(head_text), net::redirect_error(net::use_awaitable, ec));
      if (!ec && !head) {
        if (r.stream == HttpResponse::Stream::live)
          co_await stream_live(stream, sh, r.from, r.mentor_id);
        else if (r.stream == HttpResponse::Stream::file)
          co_await stream_file(stream, sh, r);
        else
          co_await stream_export(stream, sh, r);
      }
      break;
    }

    auto res = beast_response(r, msg.version(), request_id);
    if (head) res.body().clear();
    if (unread) {
      res.keep_alive(false);
      co_await answer_unread(stream, res, limit + kMaxBodyBytes);
      --sh.in_flight;
      break;
    }
    bool close = !keep_alive || sh.stopping;
    res.keep_alive(!close);
    stream.expires_after(std::chrono::seconds(sh.options.idle_timeout_s));
    co_await http::async_write(stream, res, net::redirect_error(net::use_awaitable, ec));
    --sh.in_flight;
    if (ec || close) break;
  }
  beast::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
}

net::awaitable<void> listener(tcp::acceptor& acceptor, Shared& sh) {
  auto ex = co_await net::this_coro::executor;
  net::steady_timer pause(ex);
  beast::error_code ignored;
  // Accept errors (out of file descriptors, say) back off from 5 ms to 1 s
  // and are logged at most once every 10 s, with how many were not.
  auto backoff = std::chrono::milliseconds(0);
  auto last_log = Clock::time_point{};
  std::uint64_t unlogged = 0;
  auto full_logged = Clock::time_point{};
  for (;;) {
    if (sh.connections.load() >= sh.options.max_connections) {
      // At the cap: new connections wait in the listen queue until one ends.
      if (Clock::now() - full_logged > std::chrono::seconds(10)) {
        spdlog::warn("{} connections open, the most allowed (--max-connections): new ones wait", sh.connections.load());
        full_logged = Clock::now();
      }
      pause.expires_after(std::chrono::milliseconds(10));
      co_await pause.async_wait(net::redirect_error(net::use_awaitable, ignored));
      if (sh.stopping) co_return;
      continue;
    }
    beast::error_code ec;
    // Each connection on a strand of its own: its coroutine, its stream's
    // timeout handler and its writes never run at once on two threads.
    tcp::socket socket = co_await acceptor.async_accept(net::make_strand(acceptor.get_executor()),
                                                        net::redirect_error(net::use_awaitable, ec));
    if (ec) {
      if (sh.stopping || ec == net::error::operation_aborted) co_return;
      backoff = std::min<std::chrono::milliseconds>(std::chrono::seconds(1),
                                                    backoff.count() ? backoff * 2 : std::chrono::milliseconds(5));
      if (Clock::now() - last_log >= std::chrono::seconds(10)) {
        if (unlogged)
          spdlog::warn("accept: {} ({} more failures not logged); retrying in {} ms", ec.message(), unlogged,
                       backoff.count());
        else
          spdlog::warn("accept: {}; retrying in {} ms", ec.message(), backoff.count());
        last_log = Clock::now();
        unlogged = 0;
      } else {
        ++unlogged;
      }
      pause.expires_after(backoff);
      co_await pause.async_wait(net::redirect_error(net::use_awaitable, ignored));
      continue;
    }
    backoff = std::chrono::milliseconds(0);
    ++sh.connections;
    auto sex = socket.get_executor();
    net::co_spawn(sex, session(std::move(socket), sh), net::detached);
  }
}

// Raises the soft limit on open files to the hard limit, and returns it.
std::uint64_t raise_file_limit() {
  rlimit rl{};
  if (::getrlimit(RLIMIT_NOFILE, &rl) != 0) return 1024;
  if (rl.rlim_cur < rl.rlim_max) {
    rlimit raised = rl;
    raised.rlim_cur = rl.rlim_max;
    if (::setrlimit(RLIMIT_NOFILE, &raised) == 0) rl = raised;
  }
  return rl.rlim_cur == RLIM_INFINITY ? (1u << 20) : static_cast<std::uint64_t>(rl.rlim_cur);
}

}  // namespace

Status serve_http(Service& service, const HttpOptions& options) {
  auto colon = options.listen.rfind(':');
  if (colon == std::string::npos) return Status::invalid("--listen must be host:port, as 127.0.0.1:8080");
  std::string host = options.listen.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  int port = 0;
  try {
    port = std::stoi(options.listen.substr(colon + 1));
  } catch (...) {
    return Status::invalid("--listen: '" + options.listen.substr(colon + 1) + "' is not a port");
  }
  if (port < 0 || port > 65535) return Status::invalid("--listen: the port must be 0 to 65535");
  beast::error_code ec;
  auto address = net::ip::make_address(host, ec);
  if (ec) return Status::invalid("--listen: '" + host + "' is not an IP address");

  net::io_context ioc(options.threads);
  tcp::acceptor acceptor(ioc);
  tcp::endpoint endpoint(address, static_cast<unsigned short>(port));
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec) return Status::unavailable("cannot listen on " + options.listen + ": " + ec.message());
  auto bound = acceptor.local_endpoint();
  std::string where =
      (bound.address().is_v6() ? "[" + bound.address().to_string() + "]" : bound.address().to_string()) + ":" +
      std::to_string(bound.port());

  Shared sh{service, options};
  // The cap on connections stays below the file limit: the store, the logs
  // and accept itself need descriptors too.
  std::uint64_t files = raise_file_limit();
  std::uint64_t room = files > 128 ? files - 128 : files / 2;
  if (sh.options.max_connections <= 0)
    sh.options.max_connections = static_cast<int>(std::min<std::uint64_t>(room, 4096));
  if (static_cast<std::uint64_t>(sh.options.max_connections) > room)
    spdlog::warn("--max-connections {} is close to the limit of {} open files: accept will fail before the cap",
                 sh.options.max_connections, files);
  net::co_spawn(ioc, listener(acceptor, sh), net::detached);

  std::promise<int> signalled;
  net::signal_set signals(ioc, SIGINT, SIGTERM);
  signals.async_wait([&](const beast::error_code& e, int sig) {
    if (!e) signalled.set_value(sig);
  });

  std::vector<std::thread> threads;
  for (int i = 0; i < std::max(1, options.threads); ++i) threads.emplace_back([&ioc] { ioc.run(); });
  spdlog::info("listening on http://{} with {} I/O threads, at most {} connections", where, options.threads,
               sh.options.max_connections);
  if (options.on_listening) options.on_listening(where);

  int sig = signalled.get_future().get();
  spdlog::info("signal {}: shutting down", sig);
  sh.stopping = true;
  net::post(ioc, [&acceptor] {
    beast::error_code ignored;
    acceptor.close(ignored);
  });
  // Commands already queued are committed and answered; later ones are
  // refused as unavailable before anything is written.
  service.stop_writer();
  auto deadline = Clock::now() + std::chrono::seconds(options.shutdown_grace_s);
  while (sh.in_flight.load() > 0 && Clock::now() < deadline) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  if (sh.in_flight.load() > 0)
    spdlog::warn("{} requests still in flight at the end of the grace time", sh.in_flight.load());
  ioc.stop();
  for (auto& t : threads) t.join();
  service.stop();
  spdlog::info("stopped; head {}", service.store().head().position);
  return Status::ok();
}

}  // namespace pl
