// The log and the audit: events, streams, the live feed, head, verify, export.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <optional>

#include "base/checked.h"
#include "base/dates.h"
#include "domain/commands.h"
#include "http/api.h"
#include "http/mentor_scope.h"
#include "render/event_json.h"
#include "render/subject_json.h"

namespace pl {

using nlohmann::json;

void Api::events(Ctx& c) {
  std::uint64_t from = 1, limit = 100;
  if (c.has("from") && !parse_u64(c.q("from"), &from)) return c.fail(400, "bad_request", "from must be a position");
  if (c.has("limit") && (!parse_u64(c.q("limit"), &limit) || limit < 1 || limit > 1000))
    return c.fail(400, "bad_request", "limit must be between 1 and 1000");
  from = std::max<std::uint64_t>(from, 1);
  std::string stream = c.q("stream"), type = c.q("type");
  if (!type.empty()) {
    bool known = false;
    for (int t = 1; t <= static_cast<int>(fb::Event::MAX); ++t)
      known = known || event_type_name(static_cast<fb::Event>(t)) == type;
    if (!known) return c.fail(400, "bad_request", "unknown event type '" + type + "'");
  }
  std::uint64_t upto = parts_.publication->published_position();
  std::shared_ptr<const ReadModels> models;
  if (c.is_mentor()) models = parts_.projector->snapshot();
  // One page: the events from `from` on that pass the filters, each read and
  // checked from the store.
  auto page = [this, from, limit, upto, stream, type, models](Ctx& c2) {
    json out = json::array();
    std::uint64_t next = 0;
    constexpr std::uint64_t kScanBudget = 100'000;  // events looked at per page, when filtering
    std::uint64_t scanned = 0, last = from - 1;
    static const std::string kFull = "page_full";
    Status st = parts_.store->scan(from, upto, [&](const EventView& e) {
      if (out.size() >= limit || scanned >= kScanBudget) return Status::make(Kind::unavailable, kFull, "");
      ++scanned;
      last = e.position();
      if (!stream.empty() && e.stream() != stream) return Status::ok();
      if (!type.empty() && e.type_name() != type) return Status::ok();
      if (models && !mentor_sees_stream(*models, c2.who.mentor_id, e.stream())) return Status::ok();
      out.push_back(proved_event(e, parts_.vault));
      return Status::ok();
    });
    if (!st && st.reason() != kFull) return c2.fail(st);
    if (last < upto) next = last + 1;
    c2.reply(json_response(200, {{"events", out}, {"next", next ? json(next) : json(nullptr)}, {"head", upto}}));
  };
  // An unfiltered page reads at most `limit` events: on the I/O thread. A
  // filtered one may look at up to 100,000: on the background thread of slow
  // reads, as as-of replays are (past 64 waiting: 503 busy).
  if (stream.empty() && type.empty() && !models) return page(c);
  auto shared = std::make_shared<Ctx>(std::move(c));
  bool posted = asof_worker_->post([shared, page] { page(*shared); });
  if (!posted) shared->fail(503, "busy", "too many slow reads are waiting; retry in a moment");
}

void Api::stream(Ctx& c) {
  std::string name = c.params["stream"];
  std::uint64_t upto = parts_.publication->published_position();
  auto evs = parts_.store->read_stream(name);
  if (!evs) return c.fail(evs.status());
  json out = json::array();
  for (auto& e : *evs)
    if (e.view().position() <= upto) out.push_back(proved_event(e.view(), parts_.vault));
  if (out.empty()) return c.fail(404, "not_found", "no stream '" + name + "'");
  c.reply(json_response(200, {{"stream", name}, {"events", out}}));
}

void Api::live(Ctx& c) {
  std::uint64_t from = 0;
  if (!c.req.last_event_id.empty()) {
    std::uint64_t last = 0;
    if (!parse_u64(c.req.last_event_id, &last)) return c.fail(400, "bad_request", "Last-Event-ID must be a position");
    from = last + 1;
  } else if (c.has("from")) {
    if (!parse_u64(c.q("from"), &from)) return c.fail(400, "bad_request", "from must be a position");
  } else {
    from = parts_.publication->published_position() + 1;  // from now on
  }
  HttpResponse r;
  r.stream = HttpResponse::Stream::live;
  r.content_type = "text/event-stream";
  r.mentor_id = c.stream_mentor();
  r.from = std::max<std::uint64_t>(from, 1);
  c.reply(std::move(r));
}

void Api::head(Ctx& c) { c.reply(json_response(200, head_json(parts_.store->head()))); }

void Api::verify(Ctx& c) {
  auto shared = std::make_shared<Ctx>(std::move(c));
  {
    std::lock_guard lock(verify_mu_);
    verify_waiters_.push_back([shared](const Result<VerifyReport>& rep) {
      if (!rep) return shared->fail(rep.status());
      json out = {{"ok", rep->ok}, {"checked", rep->checked}, {"head", head_json(rep->head)}};
      if (!rep->ok) {
        out["first_bad_position"] = rep->first_bad_position;
        out["problem"] = std::string(verify_problem_name(rep->problem));
        out["detail"] = rep->detail;
      }
      shared->reply(json_response(200, out));
    });
    if (verify_running_) return;  // answered with the report of the verify that runs
    verify_running_ = true;
  }
  auto finish = [this](const Result<VerifyReport>& rep) {
    std::vector<std::function<void(const Result<VerifyReport>&)>> waiters;
    {
      std::lock_guard lock(verify_mu_);
      waiters.swap(verify_waiters_);
      verify_running_ = false;
    }
    for (auto& w : waiters) w(rep);
  };
  bool posted = verify_worker_->post([this, finish] {
    VerifyReport rep = parts_.store->verify();
    // The documents found damaged are read again: one that is whole now
    // (restored under the server) leaves the faults /healthz reports.
    for (const auto& fault : parts_.store->evidence_faults()) (void)parts_.store->read_evidence(fault.first);
    if (!rep.ok)
      parts_.health->mark_unhealthy("verify found a problem at position " + std::to_string(rep.first_bad_position) +
                                    ": " + rep.detail);
    else
      parts_.health->clear_unhealthy();
    finish(rep);
  });
  // Refused: the worker stops, or it builds a pack with a job waiting
  // behind it (the verify lane holds one): busy, with Retry-After.
  if (!posted)
    finish(verify_worker_->stopping()
               ? Status::unavailable("the server is stopping")
               : Status::make(Kind::unavailable, "busy", "an audit pack is being built; retry in a moment"));
}

void Api::export_log(Ctx& c) {
  std::string format = c.has("format") ? c.q("format") : "ndjson";
  HttpResponse r;
  if (format == "ndjson") {
    r.stream = HttpResponse::Stream::ndjson;
    r.content_type = "application/x-ndjson";
  } else if (format == "csv") {
    r.stream = HttpResponse::Stream::csv;
    r.content_type = "text/csv; charset=utf-8";
  } else {
    return c.fail(400, "bad_request", "format must be ndjson or csv");
  }
  r.mentor_id = c.stream_mentor();
  r.from = 1;
  r.to = parts_.publication->published_position();  // a fixed extent: the log as it stood when asked
  r.headers.emplace_back("Content-Disposition", "attachment; filename=\"ledger-" + std::to_string(r.to) + "." +
                                                    (format == "csv" ? "csv" : "ndjson") + "\"");
  c.reply(std::move(r));
}

// The whole log is read for it: on the as-of worker, not an I/O thread.
void Api::subject_access(Ctx& c) {
  auto shared = std::make_shared<Ctx>(std::move(c));
  bool posted = asof_worker_->post([this, shared] {
    if (!parts_.vault)
      return shared->fail(503, "unavailable", "this server holds no vault: personal data cannot be read");
    auto doc = pl::subject_access(*parts_.store, *parts_.vault, shared->params["subject"]);
    if (!doc) return shared->fail(doc.status());
    shared->reply(json_response(200, *doc));
  });
  if (!posted) shared->fail(503, "busy", "too many long reads are waiting; retry in a moment");
}

}  // namespace pl
