// Pairs and their invoices.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <optional>

#include "ledger/checked.h"
#include "ledger/commands.h"
#include "ledger/dates.h"
#include "server/api.h"
#include "server/event_json.h"

namespace pl {

using nlohmann::json;

void Api::pairs(Ctx& c) {
  with_models(c, [](Ctx& c2, const ReadModels& rm, std::int32_t today) {
    const ProgrammeIndex* idx = State::find(rm.programmes(), c2.params["pid"]);
    if (!idx) return c2.fail(404, "not_found", "no programme '" + c2.params["pid"] + "'");
    std::string status = c2.q("status"), mentor = c2.q("mentor_id"), mentee = c2.q("mentee_id"),
                country = c2.q("country");
    if (!status.empty() && status != "assigned" && status != "active" && status != "completed" &&
        status != "terminated")
      return c2.fail(400, "bad_request", "status must be assigned, active, completed or terminated");
    if (c2.who.role == "mentor") mentor = c2.who.mentor_id.empty() ? "-" : c2.who.mentor_id;
    json out = json::array();
    // With a mentee, its own pairs (in the same order) rather than every pair
    // of the programme looked up in turn.
    static const std::vector<std::string> kNone;
    const std::vector<std::string>* ids = &idx->pairs;
    if (!mentee.empty()) {
      const std::vector<std::string>* of_mentee = State::find(rm.pairs_of_mentee(), mentee);
      ids = of_mentee ? of_mentee : &kNone;
    }
    for (auto& id : *ids) {
      const PairState* p = State::find(rm.core().pairs(), id);
      if (!p || p->programme_id != c2.params["pid"]) continue;
      if (!mentor.empty() && p->mentor_id != mentor) continue;
      if (!mentee.empty() && p->mentee_id != mentee) continue;
      json j = pair_json(rm, *p, today);
      if (!status.empty() && j["status"] != status) continue;
      if (!country.empty() && j["country"] != country) continue;
      out.push_back(std::move(j));
    }
    c2.reply(json_response(200, {{"pairs", out}, {"position", rm.position()}, {"today", format_date(today)}}));
  });
}

void Api::pair(Ctx& c) {
  with_models(c, [](Ctx& c2, const ReadModels& rm, std::int32_t today) {
    const PairState* p = State::find(rm.core().pairs(), c2.params["pair"]);
    if (!p) return c2.fail(404, "not_found", "no pair '" + c2.params["pair"] + "'");
    std::string ex = c2.q("explain");
    json out = pair_json(rm, *p, today, true, ex == "1" || ex == "true");
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
