#include "http/http.h"

#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/resource.h>

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <cstdio>
#include <future>
#include <limits>
#include <mutex>
#include <thread>
#include <vector>

#include "http/http_internal.h"

namespace pl {

namespace http_impl {

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

namespace {

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

// The address of a connection's client, as the per-client limit counts it.
std::string client_address(const tcp::socket& socket) {
  beast::error_code ec;
  auto remote = socket.remote_endpoint(ec);
  return ec ? std::string("?") : remote.address().to_string();
}

// A session as others may close it (an idle one at the cap, every one at
// shutdown): the close runs on the session's strand, and does nothing once
// the session ended.
struct SessionHandle {
  beast::tcp_stream* stream = nullptr;  // null once the session ended; used on its strand only
};

// A session's place in the table, given back when it ends.
struct TableEntry {
  Shared& sh;
  std::shared_ptr<SessionHandle> handle = std::make_shared<SessionHandle>();
  std::uint64_t id = 0;
  explicit TableEntry(Shared& s) : sh(s) {}
  ~TableEntry() {
    handle->stream = nullptr;
    if (id) sh.table.leave(id);
  }
  TableEntry(const TableEntry&) = delete;
  TableEntry& operator=(const TableEntry&) = delete;
};

// An upload's slot, given back when it ends.
struct UploadSlot {
  SessionTable& table;
  std::string token;
  UploadSlot(SessionTable& t, std::string tok) : table(t), token(std::move(tok)) {}
  ~UploadSlot() { table.give_upload(token); }
  UploadSlot(const UploadSlot&) = delete;
  UploadSlot& operator=(const UploadSlot&) = delete;
};

// Answers `res` and closes: a session refused before its request is served.
net::awaitable<void> refuse(beast::tcp_stream& stream, Shared& sh, http::response<http::string_body>& res,
                            std::string_view label, std::string_view route, std::string_view why, std::size_t drain) {
  co_await answer_unread(stream, res, drain);
  sh.service.metrics().request(std::string(label), std::string(route), static_cast<int>(res.result_int()), 0);
  spdlog::info("{} {} {}", label, res.result_int(), why);
}

net::awaitable<void> session(tcp::socket socket, Shared& sh) {
  CountedUnit connection(sh.connections);  // taken by the listener
  std::string address = client_address(socket);
  beast::tcp_stream stream(std::move(socket));
  beast::flat_buffer buffer;
  beast::error_code ec;
  TableEntry entry(sh);
  entry.handle->stream = &stream;
  entry.id = sh.table.join(address, [handle = entry.handle, ex = stream.get_executor()] {
    net::post(ex, [handle] {
      if (handle->stream) handle->stream->close();
    });
  });
  if (entry.id == 0) {
    // One client may not hold every connection.
    auto res = closing_error(http::status::too_many_requests, "too_many_connections",
                             "this address has its most connections open (--max-connections-per-client); "
                             "retry once one is closed");
    res.set(http::field::retry_after, "1");
    stream.expires_after(std::chrono::seconds(2));
    co_await refuse(stream, sh, res, "other", "too_many_connections", "connections from " + address + " at the cap",
                    kMaxBodyBytes);
    co_return;
  }
  bool served = false;  // a request was answered: between two requests, the connection is idle
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
    bool idle = served && buffer.size() == 0;
    if (idle) sh.table.set_idle(entry.id, true);
    co_await http::async_read_header(stream, buffer, parser, net::redirect_error(net::use_awaitable, ec));
    if (idle) sh.table.set_idle(entry.id, false);
    // For the logs and metrics of the refusals below, before a Service sees it.
    auto early = [&parser] {
      return std::pair(method_label(std::string(parser.get().method_string())),
                       std::string(parser.get().target()).substr(0, 200));
    };
    HttpRequest req;
    // A route that reads its body as a stream: the token, the role and the
    // headers are checked now, before any of the body is read.
    std::optional<StreamedBody> streamed;
    std::optional<UploadSlot> upload;  // a streamed body's slot among those in progress
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
      if (streamed) {
        // Uploads in progress are capped per token and in all: each holds a
        // piece of memory and the store's work, however slowly it sends.
        auto taken = sh.table.take_upload(req.authorization);
        if (taken != SessionTable::Upload::taken) {
          bool token_full = taken == SessionTable::Upload::token_full;
          streamed->sink.reset();  // nothing kept
          auto res = token_full ? closing_error(http::status::too_many_requests, "too_many_uploads",
                                                "this token has its most uploads in progress "
                                                "(--max-uploads-per-token); retry once one is done")
                                : closing_error(http::status::service_unavailable, "busy",
                                                "the server has its most uploads in progress (--max-uploads); "
                                                "retry in a moment");
          res.set(http::field::retry_after, "5");
          co_await refuse(stream, sh, res, method_label(req.method), streamed->refusal.route,
                          token_full ? "uploads of this token at the cap" : "uploads at the cap",
                          limit + kMaxBodyBytes);
          break;
        }
        upload.emplace(sh.table, req.authorization);
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
    unsigned version = msg.version();  // msg is given up to read a streamed body
    std::string method = req.method, target = req.target, request_id = req.request_id;
    std::string authorization = req.authorization;

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
      auto deadline = started + std::chrono::seconds(sh.options.upload_timeout_s);
      BodyRead got =
          co_await read_streamed_body(stream, buffer, parser, sink, limit, deadline, sh.options.idle_timeout_s);
      ec = got.ec;
      std::optional<HttpResponse>& refused = got.refused;
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
        // The client went, or stopped sending, or sends too slowly: nothing
        // of the body is kept.
        sink.reset();
        if (ec == beast::error::timeout) {
          // Said if the socket is still open (a read that waited out its
          // time closed it).
          auto res = closing_error(http::status::request_timeout, "upload_timeout",
                                   "the body did not come whole within " + std::to_string(sh.options.upload_timeout_s) +
                                       " s (--upload-timeout), nor may a read of it wait more than " +
                                       std::to_string(sh.options.idle_timeout_s) + " s (--idle-timeout)");
          stream.expires_after(std::chrono::seconds(2));
          beast::error_code ignored;
          co_await http::async_write(stream, res, net::redirect_error(net::use_awaitable, ignored));
        }
        sh.service.metrics().request(method_label(method), streamed->refusal.route, 499, 0);
        spdlog::info("{} {} body cut ({}) {} id={}", method, target, ec.message(), streamed->refusal.route, request_id);
        break;
      }
      ++sh.in_flight;
      if (refused) {
        r = std::move(*refused);
        unread = !got.whole;
      } else {
        r = co_await finish_body(sink);
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
      if (!ec && !head) co_await write_stream(stream, sh, r, stream_token(sh.service, authorization));
      break;
    }

    auto res = beast_response(r, version, request_id);
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
    served = true;
  }
  beast::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
}

// Whether a connection waits in the listen queue to be accepted.
bool client_waiting(tcp::acceptor& acceptor) {
  pollfd p{acceptor.native_handle(), POLLIN, 0};
  return ::poll(&p, 1, 0) == 1 && (p.revents & POLLIN) != 0;
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
      // One that waits there takes the place of a connection idle between
      // two requests (the one idle longest), if there is one: holding a
      // connection open costs a client nothing.
      if (client_waiting(acceptor) && sh.connections.load() - sh.table.closing() >= sh.options.max_connections &&
          sh.table.close_longest_idle())
        spdlog::debug("at the cap: an idle connection closed for a new one");
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

}  // namespace http_impl

Status serve_http(Service& service, const HttpOptions& options) {
  using namespace http_impl;  // NOLINT(google-build-using-namespace): this file's own
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

  HttpOptions opts = options;
  // The cap on connections stays below the file limit: the store, the logs
  // and accept itself need descriptors too.
  std::uint64_t files = raise_file_limit();
  std::uint64_t room = files > 128 ? files - 128 : files / 2;
  if (opts.max_connections <= 0) opts.max_connections = static_cast<int>(std::min<std::uint64_t>(room, 4096));
  if (static_cast<std::uint64_t>(opts.max_connections) > room)
    spdlog::warn("--max-connections {} is close to the limit of {} open files: accept will fail before the cap",
                 opts.max_connections, files);
  if (opts.max_connections_per_client <= 0) opts.max_connections_per_client = std::max(8, opts.max_connections / 4);
  // What the sessions use lives longer than the I/O context: a session
  // still open when the context goes is destroyed with it, and its
  // destructors touch this state (the counts, the table).
  Shared sh{service, opts,
            SessionTable::Limits{opts.max_connections_per_client, opts.max_uploads, opts.max_uploads_per_token}};

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

  // The acceptor is used on one strand only: the accept loop runs there,
  // and the close at shutdown is posted there, never run beside an accept
  // on another of the I/O threads.
  auto accept_strand = net::make_strand(ioc);
  net::co_spawn(accept_strand, listener(acceptor, sh), net::detached);

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
  net::post(accept_strand, [&acceptor] {
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
  // The sessions left (idle, streaming, or past the grace) are closed, and
  // given a moment to end, each on its own strand.
  sh.table.close_all();
  auto closed_by = Clock::now() + std::chrono::seconds(2);
  while (sh.connections.load() > 0 && Clock::now() < closed_by)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  ioc.stop();
  for (auto& t : threads) t.join();
  service.stop();
  spdlog::info("stopped; head {}", service.store().head().position);
  return Status::ok();
}

}  // namespace pl
