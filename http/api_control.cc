// The control of spending: evidence gaps, samples, findings, late entries
// (docs/CONTROL.md). Commands go through the route table; these are reads.
#include "base/dates.h"
#include "http/api.h"
#include "render/sample_json.h"

namespace pl {

using nlohmann::json;

void Api::evidence_gaps(Ctx& c) {
  with_models(c, [](Ctx& c2, const ReadModels& rm, std::int32_t) {
    if (!c2.programme_or_404(rm)) return;
    const ProgrammeState* p = State::find(rm.core().programmes(), c2.params["pid"]);
    json gaps = json::array();
    for (auto& g : pl::evidence_gaps(rm, p->id)) {
      json j = {{"step", g.step},
                {"kind", g.kind},
                {"entity", g.entity},
                {"entity_id", g.entity_id},
                {"position", g.position}};
      if (!g.session_id.empty()) j["session_id"] = g.session_id;
      if (!g.pair_id.empty()) j["pair_id"] = g.pair_id;
      if (!g.mentee_id.empty()) j["mentee_id"] = g.mentee_id;
      gaps.push_back(std::move(j));
    }
    c2.reply(json_response(
        200,
        {{"programme_id", p->id}, {"required", p->rules.evidence_required}, {"count", gaps.size()}, {"gaps", gaps}}));
  });
}

void Api::samples(Ctx& c) {
  with_models(c, [](Ctx& c2, const ReadModels& rm, std::int32_t) {
    const ProgrammeIndex* idx = c2.programme_or_404(rm);
    if (!idx) return;
    c2.reply(json_response(200, {{"samples", samples_json(rm, c2.params["pid"], *idx)}}));
  });
}

void Api::sample(Ctx& c) {
  with_models(c, [](Ctx& c2, const ReadModels& rm, std::int32_t) {
    const ProgrammeIndex* idx = c2.programme_or_404(rm);
    if (!idx) return;
    json s = sample_json(rm, c2.params["pid"], *idx, c2.params["sid"]);
    if (!s.is_null()) return c2.reply(json_response(200, s));
    c2.fail(404, "not_found", "no sample '" + c2.params["sid"] + "' in programme '" + c2.params["pid"] + "'");
  });
}

void Api::findings(Ctx& c) {
  with_models(c, [](Ctx& c2, const ReadModels& rm, std::int32_t) {
    const ProgrammeIndex* idx = c2.programme_or_404(rm);
    if (!idx) return;
    json out = json::array();
    std::int64_t found = 0, corrected = 0;
    for (auto& id : idx->findings)
      if (const FindingRow* f = State::find(rm.findings(), id)) {
        json j = finding_json(rm, *f);
        found = sat_add(found, f->amount_cents);
        corrected = sat_add(corrected, j["corrected_cents"].get<std::int64_t>());
        out.push_back(std::move(j));
      }
    c2.reply(json_response(200, {{"findings", out}, {"amount_cents", found}, {"corrected_cents", corrected}}));
  });
}

void Api::late_entries(Ctx& c) {
  std::int64_t days = 30;
  if (c.has("days")) {
    std::uint64_t d = 0;
    if (!parse_u64(c.q("days"), &d) || d > 3650)
      return c.fail(400, "bad_request", "days must be a whole number from 0 to 3650");
    days = static_cast<std::int64_t>(d);
  }
  with_models(c, [days](Ctx& c2, const ReadModels& rm, std::int32_t) {
    if (!c2.programme_or_404(rm)) return;
    json out = json::array();
    for (auto& e : pl::late_entries(rm, c2.params["pid"], static_cast<std::int32_t>(days))) {
      json j = {{"type", e.type},           {"entity", e.entity},
                {"entity_id", e.entity_id}, {"date", format_date(e.date)},
                {"position", e.position},   {"detail", e.detail}};
      if (!e.pair_id.empty()) j["pair_id"] = e.pair_id;
      if (e.recorded_at_us) j["recorded_at"] = format_instant(e.recorded_at_us);
      if (e.type == "session_late") j["days_late"] = e.days_late;
      out.push_back(std::move(j));
    }
    c2.reply(json_response(
        200, {{"programme_id", c2.params["pid"]}, {"days", days}, {"count", out.size()}, {"entries", out}}));
  });
}

}  // namespace pl
