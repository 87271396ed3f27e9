#include "app/demo.h"

#include <atomic>
#include <fstream>
#include <sstream>

#include "base/dates.h"
#include "domain/decide.h"
#include "http/json_commands.h"
#include "writer/writer.h"

namespace pl {
namespace {

// Stores a demonstration document: {"filename", "content_type", "text"}.
Status upload(Store& store, const nlohmann::json& body, const std::string& uploader, std::int64_t at_us) {
  if (!body.contains("text") || !body["text"].is_string() || !body.contains("filename") ||
      !body.contains("content_type"))
    return Status::invalid("upload_evidence needs text, filename and content_type");
  auto up = store.begin_evidence(body["content_type"].get<std::string>(), body["filename"].get<std::string>(), uploader,
                                 at_us);
  if (!up) return up.status();
  PL_RETURN_IF_ERROR((*up)->write(body["text"].get<std::string>()));
  auto stored = (*up)->finish();
  return stored ? Status::ok() : stored.status();
}

}  // namespace

Result<DemoResult> load_demo(Store& store, Vault& vault, const std::string& file,
                             const std::function<void(std::uint64_t, std::uint64_t)>& progress) {
  DemoResult out;
  if (store.head().position > 0) {
    out.head = store.head();
    return out;
  }
  std::ifstream in(file, std::ios::binary);
  if (!in) return Status::not_found("cannot read the demonstration data " + file);
  std::stringstream text;
  text << in.rdbuf();
  auto doc = parse_json(text.str());
  if (!doc) return doc.status();
  const auto& steps = (*doc)["steps"];
  if (!steps.is_array()) return Status::invalid(file + " has no array 'steps'");

  std::atomic<std::int64_t> clock{0};
  WriterOptions wo;
  wo.vault = &vault;
  wo.clock = [&clock] { return clock.load(); };
  auto writer = Writer::start(store, wo);
  if (!writer) return writer.status();
  std::uint64_t n = 0, total = steps.size();
  for (const auto& s : steps) {
    ++n;
    auto where = [&](const Status& st) {
      return Status::make(
          st.kind(), st.reason(),
          "demo step " + std::to_string(n) + " (" + s.value("command", std::string("?")) + "): " + st.message());
    };
    auto at = parse_instant(s.value("at", std::string()));
    if (!at) return where(Status::invalid("no valid 'at' instant"));
    clock = *at;
    std::string actor = s.value("actor", std::string("coordinator"));
    Actor who{"demo-" + actor, actor, {}};
    if (s.value("command", std::string()) == "upload_evidence") {
      // A document for the steps after it (no event: POST /v1/evidence).
      if (Status st = upload(store, s.value("body", nlohmann::json::object()), who.name, *at); !st) return where(st);
      continue;
    }
    auto cmd = parse_command(s.value("command", std::string()), s.value("params", nlohmann::json::object()),
                             s.value("body", nlohmann::json::object()));
    if (!cmd) return where(cmd.status());
    if (Status st = complete_command(store, *cmd); !st) return where(st);
    auto r = (*writer)->execute(make_command(std::move(cmd).value(), who));
    if (!r) return where(r.status());
    if (progress && (n % 100 == 0 || n == total)) progress(n, total);
  }
  (*writer)->stop();
  out.loaded = true;
  out.steps = n;
  out.head = store.head();
  return out;
}

}  // namespace pl
