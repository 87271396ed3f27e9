// The service: every endpoint of API.md as a function from a request to a
// response, over the store, the single writer and the projector. No sockets
// here (http/http.cc carries requests in and answers out), so the whole API
// can be driven in tests without a network.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "http/auth.h"
#include "http/health.h"
#include "http/message.h"
#include "http/metrics.h"
#include "http/publication.h"
#include "http/token_file.h"
#include "http/worker.h"
#include "log/signer.h"
#include "log/vault.h"
#include "read/asof.h"
#include "read/projector.h"
#include "writer/writer.h"

namespace pl {

struct ServiceOptions {
  // The data directory (created if missing, made mode 0700); the store lives
  // in data_dir/ledger. Required.
  // Default: ""
  std::string data_dir;
  // The tokens file, reread when it changes. Empty: data_dir/tokens.json.
  // Default: ""
  std::string tokens_file;
  // Sync every commit before it is acknowledged; with false, a machine crash
  // can lose acknowledged events (StoreOptions::sync).
  // Default: true
  bool sync = true;
  // Save the read models' checkpoint after this many events, at most once
  // every 30 s, on the projector's checkpoint thread (which keeps a copy of
  // the models of its own); 0: only at a clean stop, and no such copy
  // (ProjectorOptions::checkpoint_every).
  // Default: 100000
  std::uint64_t checkpoint_every = 100'000;
  // The dashboard's built assets (index.html, app.js, app.css), served at /.
  // Empty or missing: / says how to build them.
  // Default: ""
  std::string web_dir;
  // The time, in microseconds since the Unix epoch: what events are recorded
  // at, and the day reads without as_of are answered for. Tests only.
  // Empty: the system clock.
  // Default: empty
  std::function<std::int64_t()> clock;
  // The spacing of the as-of snapshots, and so the size from which a
  // programme gets them and a budget timeline (read/asof.h).
  // Default: AsOfOptions{}
  AsOfOptions asof;
  // The store's RocksDB environment (tests put a fault-injecting one here).
  // Not owned: it must outlive the Service. nullptr: RocksDB's default.
  // Default: nullptr
  rocksdb::Env* env = nullptr;
  // Evidence documents: the bytes of one uploader's documents attached to
  // nothing (413 evidence_quota_exceeded beyond), of every document stored
  // (507 evidence_storage_full), and the free space of the disk under which
  // no document is taken (507 disk_low) and /healthz fails.
  // Default: 256 MiB, 16 GiB, 512 MiB
  std::uint64_t evidence_quota_bytes = std::uint64_t{256} << 20;
  std::uint64_t evidence_total_bytes = std::uint64_t{16} << 30;
  std::uint64_t disk_low_bytes = std::uint64_t{512} << 20;
  // Tests only: ProjectorOptions::fault.
  // Default: empty
  std::function<Status(std::uint64_t)> projector_fault;
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
  // For the header of a request (its body not read): nullopt when its route
  // takes the body whole (then handle() it with its body); otherwise the
  // sink to give the body to, or the answer that refuses the request
  // (401, 403, 400, 415...) before its body is read. Synchronous.
  std::optional<StreamedBody> open_stream(const HttpRequest& head);

  // Streaming: the text of up to `max` events from `from` on, no further than
  // `to` (export) or the published position (live), leaving out what a
  // mentor may not see (`mentor_id` empty: nothing left out).
  StreamChunk live_chunk(std::uint64_t from, std::size_t max, const std::string& mentor_id, std::string* out);
  StreamChunk export_chunk(HttpResponse::Stream kind, std::uint64_t from, std::uint64_t to, std::size_t max,
                           const std::string& mentor_id, std::string* out);
  // The text of the events from `from` to `to` (fewer if the text reaches its
  // bound), leaving out what the mentor may not see.
  StreamChunk stream_chunk(std::uint64_t from, std::uint64_t to, const std::string& mentor_id, std::string* out,
                           const std::function<void(const EventView&, std::string*)>& render);
  // After a failed read of the store (corruption, storage error) or a failed
  // verify, /healthz answers 503 with the reason, until a verify passes.
  void mark_unhealthy(const std::string& reason);
  void clear_unhealthy();
  std::optional<std::string> unhealthy() const;
  // The position the read models and the live feed have reached.
  std::uint64_t published_position() const;
  // Calls `fn` once the read models cover `position` (at once if they do),
  // with ok; or, if the read models stopped for good before they covered it,
  // with why (at once if they already have). At stop(), those still waiting
  // are called with ok.
  void when_published(std::uint64_t position, std::function<void(const Status&)> fn);
  // Why the read models stopped for good (a failed read of the store), or
  // nullopt while they go on. From then on commands are refused.
  std::optional<Status> publication_failed() const;

  // Stops taking commands, commits and answers those queued (their callers
  // get their answers), then stops the projector (which saves a checkpoint)
  // and flushes the store. Idempotent.
  void stop_writer();
  void stop();

  Metrics& metrics() { return metrics_; }
  const Store& store() const { return *store_; }
  // The vault that opens the personal fields (null: none was given).
  const Vault* vault() const { return vault_.get(); }
  std::size_t tokens() const;
  // The principal of a bearer token. The tokens file is looked at again at
  // most once a second and reread when it changed, so a token added, removed
  // or given another role takes effect within a second or two without a
  // restart (a file that is gone refuses every token).
  std::optional<Principal> authenticate(std::string_view token);

 private:
  Service() = default;
  void on_published(std::uint64_t position);
  void on_publication_failed(const Status& why);

  std::unique_ptr<Store> store_;
  std::unique_ptr<Signer> signer_;
  std::unique_ptr<Vault> vault_;
  std::unique_ptr<Projector> projector_;
  std::unique_ptr<Writer> writer_;
  std::unique_ptr<TokenFile> tokens_;
  Metrics metrics_;
  std::function<std::int64_t()> clock_;
  Publication publication_;
  Health health_;

  std::unique_ptr<class Api> api_;
};

}  // namespace pl
