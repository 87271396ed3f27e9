// The Service's side of a session: a request handed to it and its answer
// awaited, and a streamed body read a little at a time and handed to its
// sink. (Beast and Asio: see http/http_internal.h.)
// Boost 1.74's asio/awaitable.hpp needs <utility> first with g++ 12.
// clang-format off
#include <utility>
// clang-format on

#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "http/http_internal.h"

namespace pl::http_impl {

namespace {

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

}  // namespace

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

namespace {

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

// Bytes of a streamed body are read this much at a time, and gathered into
// a piece only as they come: a client that sends slowly (or not at all)
// holds this and what it sent, not a piece's room.
constexpr std::size_t kBodyReadBytes = 16 * 1024;

}  // namespace

net::awaitable<HttpResponse> finish_body(std::shared_ptr<BodySink> sink) {
  co_return co_await async_sink_finish(std::move(sink), net::use_awaitable);
}

// Reads the body after the header `header` and gives it to `sink` in pieces
// of kStreamPiece (the last one less), each taken before the next is read.
// The body must come whole before `deadline`, and no read may wait more than
// the idle timeout: otherwise the read ends with a timeout (and the caller
// drops the sink, with what it took).
net::awaitable<BodyRead> read_streamed_body(beast::tcp_stream& stream, beast::flat_buffer& buffer,
                                            http::request_parser<http::string_body>& header,
                                            std::shared_ptr<BodySink> sink, std::size_t limit,
                                            Clock::time_point deadline, int idle_s) {
  BodyRead out;
  // A string body would reserve the whole Content-Length at once: the body
  // goes through a small buffer of its own instead.
  http::request_parser<http::buffer_body> parser(std::move(header));
  parser.body_limit(limit);
  std::vector<char> scratch(kBodyReadBytes);
  std::string piece;
  while (!parser.is_done()) {
    auto now = Clock::now();
    if (now >= deadline) {
      out.ec = beast::error::timeout;
      break;
    }
    stream.expires_at(std::min(deadline, now + std::chrono::seconds(idle_s)));
    parser.get().body().data = scratch.data();
    parser.get().body().size = scratch.size();
    co_await http::async_read_some(stream, buffer, parser, net::redirect_error(net::use_awaitable, out.ec));
    if (out.ec == http::error::need_buffer) out.ec = {};  // the scratch buffer is full: hand it on
    if (out.ec) break;
    piece.append(scratch.data(), scratch.size() - parser.get().body().size);
    if (piece.size() >= kStreamPiece || (parser.is_done() && !piece.empty())) {
      out.refused = co_await async_sink_write(sink, std::exchange(piece, std::string()), net::use_awaitable);
      if (out.refused) break;
    }
  }
  out.whole = parser.is_done();
  co_return out;
}

}  // namespace pl::http_impl
