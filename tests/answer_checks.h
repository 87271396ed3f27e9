// Checks of the answers written as text (render/views_json.h: budget_text,
// pairs_text, caps_text, outcome_text) against what the test reads itself:
// the text must be the JSON library's own text of the value it holds, and
// that value must be the one the test makes of the models' fields (or of the
// figures the text was written from), not of a second writer.
#pragma once

#include <doctest/doctest.h>

#include <algorithm>
#include <functional>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "base/dates.h"
#include "base/sha256.h"
#include "log/envelope.h"
#include "read/read_models.h"
#include "render/views_json.h"

namespace pl::test {

// The text parsed, once checked to be the JSON library's own text of the
// value it holds: keys sorted, no spaces, strings escaped as it escapes them.
inline nlohmann::json parsed(const std::string& text) {
  nlohmann::json j = nlohmann::json::parse(text);
  CHECK(text_of(j) == text);
  return j;
}

// A string as a JSON text gives it back (bytes that are not UTF-8 replaced).
inline std::string read_back(std::string_view s) {
  return nlohmann::json::parse(text_of(nlohmann::json(std::string(s)))).get<std::string>();
}

inline std::set<std::string> keys_of(const nlohmann::json& j) {
  std::set<std::string> out;
  for (auto& [k, v] : j.items()) out.insert(k);
  return out;
}

// What the invoices `of` accepts add up to, read from the invoices: invoiced
// and credited, of those not cancelled; paid, every payment.
struct InvoiceSums {
  std::int64_t invoiced = 0, credited = 0, paid = 0;
};
inline InvoiceSums invoice_sums(const ReadModels& rm, const std::function<bool(const InvoiceState&)>& of) {
  InvoiceSums out;
  for (auto& [iid, inv] : rm.core().invoices())
    if (of(inv)) {
      if (!inv.cancelled) {
        out.invoiced += inv.net_cents;
        out.credited += inv.credited_cents;
      }
      out.paid += inv.paid_cents;
    }
  return out;
}

// A pair's line in the pairs view, read from the models: the pair's state,
// its mentee's and mentor's, its invoices' and its programme's rules.
inline nlohmann::json pair_of_models(const ReadModels& rm, const PairState& p, std::int32_t today) {
  const MenteeState* mentee = State::find(rm.core().mentees(), p.mentee_id);
  const MentorState* mentor = State::find(rm.core().mentors(), p.mentor_id);
  const PairExtra* extra = State::find(rm.pairs(), p.id);
  const ProgrammeState* prog = State::find(rm.core().programmes(), p.programme_id);
  const std::int64_t hour_cap = prog ? prog->rules.hour_cap_minutes : 0;
  const std::int64_t fee_cap = prog ? prog->rules.fee_cap_cents : 0;
  const InvoiceSums sums = invoice_sums(rm, [&](const InvoiceState& inv) { return inv.pair_id == p.id; });
  std::int64_t sessions = 0;
  for (auto& s : p.sessions) sessions += !s.voided();
  const std::int64_t mentee_used = mentee ? mentee->minutes_used : p.minutes_used;
  const std::int64_t mentee_net = mentee ? mentee->net_invoiced_cents : p.net_invoiced_cents;
  const char* status = p.status == PairStatus::completed    ? "completed"
                       : p.status == PairStatus::terminated ? "terminated"
                       : today < p.start_date               ? "assigned"
                                                            : "active";
  PairStanding standing = pair_standing(p.status, p.start_date, p.end_date, p.last_session_date, today, hour_cap,
                                        fee_cap, mentee_used, mentee_net);
  std::vector<std::string> warnings(standing.warnings.begin(),
                                    standing.warnings.begin() + static_cast<long>(standing.warning_count));
  nlohmann::json j = {
      {"id", p.id},
      {"programme_id", p.programme_id},
      {"status", status},
      {"mentor_id", p.mentor_id},
      {"mentor_name", mentor ? rm.text(mentor->name) : ""},
      {"mentor_country", mentor ? mentor->country : ""},
      {"mentee_id", p.mentee_id},
      {"mentee_name", mentee ? rm.text(mentee->name) : ""},
      {"cluster_name", mentee ? rm.text(mentee->cluster_name) : ""},
      {"country", mentee ? mentee->country : ""},
      {"start_date", format_date(p.start_date)},
      {"end_date", format_date(p.end_date)},
      {"sessions", sessions},
      {"minutes_used", p.minutes_used},
      {"mentee_minutes_used", mentee_used},
      {"minutes_left", std::max<std::int64_t>(0, hour_cap - mentee_used)},
      {"last_session_date", p.last_session_date ? nlohmann::json(format_date(p.last_session_date)) : nullptr},
      {"report", p.report_submitted ? "submitted" : "missing"},
      {"agreed_fee_cents", p.agreed_fee_cents},
      {"invoiced_cents", sums.invoiced},
      {"credited_cents", sums.credited},
      {"paid_cents", sums.paid},
      {"fee_left_cents", p.agreed_fee_cents - p.net_invoiced_cents},
      {"warnings", warnings},
      {"override_reason", extra ? rm.text(extra->override_reason) : ""}};
  if (extra) j["topics"] = extra->topics;
  return j;
}

// The pairs view of `pid` as of the models' position, read from them (each
// pair the programme lists), the lines `keep` accepts: the JSON library's
// text of it.
inline std::string pairs_of_models(const ReadModels& rm, const std::string& pid, std::int32_t today,
                                   const std::function<bool(const nlohmann::json&)>& keep = {}) {
  nlohmann::json out = nlohmann::json::array();
  if (const ProgrammeIndex* idx = State::find(rm.programmes(), pid))
    for (auto& id : idx->pairs)
      if (const PairState* p = State::find(rm.core().pairs(), id)) {
        nlohmann::json j = pair_of_models(rm, *p, today);
        if (!keep || keep(j)) out.push_back(std::move(j));
      }
  return text_of(nlohmann::json{{"pairs", out}, {"position", rm.position()}, {"today", format_date(today)}});
}

// A mentee's caps answer (caps_text) against the models: the mentee's state,
// its invoices and its programme's rules.
inline void check_caps(const std::string& text, const ReadModels& rm, const MenteeState& m, std::uint64_t position) {
  const ProgrammeState* prog = State::find(rm.core().programmes(), m.programme_id);
  const std::int64_t hour_cap = prog ? prog->rules.hour_cap_minutes : 0;
  const std::int64_t fee_cap = prog ? prog->rules.fee_cap_cents : 0;
  const InvoiceSums sums = invoice_sums(rm, [&](const InvoiceState& inv) { return inv.mentee_id == m.id; });
  nlohmann::json want = {{"mentee_id", m.id},
                         {"position", position},
                         {"hours",
                          {{"cap_minutes", hour_cap},
                           {"used_minutes", m.minutes_used},
                           {"left_minutes", std::max<std::int64_t>(0, hour_cap - m.minutes_used)},
                           {"used", format_minutes(m.minutes_used)},
                           {"cap", format_minutes(hour_cap)}}},
                         {"fee",
                          {{"cap_cents", fee_cap},
                           {"agreed_cents", m.agreed_cents},
                           {"invoiced_cents", sums.invoiced},
                           {"credited_cents", sums.credited},
                           {"net_invoiced_cents", m.net_invoiced_cents},
                           {"paid_cents", sums.paid},
                           {"outstanding_cents", m.net_invoiced_cents - sums.paid},
                           {"left_cents", fee_cap - m.net_invoiced_cents}}}};
  CHECK(parsed(text) == want);
}

// The events a figure was summed from, as an answer lists them.
inline void check_entries(const nlohmann::json& j, const std::vector<Entry>& entries) {
  REQUIRE(j.is_array());
  REQUIRE(j.size() == entries.size());
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const Entry& e = entries[i];
    CHECK(j[i] == nlohmann::json{{"position", e.position},
                                 {"cents", e.cents},
                                 {"type", std::string(event_type_name(e.type))},
                                 {"date", format_date(e.date)}});
  }
}

