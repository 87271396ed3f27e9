#include "http/service.h"

#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "base/checked.h"
#include "base/dates.h"
#include "domain/commands.h"
#include "http/api.h"
#include "http/json_commands.h"
#include "http/mentor_scope.h"
#include "read/replay.h"
#include "render/event_json.h"

namespace pl {

using nlohmann::json;

Result<std::unique_ptr<Service>> Service::open(const ServiceOptions& options) {
  std::unique_ptr<Service> s(new Service());
  std::string tokens_file = options.tokens_file.empty() ? options.data_dir + "/tokens.json" : options.tokens_file;
  auto tokens = TokenFile::open(tokens_file, options.data_dir);
  if (!tokens) return tokens.status();
  s->tokens_ = std::move(tokens).value();
  s->clock_ = options.clock ? options.clock : system_now_us;

  std::error_code ec;
  std::filesystem::create_directories(options.data_dir, ec);
  // Personal data: the data directory is its owner's alone.
  std::filesystem::permissions(options.data_dir, std::filesystem::perms::owner_all,
                               std::filesystem::perm_options::replace, ec);
  StoreOptions so;
  so.sync = options.sync;
  so.env = options.env;
  auto store = Store::open(options.data_dir + "/ledger", so);
  if (!store) return store.status();
  s->store_ = std::move(store).value();
  // The signed checkpoints' key: made with the ledger (or at the first open
  // of a ledger from before them).
  auto signer = Signer::open(options.data_dir, *s->store_);
  if (!signer) return signer.status();
  s->signer_ = std::move(signer).value();
  spdlog::info("signed checkpoints: origin {}, verifier key {}", s->signer_->origin(), s->signer_->verifier());
  // The keys of personal data: the master key made with the ledger.
  auto vault = Vault::open(options.data_dir, *s->store_, true);
  if (!vault) return vault.status();
  s->vault_ = std::move(vault).value();

  ProjectorOptions po;
  po.vault = s->vault_.get();
  po.checkpoint_every = options.checkpoint_every;
  Service* raw = s.get();
  po.on_publish = [raw](std::uint64_t position) { raw->on_published(position); };
  po.on_failure = [raw](const Status& why) { raw->on_publication_failed(why); };
  po.fault = options.projector_fault;
  auto projector = Projector::start(*s->store_, po);
  if (!projector) return projector.status();
  s->projector_ = std::move(projector).value();
  const auto& info = s->projector_->start_info();
  if (!info.checkpoint_ignored.empty()) spdlog::warn("read models checkpoint not used: {}", info.checkpoint_ignored);
  spdlog::info("read models at position {} (checkpoint {}, {} events replayed)", s->projector_->published_position(),
               info.checkpoint_position, info.replayed);
  s->publication_.published(s->projector_->published_position());

  WriterOptions wo;
  wo.vault = s->vault_.get();
  wo.clock = s->clock_;
  wo.on_commit = [raw](const State& st, Committed& c) {
    raw->metrics_.commit(c.count);
    raw->metrics_.set_head(st.position());
    spdlog::debug("commit: {} events, head {}", c.count, st.position());
    // The projector folds the envelopes the writer encoded rather than read
    // them back from the store.
    raw->projector_->notify(c.first, std::move(c.envelopes));
  };
  // The answers only register a wait for the read models (Api::command), so
  // they are given on the writer's thread: no thread between the commit and
  // the projector.
  wo.answer_inline = true;
  auto writer = Writer::start(*s->store_, wo);
  if (!writer) return writer.status();
  s->writer_ = std::move(writer).value();

  std::map<std::string, std::pair<std::string, std::string>> assets;  // name -> (content type, bytes)
  if (!options.web_dir.empty()) {
    static const std::map<std::string, std::string> kTypes = {{".html", "text/html; charset=utf-8"},
                                                              {".js", "text/javascript; charset=utf-8"},
                                                              {".css", "text/css; charset=utf-8"},
                                                              {".svg", "image/svg+xml"},
                                                              {".png", "image/png"}};
    std::error_code dir_ec;
    for (auto& entry : std::filesystem::directory_iterator(options.web_dir, dir_ec)) {
      auto type = kTypes.find(entry.path().extension().string());
      if (!entry.is_regular_file() || type == kTypes.end()) continue;
      std::ifstream in(entry.path(), std::ios::binary);
      std::stringstream bytes;
      bytes << in.rdbuf();
      assets[entry.path().filename().string()] = {type->second, bytes.str()};
    }
    if (assets.count("index.html") == 0)
      spdlog::warn("no dashboard in {}: / will say how to build it", options.web_dir);
  }

  Api::Parts parts;
  parts.store = s->store_.get();
  parts.projector = s->projector_.get();
  parts.writer = s->writer_.get();
  parts.metrics = &s->metrics_;
  parts.signer = s->signer_.get();
  parts.vault = s->vault_.get();
  parts.clock = s->clock_;
  parts.asof = options.asof;
  parts.asof.vault = s->vault_.get();
  parts.quota = {options.evidence_quota_bytes, options.evidence_total_bytes, options.disk_low_bytes, options.data_dir};
  parts.assets = std::move(assets);
  parts.tokens = s->tokens_.get();
  parts.publication = &s->publication_;
  parts.health = &s->health_;
  s->api_ = std::make_unique<Api>(std::move(parts));
  return s;
}

Service::~Service() { stop(); }

std::size_t Service::tokens() const { return tokens_->size(); }

std::optional<Principal> Service::authenticate(std::string_view token) { return tokens_->authenticate(token); }

void Service::handle(HttpRequest req, std::function<void(HttpResponse)> done) {
  api_->handle(std::move(req), std::move(done));
}

std::optional<StreamedBody> Service::open_stream(const HttpRequest& head) { return api_->open_stream(head); }

void Service::mark_unhealthy(const std::string& reason) { health_.mark_unhealthy(reason); }
void Service::clear_unhealthy() { health_.clear_unhealthy(); }
std::optional<std::string> Service::unhealthy() const { return health_.unhealthy(); }

void Service::on_published(std::uint64_t position) {
  metrics_.set_published(position);
  publication_.published(position);
}

void Service::on_publication_failed(const Status& why) {
  spdlog::error("the read models stopped at position {}: {}; commands are refused from now on", published_position(),
                why.to_string());
  publication_.failed(why);
}

std::optional<Status> Service::publication_failed() const { return publication_.publication_failed(); }

void Service::when_published(std::uint64_t position, std::function<void(const Status&)> fn) {
  publication_.when_published(position, std::move(fn));
}

std::uint64_t Service::published_position() const { return publication_.published_position(); }

namespace {

// At most this much text is made for one write of a stream: a client that
// does not read holds one such piece, no more.
constexpr std::size_t kMaxChunkBytes = 256 * 1024;
const std::string kChunkFull = "chunk_full";

}  // namespace

StreamChunk Service::stream_chunk(std::uint64_t from, std::uint64_t to, const std::string& mentor_id, std::string* out,
                                  const std::function<void(const EventView&, std::string*)>& render) {
  std::shared_ptr<const ReadModels> models;
  if (!mentor_id.empty()) models = projector_->snapshot();  // covers `to`: published before it was asked
  std::uint64_t next = from;
  Status st = store_->scan(from, to, [&](const EventView& e) {
    if (out->size() >= kMaxChunkBytes) return Status::make(Kind::unavailable, kChunkFull, "");
    next = e.position() + 1;
    if (!models || mentor_sees_stream(*models, mentor_id, e.stream())) render(e, out);
    return Status::ok();
  });
  if (!st && st.reason() == kChunkFull) st = Status::ok();
  if (st && next <= to && out->size() < kMaxChunkBytes)
    st = Status::corruption("the log ends at position " + std::to_string(next - 1) + ", before " + std::to_string(to));
  return {next, st};
}

StreamChunk Service::live_chunk(std::uint64_t from, std::size_t max, const std::string& mentor_id, std::string* out) {
  std::uint64_t upto = published_position();
  if (from > upto) return {from, Status::ok()};
  std::uint64_t to = std::min<std::uint64_t>(upto, from + max - 1);
  StreamChunk chunk = stream_chunk(from, to, mentor_id, out, [this](const EventView& e, std::string* text) {
    *text += "id: " + std::to_string(e.position()) + "\nevent: " + std::string(e.type_name()) +
             "\ndata: " + text_of(cloud_event(e, vault_.get())) + "\n\n";
  });
  if (!chunk.status) {
    spdlog::error("live feed: reading from {}: {}", from, chunk.status.to_string());
    mark_unhealthy("reading the log for the live feed failed near position " + std::to_string(chunk.next) + ": " +
                   chunk.status.message());
  }
  return chunk;
}

StreamChunk Service::export_chunk(HttpResponse::Stream kind, std::uint64_t from, std::uint64_t to, std::size_t max,
                                  const std::string& mentor_id, std::string* out) {
  if (from > to) return {from, Status::ok()};
  if (from == 1 && kind == HttpResponse::Stream::csv) *out += csv_header();
  std::uint64_t last = std::min<std::uint64_t>(to, from + max - 1);
  StreamChunk chunk = stream_chunk(from, last, mentor_id, out, [this, kind](const EventView& e, std::string* text) {
    if (kind == HttpResponse::Stream::csv)
      *text += csv_line(e, vault_.get());
    else
      *text += text_of(cloud_event(e, vault_.get())) + "\n";
  });
  if (!chunk.status) {
    spdlog::error("export: reading from {}: {}", from, chunk.status.to_string());
    mark_unhealthy("reading the log for an export failed near position " + std::to_string(chunk.next) + ": " +
                   chunk.status.message());
  }
  return chunk;
}

void Service::stop_writer() {
  if (writer_) writer_->stop();
}

void Service::stop() {
  stop_writer();
  if (api_) api_->stop();
  if (projector_) projector_->stop();
  // Anyone still waiting for a publication will not get one: answer them.
  publication_.stop();
  if (store_) {
    if (Status st = store_->flush(); !st) spdlog::warn("flush at shutdown: {}", st.to_string());
  }
}

}  // namespace pl
