// The service: every endpoint of API.md as a function from a request to a
// response, over the store, the single writer and the projector. No sockets
// here (server/http.cc carries requests in and answers out), so the whole API
// can be driven in tests without a network.
#pragma once

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <optional>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "ledger/writer.h"
#include "projections/projector.h"
#include "server/auth.h"
#include "server/metrics.h"

namespace pl {

inline constexpr std::size_t kMaxBodyBytes = 1 << 20;

// Every read model as JSON, as `ledger replay` prints it: per programme its
// rules and counts, mentees, applications, pairs, budget, hours and tours.
nlohmann::json read_models_json(const ReadModels& rm, std::int32_t today);

struct HttpRequest {
  std::string method;  // GET, POST, ...
  std::string target;  // path and query
  std::string authorization, idempotency_key, if_match, last_event_id, request_id;
  std::string body;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string route;  // the route's pattern, for logs and metrics
  // Streamed answers, written piece by piece by the HTTP layer.
  enum class Stream { none, live, ndjson, csv };
  Stream stream = Stream::none;
  std::uint64_t from = 0;  // first position
  std::uint64_t to = 0;    // export: last position
};

struct ServiceOptions {
  std::string data_dir;     // the store lives in data_dir/ledger
  std::string tokens_file;  // default: data_dir/tokens.json
  bool sync = true;
  std::uint64_t checkpoint_every = 100'000;
  // The dashboard's built assets (index.html, app.js, app.css), served at /.
  // Empty or missing: / says how to build them.
  std::string web_dir;
  // Microseconds since the epoch; default the system clock. Tests only.
  std::function<std::int64_t()> clock;
  // The store's RocksDB environment; tests put a fault-injecting one here.
  rocksdb::Env* env = nullptr;
};

class Service {
 public:
  // Opens the store, loads the tokens (refusing to start without any), starts
  // the projector and the writer.
  static Result<std::unique_ptr<Service>> open(const ServiceOptions& options);
  ~Service();

  // Answers a request; `done` is called exactly once, possibly on another
  // thread (writes are answered once durable and visible to reads).
  void handle(HttpRequest req, std::function<void(HttpResponse)> done);

  // Streaming: the text of up to `max` events from `from` on, no further than
  // `to`; returns the next position to read.
  std::uint64_t live_chunk(std::uint64_t from, std::size_t max, std::string* out) const;
  std::uint64_t export_chunk(HttpResponse::Stream kind, std::uint64_t from, std::uint64_t to, std::size_t max,
                             std::string* out) const;
  // The position the read models and the live feed have reached.
  std::uint64_t published_position() const;
  // Calls `fn` once the read models cover `position` (at once if they do).
  void when_published(std::uint64_t position, std::function<void()> fn);

  // Stops taking commands, commits and answers those queued (their callers
  // get their answers), then stops the projector (which saves a checkpoint)
  // and flushes the store. Idempotent.
  void stop_writer();
  void stop();

  Metrics& metrics() { return metrics_; }
  const Store& store() const { return *store_; }
  std::size_t tokens() const;
  // The principal of a bearer token. A token unknown to the loaded file makes
  // the service reread the file if it changed since (ledger token add while
  // serving), at most once a second.
  std::optional<Principal> authenticate(std::string_view token);

 private:
  Service() = default;
  void on_published(std::uint64_t position);
  void run_background();

  std::unique_ptr<Store> store_;
  std::unique_ptr<Projector> projector_;
  std::unique_ptr<Writer> writer_;
  mutable std::mutex tokens_mu_;
  Tokens tokens_;
  std::string tokens_file_;
  std::filesystem::file_time_type tokens_mtime_{};
  std::chrono::steady_clock::time_point tokens_checked_{};
  Metrics metrics_;
  std::function<std::int64_t()> clock_;

  mutable std::mutex wait_mu_;
  std::uint64_t published_ = 0;
  std::multimap<std::uint64_t, std::function<void()>> waiters_;

  // Slow reads (verify, as-of replays) run here, not on the I/O threads.
  std::mutex bg_mu_;
  std::condition_variable bg_cv_;
  std::vector<std::function<void()>> bg_queue_;
  bool bg_stopping_ = false;
  std::thread bg_thread_;

  std::map<std::string, std::pair<std::string, std::string>> assets_;  // name -> (content type, bytes)

  mutable std::mutex asof_mu_;
  std::vector<std::pair<std::uint64_t, std::shared_ptr<const ReadModels>>> asof_cache_;  // most recent last

  friend class Api;
  std::unique_ptr<class Api> api_;
};

}  // namespace pl
