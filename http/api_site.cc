// Outside /v1: health, metrics, the dashboard's files; and /v1/me.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <optional>

#include "base/checked.h"
#include "base/dates.h"
#include "domain/commands.h"
#include "http/api.h"
#include "http/openapi.h"
#include "render/event_json.h"

namespace pl {

using nlohmann::json;

void Api::healthz(Ctx& c) {
  json out = {{"status", "ok"},
              {"head_position", parts_.store->head().position},
              {"published_position", parts_.publication->published_position()}};
  std::optional<std::string> why = parts_.health->unhealthy();
  if (!why)
    if (Status st = parts_.projector->status(); !st) why = "the read models stopped: " + st.message();
  auto free = quota_->disk_free();
  if (free) out["disk_free_bytes"] = *free;
  if (!why && free && quota_->disk_low(*free))
    why = "low disk: " + std::to_string(*free >> 20) + " MiB free under the data directory, below the threshold set";
  if (auto failing = parts_.store->evidence_write_failure(); !why && failing)
    why = "writing evidence documents fails: " + *failing;
  // A damaged document stays a fault until it is read whole again: a verify
  // of the events says nothing of it.
  if (auto faults = parts_.store->evidence_faults(); !why && !faults.empty())
    why = std::to_string(faults.size()) + " damaged evidence document" + (faults.size() > 1 ? "s" : "") + ", " +
          faults.begin()->second;
  if (why) {
    // After a failed read or verify: the ledger needs a look (ledger verify).
    out["status"] = "failing";
    out["reason"] = *why;
    return c.reply(json_response(503, out));
  }
  c.reply(json_response(200, out));
}

void Api::metrics(Ctx& c) {
  parts_.metrics->set_head(parts_.store->head().position);
  parts_.metrics->set_published(parts_.publication->published_position());
  HttpResponse r;
  r.content_type = "text/plain; version=0.0.4; charset=utf-8";
  r.body = parts_.metrics->render();
  // The background lanes of slow work: as-of reads, workbooks and filtered
  // event pages (asof); verify and audit packs (verify).
  r.body +=
      "# HELP ledger_worker_jobs_total Jobs started on a background lane of slow reads.\n"
      "# TYPE ledger_worker_jobs_total counter\n";
  for (auto [lane, w] : {std::pair{"asof", asof_worker_.get()}, std::pair{"verify", verify_worker_.get()}})
    r.body += std::string("ledger_worker_jobs_total{lane=\"") + lane + "\"} " + std::to_string(w->started()) + "\n";
  r.body +=
      "# HELP ledger_worker_refused_total Jobs a full or stopping background lane refused (503 busy or unavailable).\n"
      "# TYPE ledger_worker_refused_total counter\n";
  for (auto [lane, w] : {std::pair{"asof", asof_worker_.get()}, std::pair{"verify", verify_worker_.get()}})
    r.body += std::string("ledger_worker_refused_total{lane=\"") + lane + "\"} " + std::to_string(w->refused()) + "\n";
  r.body +=
      "# HELP ledger_asof_prepared Whether the as-of snapshots and timelines prepared at start are done (1) or "
      "being made on the as-of lane (0).\n"
      "# TYPE ledger_asof_prepared gauge\n"
      "ledger_asof_prepared " +
      std::string(asof_prepared_ ? "1" : "0") + "\n";
  c.reply(std::move(r));
}

void Api::index(Ctx& c) {
  c.params["file"] = "index.html";
  asset(c);
}

void Api::asset(Ctx& c) {
  auto it = parts_.assets.find(c.params["file"]);
  if (it == parts_.assets.end()) {
    if (c.params["file"] == "index.html") {
      HttpResponse r;
      r.status = 404;
      r.content_type = "text/plain; charset=utf-8";
      r.body =
          "The dashboard's assets were not built (npm and node are needed: cmake --build build --target web).\n"
          "The API is at /v1; see README.md.\n";
      r.headers.emplace_back("X-Frame-Options", "DENY");
      r.headers.emplace_back("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'");
      return c.reply(std::move(r));
    }
    return c.fail(404, "not_found", "no asset '" + c.params["file"] + "'");
  }
  HttpResponse r;
  r.content_type = it->second.first;
  r.body = it->second.second;
  r.headers.emplace_back("Cache-Control", "no-cache");
  r.headers.emplace_back("X-Content-Type-Options", "nosniff");
  // No other site may frame the dashboard (clickjacking).
  r.headers.emplace_back("X-Frame-Options", "DENY");
  r.headers.emplace_back("Content-Security-Policy",
                         "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src "
                         "'self'; connect-src 'self'; frame-ancestors 'none'");
  c.reply(std::move(r));
}

void Api::openapi(Ctx& c) {
  static const std::string text = openapi_document().dump(2) + "\n";
  HttpResponse r;
  r.body = text;
  r.headers.emplace_back("Cache-Control", "no-cache");
  c.reply(std::move(r));
}

void Api::me(Ctx& c) {
  json out = {{"name", c.who.name}, {"role", c.who.role}};
  if (!c.who.mentor_id.empty()) out["mentor_id"] = c.who.mentor_id;
  c.reply(json_response(200, out));
}

}  // namespace pl
