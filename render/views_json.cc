// The renderings built as JSON values: rules, programmes, mentees,
// applications, invoices, evidence, findings, tours, hours, the head and every
// read model. The budget, caps and command answers: render/views_text.cc; the
// pairs: render/views_pairs.cc.
#include "render/views_json.h"

#include <algorithm>

#include "base/checked.h"
#include "base/dates.h"
#include "domain/commands.h"

namespace pl {

using nlohmann::json;

std::string text_of(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

json rules_json(const Rules& r) {
  json out = json::object();
  std::vector<RuleValue> values = rule_values(r);
  const auto& fields = rule_fields();
  for (std::size_t i = 0; i < fields.size(); ++i) {
    std::string key(fields[i].json_name);
    switch (fields[i].unit) {
      case RuleUnit::instant:
        out[key] = format_instant(values[i].number);
        break;
      case RuleUnit::strings:
        out[key] = values[i].strings;
        break;
      case RuleUnit::boolean:
        out[key] = values[i].number != 0;
        break;
      default:
        out[key] = values[i].number;
        break;
    }
  }
  return out;
}

json programme_json(const ReadModels& rm, const ProgrammeState& p) {
  json out = {{"id", p.id},
              {"name", p.name},
              {"coordinator", rm.text(p.coordinator)},
              {"rules_version", p.rules_version},
              {"closed", p.closed},
              {"rules", rules_json(p.rules)}};
  if (auto c = programme_counts(rm, p.id))
    out["counts"] = {{"mentees", c->mentees},
                     {"applications", c->applications},
                     {"mentors", c->mentors},
                     {"pairs", c->pairs},
                     {"pairs_active", c->pairs_active},
                     {"sessions", c->sessions},
                     {"minutes", c->minutes},
                     {"invoices", c->invoices},
                     {"tours", c->tours},
                     {"joint_meetings", c->joint_meetings}};
  Retention r = retention(rm, p.id);
  out["retention_years"] = p.rules.retention_years;
  out["last_payment_date"] = r.last_payment_date ? json(format_date(r.last_payment_date)) : json(nullptr);
  out["retain_until"] = r.retain_until ? json(format_date(r.retain_until)) : json(nullptr);
  return out;
}

json recorded_json(const ReadModels& rm, const Recorded& r) {
  return {{"position", r.position}, {"recorded_at", format_instant(r.at_us)}, {"recorded_by", rm.text(r.by)}};
}

json evidence_links_json(const ReadModels& rm, const std::vector<EvidenceLink>& links) {
  json out = json::array();
  for (auto& l : links) {
    json j = {{"sha256", l.sha256},
              {"kind", l.kind},
              {"entity", l.entity},
              {"entity_id", l.entity_id},
              {"filename", rm.text(l.filename)},
              {"content_type", l.content_type},
              {"size", l.size},
              {"position", l.position},
              {"recorded_at", format_instant(l.recorded_at_us)},
              {"recorded_by", rm.text(l.recorded_by)}};
    if (!l.session_id.empty()) j["session_id"] = l.session_id;
    if (!l.note.empty()) j["note"] = rm.text(l.note);
    out.push_back(std::move(j));
  }
  return out;
}

json correction_json(const ReadModels& rm, const CorrectionRow& c) {
  json j = {{"id", c.id},
            {"finding_id", c.finding_id},
            {"invoice_id", c.invoice_id},
            {"amount_cents", c.amount_cents},
            {"reason", rm.text(c.reason)}};
  j.update(recorded_json(rm, c.recorded));
  return j;
}

json finding_json(const ReadModels& rm, const FindingRow& f) {
  json corrections = json::array();
  std::int64_t corrected = 0;
  for (auto& c : f.corrections) {
    corrections.push_back(correction_json(rm, c));
    corrected = sat_add(corrected, c.amount_cents);
  }
  const InvoiceState* inv = State::find(rm.core().invoices(), f.invoice_id);
  json j = {{"id", f.id},
            {"source", f.source},
            {"invoice_id", f.invoice_id},
            {"pair_id", inv ? inv->pair_id : std::string()},
            {"mentee_id", inv ? inv->mentee_id : std::string()},
            {"positions", f.positions},
            {"error_type", f.error_type},
            {"amount_cents", f.amount_cents},
            {"description", rm.text(f.description)},
            {"corrected_cents", corrected},
            {"corrections", corrections}};
  j.update(recorded_json(rm, f.recorded));
  return j;
}

json tour_json(const ReadModels& rm, const std::string& id, const std::set<std::string, std::less<>>* mentees) {
  const TourState* t = State::find(rm.core().tours(), id);
  const TourExtra* x = State::find(rm.tours(), id);
  if (!t || !x) return nullptr;
  json participants = json::array(), people = json::array();
  for (auto& m : t->participants)
    if (!mentees || mentees->count(m)) participants.push_back(m);
  for (auto& person : x->people) {
    if (mentees && !mentees->count(person.mentee_id)) continue;
    json j = {{"kind", person.kind},          {"id", person.id},
              {"name", rm.text(person.name)}, {"organisation", rm.text(person.organisation)},
              {"country", person.country},    {"position", person.position}};
    if (!person.mentee_id.empty()) j["mentee_id"] = person.mentee_id;
    people.push_back(std::move(j));
  }
  return {{"id", id},
          {"region", x->region},
          {"host", x->host},
          {"start_date", format_date(x->start_date)},
          {"end_date", format_date(x->end_date)},
          {"topics", x->topics},
          {"participants", participants},
          {"people", people}};
}

json needs_json(const ReadModels& rm, const MenteeState& m) {
  if (!m.diagnosed) return nullptr;
  const NeedsExtra* x = State::find(rm.needs(), m.id);
  return {{"areas", m.needs}, {"note", x ? rm.text(x->note) : std::string()}, {"position", x ? x->position : 0}};
}

json mentee_json(const ReadModels& rm, const MenteeState& m) {
  const ProgrammeState* p = State::find(rm.core().programmes(), m.programme_id);
  std::int64_t hour_cap = p ? p->rules.hour_cap_minutes : 0, fee_cap = p ? p->rules.fee_cap_cents : 0;
  json pairs = json::array();
  if (auto* ps = State::find(rm.pairs_of_mentee(), m.id)) pairs = *ps;
  return {{"id", m.id},
          {"programme_id", m.programme_id},
          {"name", rm.text(m.name)},
          {"cluster_name", rm.text(m.cluster_name)},
          {"country", m.country},
          {"withdrawn", m.withdrawn},
          {"minutes_used", m.minutes_used},
          {"minutes_left", std::max<std::int64_t>(0, hour_cap - m.minutes_used)},
          {"agreed_cents", m.agreed_cents},
          {"net_invoiced_cents", m.net_invoiced_cents},
          {"fee_left_cents", fee_cap - m.net_invoiced_cents},
          {"active_pair", m.active_pair.empty() ? json(nullptr) : json(m.active_pair)},
          {"pairs", pairs},
          {"tours", m.tours},
          {"needs", needs_json(rm, m)}};
}

json application_json(const ReadModels& rm, const ApplicationState& a) {
  ApplicationRow row = application_row(rm, a);
  static const char* kStatus[] = {"submitted", "accepted", "rejected"};
  json out = {{"id", a.id},
              {"programme_id", a.programme_id},
              {"applicant_name", rm.text(a.applicant_name)},
              {"organisation", rm.text(a.organisation)},
              {"country", a.country},
              {"profile", fb::EnumNameProfile(a.profile)},
              {"years_experience", a.years_experience},
              {"quotation_cents", a.quotation_cents},
              {"received_at", format_instant(a.received_at_us)},
              {"status", kStatus[static_cast<int>(a.status)]},
              {"mentor_id", a.mentor_id.empty() ? json(nullptr) : json(a.mentor_id)},
              {"eligible", row.eligible},
              {"not_eligible_because", row.reasons}};
  if (row.extra) {
    out["email"] = rm.text(row.extra->email);
    out["knowledge_areas"] = row.extra->knowledge_areas;
    if (!row.extra->rejection_reason.empty()) out["rejection_reason"] = rm.text(row.extra->rejection_reason);
    out["evidence"] = evidence_links_json(rm, row.extra->evidence);
  }
  return out;
}

json invoice_json(const ReadModels& rm, const InvoiceState& inv) {
  json out = {{"id", inv.id},
              {"pair_id", inv.pair_id},
              {"mentor_id", inv.mentor_id},
              {"mentee_id", inv.mentee_id},
              {"number", inv.number},
              {"issue_date", format_date(inv.issue_date)},
              {"net_cents", inv.net_cents},
              {"vat_cents", inv.vat_cents},
              {"paid_cents", inv.paid_cents},
              {"credited_cents", inv.credited_cents},
              {"due_cents", inv.cancelled ? 0 : inv.due_cents()},
              {"vat_paid_cents", inv.vat_paid_cents},
              {"vat_credited_cents", inv.vat_credited_cents},
              {"vat_due_cents", inv.cancelled ? 0 : inv.vat_due_cents()},
              {"cancelled", inv.cancelled}};
  json payments = json::array(), credits = json::array();
  if (const InvoiceExtra* x = State::find(rm.invoices(), inv.id)) {
    out["position"] = x->issued_position;
    for (auto& p : x->payments)
      payments.push_back({{"paid_date", format_date(p.date)},
                          {"amount_cents", p.cents},
                          {"vat_cents", p.vat_cents},
                          {"position", p.position}});
    for (auto& c : x->credits)
      credits.push_back({{"id", c.id},
                         {"date", format_date(c.date)},
                         {"amount_cents", c.cents},
                         {"vat_cents", c.vat_cents},
                         {"reason", rm.text(c.reason)},
                         {"position", c.position}});
    if (x->cancelled_position) {
      out["cancelled_position"] = x->cancelled_position;
      out["cancel_reason"] = rm.text(x->cancel_reason);
    }
    out["evidence"] = evidence_links_json(rm, x->evidence);
    const VerificationRow& v = x->verification;
    if (v.recorded.position) {
      json vj = {{"certified_cents", v.certified_cents},
                 {"deducted_cents", v.deducted_cents},
                 {"error_type", v.error_type.empty() ? json(nullptr) : json(v.error_type)},
                 {"note", rm.text(v.note)},
                 {"sample_id", v.sample_id.empty() ? json(nullptr) : json(v.sample_id)}};
      vj.update(recorded_json(rm, v.recorded));
      vj["stale_position"] = v.stale_position ? json(v.stale_position) : json(nullptr);
      out["verification"] = vj;
    } else {
      out["verification"] = nullptr;
    }
    json corrections = json::array();
    for (auto& c : x->corrections) corrections.push_back(correction_json(rm, c));
    out["corrections"] = corrections;
  }
  out["corrected_cents"] = inv.corrected_cents;
  out["payments"] = payments;
  out["credit_notes"] = credits;
  return out;
}

json hours_answer(const ReadModels& rm, const std::string& programme_id, HoursBy by, std::string_view by_name,
                  const std::function<bool(const HoursGroup&)>& keep, bool explain) {
  json groups = json::array();
  std::int64_t total = 0;
  for (auto& g : hours(rm, programme_id, by, explain)) {
    if (keep && !keep(g)) continue;
    json row = {{"key", g.key}, {"minutes", g.minutes}, {"sessions", g.sessions}, {"hours", format_minutes(g.minutes)}};
    if (explain) {
      json ex = json::array();
      for (auto& e : g.explain)
        ex.push_back({{"position", e.position},
                      {"type", "SessionLogged"},
                      {"date", format_date(e.date)},
                      {"pair_id", e.pair_id},
                      {"session_id", e.session_id},
                      {"minutes", e.minutes}});
      row["explain"] = std::move(ex);
    }
    groups.push_back(std::move(row));
    add_to(total, g.minutes);
  }
  return {
      {"group_by", std::string(by_name)}, {"groups", groups}, {"total_minutes", total}, {"position", rm.position()}};
}

json head_json(const Head& h) {
  return {{"position", h.position},
          {"hash", to_hex(h.hash)},
          {"recorded_at", h.position ? json(format_instant(h.recorded_at_us)) : json(nullptr)}};
}

json read_models_json(const ReadModels& rm, std::int32_t today) {
  std::vector<const ProgrammeState*> ps;
  for (auto& [id, p] : rm.core().programmes()) ps.push_back(&p);
  std::sort(ps.begin(), ps.end(), [](auto* a, auto* b) { return a->id < b->id; });
  json programmes = json::array();
  for (auto* p : ps) {
    const ProgrammeIndex* idx = State::find(rm.programmes(), p->id);
    json j = programme_json(rm, *p);
    json mentees = json::array(), applications = json::array(), pairs = json::array(), tours = json::array();
    if (idx) {
      for (auto& id : idx->mentees)
        if (auto* m = State::find(rm.core().mentees(), id)) mentees.push_back(mentee_json(rm, *m));
      for (auto& id : idx->applications)
        if (auto* a = State::find(rm.core().applications(), id)) applications.push_back(application_json(rm, *a));
      for (auto& id : idx->pairs)
        if (auto* pr = State::find(rm.core().pairs(), id)) pairs.push_back(pair_json(rm, *pr, today, false));
      for (auto& id : idx->tours)
        if (json t = tour_json(rm, id); !t.is_null()) tours.push_back(std::move(t));
    }
    json hours_json = json::object();
    for (const char* by : {"mentee", "mentor", "month", "topic", "mode", "format"}) {
      json groups = json::array();
      for (auto& g : hours(rm, p->id, *parse_hours_by(by)))
        groups.push_back({{"key", g.key}, {"minutes", g.minutes}, {"sessions", g.sessions}});
      hours_json[by] = groups;
    }
    j["mentees"] = mentees;
    j["applications"] = applications;
    j["pairs"] = pairs;
    j["budget"] = budget_json(budget(rm, p->id, false), false);
    j["hours"] = hours_json;
    j["tours"] = tours;
    programmes.push_back(std::move(j));
  }
  return {{"position", rm.position()},
          {"recorded_at", rm.position() ? json(format_instant(rm.recorded_at_us())) : json(nullptr)},
          {"today", format_date(today)},
          {"programmes", programmes}};
}

}  // namespace pl