inline void check_explain(const nlohmann::json& j, const Explain& ex) {
  CHECK(j.size() == 11);
  check_entries(j.at("agreed_cents"), ex.agreed);
  check_entries(j.at("invoiced_cents"), ex.invoiced);
  check_entries(j.at("credited_cents"), ex.credited);
  check_entries(j.at("paid_cents"), ex.paid);
  check_entries(j.at("vat_invoiced_cents"), ex.vat_invoiced);
  check_entries(j.at("vat_credited_cents"), ex.vat_credited);
  check_entries(j.at("vat_paid_cents"), ex.vat_paid);
  check_entries(j.at("verified_cents"), ex.verified);
  check_entries(j.at("certified_cents"), ex.certified);
  check_entries(j.at("deducted_cents"), ex.deducted);
  check_entries(j.at("corrected_cents"), ex.corrected);
}

// The figures of a budget's line or totals: each figure, and those made of
// them (net invoiced, outstanding, eligible).
inline std::set<std::string> check_figures(const nlohmann::json& j, const Figures& f, bool vat_eligible) {
  CHECK(j.at("agreed_cents") == f.agreed);
  CHECK(j.at("invoiced_cents") == f.invoiced);
  CHECK(j.at("credited_cents") == f.credited);
  CHECK(j.at("net_invoiced_cents") == f.invoiced - f.credited);
  CHECK(j.at("paid_cents") == f.paid);
  CHECK(j.at("outstanding_cents") == f.invoiced - f.credited - f.paid);
  CHECK(j.at("vat_invoiced_cents") == f.vat_invoiced);
  CHECK(j.at("vat_credited_cents") == f.vat_credited);
  CHECK(j.at("vat_paid_cents") == f.vat_paid);
  CHECK(j.at("vat_outstanding_cents") == f.vat_invoiced - f.vat_credited - f.vat_paid);
  CHECK(j.at("eligible_cents") ==
        (vat_eligible ? f.invoiced - f.credited + f.vat_invoiced - f.vat_credited : f.invoiced - f.credited));
  CHECK(j.at("verified_cents") == f.verified);
  CHECK(j.at("certified_cents") == f.certified);
  CHECK(j.at("deducted_cents") == f.deducted);
  CHECK(j.at("corrected_cents") == f.corrected);
  return {"agreed_cents",    "invoiced_cents",        "credited_cents",     "net_invoiced_cents",
          "paid_cents",      "outstanding_cents",     "vat_invoiced_cents", "vat_credited_cents",
          "vat_paid_cents",  "vat_outstanding_cents", "eligible_cents",     "verified_cents",
          "certified_cents", "deducted_cents",        "corrected_cents"};
}

