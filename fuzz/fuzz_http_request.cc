// Fuzz target: raw bytes read as an HTTP/1.1 request (Beast's parser, as the
// server reads them) and answered by the service, over a real store with
// the demonstration data and one token of each role.
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <future>
#include <memory>
#include <string>
#include <utility>

#include "app/demo.h"
#include "base/build_paths.h"
#include "http/auth.h"
#include "http/service.h"

namespace http = boost::beast::http;

namespace {
// Lives for the whole process and is never destroyed: destroying it among the
// exit handlers would race RocksDB's own static objects.
pl::Service* service = nullptr;
std::string coordinator;
}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  auto dir = std::filesystem::temp_directory_path() / ("ledger-fuzz-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  // Its ledger goes with the process (the service itself is never destroyed:
  // see above), whatever a background write of RocksDB does meanwhile.
  static std::filesystem::path made;
  made = dir;
  std::atexit([] {
    std::error_code ec;
    std::filesystem::remove_all(made, ec);
  });
  {
    auto store = pl::Store::open((dir / "ledger").string());
    if (!store) std::abort();
    auto vault = pl::Vault::open(dir.string(), **store, true);
    if (!vault) std::abort();
    if (!pl::load_demo(**store, **vault, pl::build_paths::demo_file)) std::abort();
  }
  auto token = pl::Tokens::add((dir / "tokens.json").string(), pl::Principal{"fuzz", "coordinator", ""});
  if (!token) std::abort();
  coordinator = *token;
  pl::ServiceOptions so;
  so.data_dir = dir.string();
  so.sync = false;
  auto s = pl::Service::open(so);
  if (!s) std::abort();
  service = std::move(s).value().release();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  http::request_parser<http::string_body> parser;
  parser.eager(true);
  parser.body_limit(pl::kMaxBodyBytes);
  boost::beast::error_code ec;
  parser.put(boost::asio::buffer(data, size), ec);
  if (ec || !parser.is_done()) return 0;
  auto& msg = parser.get();
  pl::HttpRequest req;
  req.method = std::string(msg.method_string());
  req.target = std::string(msg.target());
  // Requests that name no token are tried with the coordinator's, so that
  // the fuzzer reaches past authentication.
  req.authorization =
      msg[http::field::authorization].empty() ? "Bearer " + coordinator : std::string(msg[http::field::authorization]);
  req.idempotency_key = std::string(msg["Idempotency-Key"]);
  req.if_match = std::string(msg[http::field::if_match]);
  req.last_event_id = std::string(msg["Last-Event-ID"]);
  req.body = msg.body();
  std::promise<pl::HttpResponse> answered;
  auto done = answered.get_future();
  service->handle(std::move(req), [&answered](pl::HttpResponse r) { answered.set_value(std::move(r)); });
  if (done.wait_for(std::chrono::seconds(20)) != std::future_status::ready) std::abort();  // never answered
  pl::HttpResponse r = done.get();
  if (r.status < 200 || r.status > 599) std::abort();
  if (r.stream != pl::HttpResponse::Stream::none) {
    std::string out;
    if (r.stream == pl::HttpResponse::Stream::live)
      (void)service->live_chunk(r.from, 10, r.mentor_id, &out);
    else
      (void)service->export_chunk(r.stream, r.from, r.to, 10, r.mentor_id, &out);
  }
  return 0;
}
