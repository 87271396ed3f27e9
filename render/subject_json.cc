#include "render/subject_json.h"

#include "render/event_json.h"

namespace pl {

using json = nlohmann::json;

Result<json> subject_access(const Store& store, const Vault& vault, const std::string& subject) {
  json events = json::array(), documents = json::array();
  std::uint64_t head = 0;
  PL_RETURN_IF_ERROR(store.scan(1, 0, [&](const EventView& e) {
    head = e.position();
    const bool acted = e.actor_id() == subject;
    json named_in = json::array();
    if (const auto* sealed = e.env->sealed())
      for (const auto* f : *sealed) {
        bool theirs = false;
        for (const auto* s : *f->subjects()) theirs = theirs || std::string_view(s->data(), s->size()) == subject;
        if (!theirs) continue;
        const char* name = f->field() == 0 ? "actor" : sealed_field_name(e.type(), f->field());
        named_in.push_back(name ? name : std::to_string(f->field()));
      }
    const auto* erasure = e.as<fb::SubjectErased>();
    const bool erased_here = erasure && erasure->subject() && erasure->subject()->str() == subject;
    if (!acted && named_in.empty() && !erased_here) return Status::ok();
    json ev = cloud_event(e, &vault);
    if (const auto* attached = e.as<fb::EvidenceAttached>(); attached && !named_in.empty())
      documents.push_back({{"sha256", attached->sha256() ? attached->sha256()->str() : std::string()},
                           {"position", e.position()},
                           {"filename", ev["data"].value("filename", std::string())}});
    ev["named_in"] = std::move(named_in);
    ev["acted"] = acted;
    events.push_back(std::move(ev));
    return Status::ok();
  }));
  if (events.empty()) return Status::not_found("no event names '" + subject + "'");
  auto erased = vault.erased(subject);
  if (!erased) return erased.status();
  return json{{"subject", subject},
              {"erased", *erased},
              {"head", head},
              {"events", std::move(events)},
              {"documents", std::move(documents)}};
}

}  // namespace pl