// A budget's answer (budget_json, or with `months` budget_answer and
// budget_text) against the budget it was written from: every key, every
// figure, every line in order; with `explain`, every event of every figure.
inline void check_budget(const nlohmann::json& j, const Budget& b, bool explain,
                         const std::vector<MonthFigure>* months = nullptr, std::uint64_t position = 0) {
  std::set<std::string> top{"fee_cap_cents", "vat_eligible", "totals", "mentees", "mentors", "countries"};
  if (months) top.insert({"months", "position"});
  CHECK(keys_of(j) == top);
  CHECK(j.at("fee_cap_cents") == b.fee_cap_cents);
  CHECK(j.at("vat_eligible") == b.vat_eligible);
  const nlohmann::json& t = j.at("totals");
  std::set<std::string> want = check_figures(t, b.totals, b.vat_eligible);
  want.insert({"eu_share_cents", "own_share_cents", "certified_eu_share_cents", "cofunding_bp",
               "mentee_eu_share_sum_cents", "rounding_difference_cents", "rounding"});
  CHECK(t.at("eu_share_cents") == b.eu_share_cents);
  CHECK(t.at("own_share_cents") == b.own_share_cents);
  CHECK(t.at("certified_eu_share_cents") == b.certified_eu_share_cents);
  CHECK(t.at("cofunding_bp") == b.cofunding_bp);
  CHECK(t.at("mentee_eu_share_sum_cents") == b.mentee_eu_share_sum_cents);
  CHECK(t.at("rounding_difference_cents") == b.rounding_difference_cents);
  CHECK(t.at("rounding").get<std::string>().find("rounding_difference_cents") != std::string::npos);
  if (explain) {
    want.insert("explain");
    check_explain(t.at("explain"), b.explain);
  }
  CHECK(keys_of(t) == want);
  enum class Kind { mentee, mentor, country };
  auto check_lines = [&](const nlohmann::json& list, const std::vector<BudgetLine>& want_lines, Kind kind) {
    REQUIRE(list.size() == want_lines.size());
    for (std::size_t i = 0; i < want_lines.size(); ++i) {
      const nlohmann::json& l = list[i];
      const BudgetLine& w = want_lines[i];
      std::set<std::string> keys = check_figures(l, w.f, b.vat_eligible);
      keys.insert({"country", "eu_share_cents", "own_share_cents", "certified_eu_share_cents"});
      CHECK(l.at("country") == read_back(w.country));
      CHECK(l.at("eu_share_cents") == w.eu_share_cents);
      CHECK(l.at("own_share_cents") == w.f.eligible(b.vat_eligible) - w.eu_share_cents);
      CHECK(l.at("certified_eu_share_cents") == w.certified_eu_share_cents);
      if (!w.name.empty()) {
        keys.insert("name");
        CHECK(l.at("name") == read_back(w.name));
      }
      if (kind == Kind::mentee) {
        keys.insert({"mentee_id", "cap_cents", "left_cents"});
        CHECK(l.at("mentee_id") == read_back(w.key));
        CHECK(l.at("cap_cents") == b.fee_cap_cents);
        CHECK(l.at("left_cents") == b.fee_cap_cents - (w.f.invoiced - w.f.credited));
      } else if (kind == Kind::mentor) {
        keys.insert("mentor_id");
        CHECK(l.at("mentor_id") == read_back(w.key));
      }
      if (explain) {
        keys.insert("explain");
        check_explain(l.at("explain"), w.explain);
      }
      CHECK(keys_of(l) == keys);
    }
  };
  check_lines(j.at("mentees"), b.mentees, Kind::mentee);
  check_lines(j.at("mentors"), b.mentors, Kind::mentor);
  check_lines(j.at("countries"), b.countries, Kind::country);
  if (!months) return;
  REQUIRE(j.at("months").size() == months->size());
  for (std::size_t i = 0; i < months->size(); ++i)
    CHECK(j.at("months")[i] == nlohmann::json{{"month", read_back((*months)[i].month)},
                                              {"net_invoiced_cents", (*months)[i].net_invoiced_cents}});
  CHECK(j.at("position") == position);
}

}  // namespace pl::test
