// Pairs and their invoices.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <optional>

#include "base/checked.h"
#include "base/dates.h"
#include "domain/commands.h"
#include "http/api.h"
#include "render/event_json.h"

namespace pl {

using nlohmann::json;

namespace {

// The filters of a programme's pairs view, as the request gives them (a
// mentor: its own pairs only).
struct PairsFilter {
  std::string status, mentor, mentee, country;
  explicit PairsFilter(const Api::Ctx& c)
      : status(c.q("status")), mentor(c.q("mentor_id")), mentee(c.q("mentee_id")), country(c.q("country")) {
    if (c.who.role == "mentor") mentor = c.who.mentor_id.empty() ? "-" : c.who.mentor_id;
  }
  bool valid() const {
    return status.empty() || status == "assigned" || status == "active" || status == "completed" ||
           status == "terminated";
  }
  bool keep(const PairLine& l) const {
    return (mentor.empty() || l.mentor_id == mentor) && (mentee.empty() || l.mentee_id == mentee) &&
           (status.empty() || l.standing.status == status) && (country.empty() || l.country == country);
  }
};
constexpr const char* kBadStatus = "status must be assigned, active, completed or terminated";

}  // namespace

// Written straight to text (pairs_text), from the models or, as of a point,
// from the programme's timeline: a large programme's pairs are megabytes.
void Api::pairs(Ctx& c) {
  with_models(
      c,
      [](Ctx& c2, const ReadModels& rm, std::int32_t today) {
        const ProgrammeIndex* idx = c2.programme_or_404(rm);
        if (!idx) return;
        PairsFilter filter(c2);
        if (!filter.valid()) return c2.fail(400, "bad_request", kBadStatus);
        // With a mentee, its own pairs (in the same order) rather than every
        // pair of the programme looked up in turn.
        static const std::vector<std::string> kNone;
        const std::vector<std::string>* ids = &idx->pairs;
        if (!filter.mentee.empty()) {
          const std::vector<std::string>* of_mentee = State::find(rm.pairs_of_mentee(), filter.mentee);
          ids = of_mentee ? of_mentee : &kNone;
        }
        std::vector<PairLine> lines;
        lines.reserve(ids->size());
        for (auto& id : *ids) {
          const PairState* p = State::find(rm.core().pairs(), id);
          if (!p || p->programme_id != c2.params["pid"]) continue;
          if (!filter.mentor.empty() && p->mentor_id != filter.mentor) continue;
          PairLine l = pair_line(rm, *p, today);
          if (filter.keep(l)) lines.push_back(l);
        }
        c2.reply(text_response(200, pairs_text(lines, rm.position(), today)));
      },
      [this](Ctx& c2, const std::string& programme, std::uint64_t position, std::int32_t today) {
        if (programme != c2.params["pid"]) return false;
        PairsFilter filter(c2);
        auto answered = asof_models_->pairs_at(
            programme, position, today, [&](const PairLine& l) { return filter.keep(l); },
            [&](const BudgetTimeline::PairsAnswer& a) {
              if (!a.known) return c2.fail_no_programme(programme);
              if (!filter.valid()) return c2.fail(400, "bad_request", kBadStatus);
              c2.reply(text_response(200, pairs_text(a.lines, position, today)));
            });
        return answered && *answered;  // no timeline (or it could not be read): from the models
      });
}

void Api::pair(Ctx& c) {
  with_models(c, [](Ctx& c2, const ReadModels& rm, std::int32_t today) {
    const PairState* p = State::find(rm.core().pairs(), c2.params["pair"]);
    if (!p) return c2.fail(404, "not_found", "no pair '" + c2.params["pair"] + "'");
    json out = pair_json(rm, *p, today, true, c2.explain());
    out["position"] = rm.position();
    const PairExtra* x = State::find(rm.pairs(), p->id);
    out["stream_version"] = x ? x->stream_version : 0;  // as of the snapshot, like the rest
    c2.reply(json_response(200, out));
  });
}

void Api::invoice(Ctx& c) {
  with_models(c, [](Ctx& c2, const ReadModels& rm, std::int32_t) {
    const InvoiceState* inv = State::find(rm.core().invoices(), c2.params["iid"]);
    if (!inv) return c2.fail(404, "not_found", "no invoice '" + c2.params["iid"] + "'");
    json out = invoice_json(rm, *inv);
    const InvoiceExtra* x = State::find(rm.invoices(), inv->id);
    out["stream_version"] = x ? x->stream_version : 0;  // as of the snapshot, like the rest
    c2.reply(json_response(200, out));
  });
}

}  // namespace pl
