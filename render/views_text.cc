// The budget, a mentee's caps and a command's answer, each written once, by
// hand as text (render/text_out.h): the answers most asked, and a large
// programme's budget is megabytes. Where a JSON value of one is wanted, it is
// its text parsed.
#include <algorithm>
#include <string>
#include <utility>

#include "base/checked.h"
#include "base/dates.h"
#include "render/text_out.h"
#include "render/views_json.h"

namespace pl {

using nlohmann::json;

namespace {

constexpr std::string_view kBudgetRounding =
    "EU share = eligible cost x cofunding_bp / 10000, rounded down to the cent; own share = the rest. The eligible "
    "cost is the net invoiced (VAT excluded), plus the VAT invoiced less VAT credited where the rules make VAT "
    "eligible (vat_eligible). Each mentee's share is rounded on its own, so their sum may fall short of the "
    "programme's by less than one cent per mentee: rounding_difference_cents.";

// The events a figure was summed from: [{"cents", "date", "position", "type"}].
void write_entries(TextOut& out, const std::vector<Entry>& es) {
  out += '[';
  for (std::size_t i = 0; i < es.size(); ++i) {
    out += i ? ",{" : "{";
    TextObject o{out};
    o.num("cents", es[i].cents);
    o.key("date");
    out.date(es[i].date);
    o.unum("position", es[i].position);
    o.str("type", event_type_name(es[i].type));
    out += '}';
  }
  out += ']';
}

// Each figure's events, under the figure's name (in the names' order).
void write_explain(TextOut& out, const Explain& ex) {
  static constexpr std::pair<std::string_view, std::vector<Entry> Explain::*> kFigures[] = {
      {"agreed_cents", &Explain::agreed},
      {"certified_cents", &Explain::certified},
      {"corrected_cents", &Explain::corrected},
      {"credited_cents", &Explain::credited},
      {"deducted_cents", &Explain::deducted},
      {"invoiced_cents", &Explain::invoiced},
      {"paid_cents", &Explain::paid},
      {"vat_credited_cents", &Explain::vat_credited},
      {"vat_invoiced_cents", &Explain::vat_invoiced},
      {"vat_paid_cents", &Explain::vat_paid},
      {"verified_cents", &Explain::verified}};
  char before = '{';
  for (auto& [name, list] : kFigures) {
    out += before;
    before = ',';
    out += '"';
    out += name;
    out += "\":";
    write_entries(out, ex.*list);
  }
  out += '}';
}

// The budget (budget_json()); with `months`, its months and the position too
// (budget_answer()). With `explain`, each line and the totals list the events
// each figure was summed from (a parameter of the template: the answer
// without them is the one asked most, and largest).
template <bool explain>
std::string write_budget(const Budget& b, const std::vector<MonthFigure>* months, std::uint64_t position) {
  // The keys in the order the JSON library writes them (sorted).
  TextOut out(512 + (b.mentees.size() + b.mentors.size() + b.countries.size()) * 560);
  enum class Line { mentee, mentor, country, totals };
  auto object = [&](const Figures& f, const BudgetLine* l, Line kind) {
    out += '{';
    TextObject o{out};
    o.num("agreed_cents", f.agreed);
    if (kind == Line::mentee) o.num("cap_cents", b.fee_cap_cents);
    o.num("certified_cents", f.certified);
    o.num("certified_eu_share_cents", l ? l->certified_eu_share_cents : b.certified_eu_share_cents);
    if (kind == Line::totals) o.num("cofunding_bp", b.cofunding_bp);
    o.num("corrected_cents", f.corrected);
    if (l) o.str("country", l->country);
    o.num("credited_cents", f.credited);
    o.num("deducted_cents", f.deducted);
    o.num("eligible_cents", f.eligible(b.vat_eligible));
    o.num("eu_share_cents", l ? l->eu_share_cents : b.eu_share_cents);
    if constexpr (explain) {
      o.key("explain");
      write_explain(out, l ? l->explain : b.explain);
    }
    o.num("invoiced_cents", f.invoiced);
    if (kind == Line::mentee) {
      o.num("left_cents", b.fee_cap_cents - f.net());
      o.str("mentee_id", l->key);
    }
    if (kind == Line::totals) o.num("mentee_eu_share_sum_cents", b.mentee_eu_share_sum_cents);
    if (kind == Line::mentor) o.str("mentor_id", l->key);
    if (l && !l->name.empty()) o.str("name", l->name);
    o.num("net_invoiced_cents", f.net());
    o.num("outstanding_cents", f.net() - f.paid);
    o.num("own_share_cents", l ? f.eligible(b.vat_eligible) - l->eu_share_cents : b.own_share_cents);
    o.num("paid_cents", f.paid);
    if (kind == Line::totals) {
      o.key("rounding");
      append_json_string(out, kBudgetRounding);
      o.num("rounding_difference_cents", b.rounding_difference_cents);
    }
    o.num("vat_credited_cents", f.vat_credited);
    o.num("vat_invoiced_cents", f.vat_invoiced);
    o.num("vat_outstanding_cents", f.vat_net() - f.vat_paid);
    o.num("vat_paid_cents", f.vat_paid);
    o.num("verified_cents", f.verified);
    out += '}';
  };
  auto lines = [&](const std::vector<BudgetLine>& list, Line kind) {
    out += '[';
    for (std::size_t i = 0; i < list.size(); ++i) {
      if (i) out += ',';
      object(list[i].f, &list[i], kind);
    }
    out += ']';
  };
  out += "{\"countries\":";
  lines(b.countries, Line::country);
  TextObject top{out, false};
  top.num("fee_cap_cents", b.fee_cap_cents);
  top.key("mentees");
  lines(b.mentees, Line::mentee);
  top.key("mentors");
  lines(b.mentors, Line::mentor);
  if (months) {
    top.key("months");
    out += '[';
    for (std::size_t i = 0; i < months->size(); ++i) {
      out += i ? ",{" : "{";
      TextObject m{out};
      m.str("month", (*months)[i].month);
      m.num("net_invoiced_cents", (*months)[i].net_invoiced_cents);
      out += '}';
    }
    out += ']';
    top.unum("position", position);
  }
  top.key("totals");
  object(b.totals, nullptr, Line::totals);
  top.key("vat_eligible");
  out += b.vat_eligible ? "true" : "false";
  out += '}';
  return out.take();
}

// A mentee's caps (caps_json()); with `position`, the position too.
std::string write_caps(const ReadModels& rm, const MenteeState& m, const std::uint64_t* position) {
  const ProgrammeState* p = State::find(rm.core().programmes(), m.programme_id);
  std::int64_t hour_cap = p ? p->rules.hour_cap_minutes : 0, fee_cap = p ? p->rules.fee_cap_cents : 0;
  BudgetLine b = mentee_budget(rm, m, false);
  // The keys in the order the JSON library writes them (sorted).
  TextOut out(400 + m.id.size());
  out += "{\"fee\":{";
  TextObject fee{out};
  fee.num("agreed_cents", b.f.agreed);
  fee.num("cap_cents", fee_cap);
  fee.num("credited_cents", b.f.credited);
  fee.num("invoiced_cents", b.f.invoiced);
  fee.num("left_cents", fee_cap - b.f.net());
  fee.num("net_invoiced_cents", b.f.net());
  fee.num("outstanding_cents", b.f.net() - b.f.paid);
  fee.num("paid_cents", b.f.paid);
  out += "},\"hours\":{";
  TextObject hours{out};
  hours.str("cap", format_minutes(hour_cap));
  hours.num("cap_minutes", hour_cap);
  hours.num("left_minutes", std::max<std::int64_t>(0, hour_cap - m.minutes_used));
  hours.str("used", format_minutes(m.minutes_used));
  hours.num("used_minutes", m.minutes_used);
  out += '}';
  TextObject top{out, false};
  top.str("mentee_id", m.id);
  if (position) top.num("position", static_cast<std::int64_t>(*position));
  out += '}';
  return out.take();
}

}  // namespace

json explain_entries_json(const std::vector<Entry>& es) {
  TextOut out(16 + es.size() * 80);
  write_entries(out, es);
  return json::parse(out.take());
}

json budget_json(const Budget& b, bool explain) {
  return json::parse(explain ? write_budget<true>(b, nullptr, 0) : write_budget<false>(b, nullptr, 0));
}

json budget_answer(const ReadModels& rm, const std::string& programme_id, bool explain) {
  const std::vector<MonthFigure> months = net_invoiced_by_month(rm, programme_id);
  const Budget b = budget(rm, programme_id, explain);
  return json::parse(explain ? write_budget<true>(b, &months, rm.position())
                             : write_budget<false>(b, &months, rm.position()));
}

json budget_answer(const Budget& b, const std::vector<MonthFigure>& months, std::uint64_t position) {
  return json::parse(budget_text(b, months, position));
}

std::string budget_text(const Budget& b, const std::vector<MonthFigure>& months, std::uint64_t position) {
  return write_budget<false>(b, &months, position);
}

json caps_json(const ReadModels& rm, const MenteeState& m) { return json::parse(write_caps(rm, m, nullptr)); }

std::string caps_text(const ReadModels& rm, const MenteeState& m, std::uint64_t position) {
  return write_caps(rm, m, &position);
}

json outcome_json(const CommandOutcome& o) { return json::parse(outcome_text(o)); }

std::string outcome_text(const CommandOutcome& o) {
  // The keys in the order the JSON library writes them (sorted).
  std::string out = R"({"events":[)";
  out.reserve(64 + o.id.size() + o.events.size() * 160);
  bool first = true;
  for (auto& e : o.events) {
    out += first ? R"({"hash":")" : R"(,{"hash":")";
    first = false;
    out += to_hex(e.hash);
    out += R"(","position":)";
    out += std::to_string(e.position);
    out += R"(,"stream":)";
    append_json_string(out, e.stream);
    out += R"(,"type":)";
    append_json_string(out, event_type_name(e.type));
    out += R"(,"version":)";
    out += std::to_string(e.version);
    out += '}';
  }
  out += R"(],"id":)";
  append_json_string(out, o.id);
  out += '}';
  return out;
}

}  // namespace pl
