#include "render/views_json.h"

#include <algorithm>
#include <charconv>
#include <cstring>

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
              {"coordinator", p.coordinator},
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

json recorded_json(const Recorded& r) {
  return {{"position", r.position}, {"recorded_at", format_instant(r.at_us)}, {"recorded_by", r.by}};
}

json evidence_links_json(const std::vector<EvidenceLink>& links) {
  json out = json::array();
  for (auto& l : links) {
    json j = {{"sha256", l.sha256},
              {"kind", l.kind},
              {"entity", l.entity},
              {"entity_id", l.entity_id},
              {"filename", l.filename},
              {"content_type", l.content_type},
              {"size", l.size},
              {"position", l.position},
              {"recorded_at", format_instant(l.recorded_at_us)},
              {"recorded_by", l.recorded_by}};
    if (!l.session_id.empty()) j["session_id"] = l.session_id;
    if (!l.note.empty()) j["note"] = l.note;
    out.push_back(std::move(j));
  }
  return out;
}

json correction_json(const CorrectionRow& c) {
  json j = {{"id", c.id},
            {"finding_id", c.finding_id},
            {"invoice_id", c.invoice_id},
            {"amount_cents", c.amount_cents},
            {"reason", c.reason}};
  j.update(recorded_json(c.recorded));
  return j;
}

json finding_json(const ReadModels& rm, const FindingRow& f) {
  json corrections = json::array();
  std::int64_t corrected = 0;
  for (auto& c : f.corrections) {
    corrections.push_back(correction_json(c));
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
            {"description", f.description},
            {"corrected_cents", corrected},
            {"corrections", corrections}};
  j.update(recorded_json(f.recorded));
  return j;
}

json explain_entries_json(const std::vector<Entry>& es) {
  json out = json::array();
  for (auto& e : es)
    out.push_back({{"position", e.position},
                   {"cents", e.cents},
                   {"type", std::string(event_type_name(e.type))},
                   {"date", format_date(e.date)}});
  return out;
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
    json j = {{"kind", person.kind},       {"id", person.id},
              {"name", person.name},       {"organisation", person.organisation},
              {"country", person.country}, {"position", person.position}};
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
  return {{"areas", m.needs}, {"note", x ? x->note : ""}, {"position", x ? x->position : 0}};
}

json mentee_json(const ReadModels& rm, const MenteeState& m) {
  const ProgrammeState* p = State::find(rm.core().programmes(), m.programme_id);
  std::int64_t hour_cap = p ? p->rules.hour_cap_minutes : 0, fee_cap = p ? p->rules.fee_cap_cents : 0;
  json pairs = json::array();
  if (auto* ps = State::find(rm.pairs_of_mentee(), m.id)) pairs = *ps;
  return {{"id", m.id},
          {"programme_id", m.programme_id},
          {"name", m.name},
          {"cluster_name", m.cluster_name},
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

json caps_json(const ReadModels& rm, const MenteeState& m) {
  const ProgrammeState* p = State::find(rm.core().programmes(), m.programme_id);
  std::int64_t hour_cap = p ? p->rules.hour_cap_minutes : 0, fee_cap = p ? p->rules.fee_cap_cents : 0;
  BudgetLine b = mentee_budget(rm, m, false);
  return {{"mentee_id", m.id},
          {"hours",
           {{"cap_minutes", hour_cap},
            {"used_minutes", m.minutes_used},
            {"left_minutes", std::max<std::int64_t>(0, hour_cap - m.minutes_used)},
            {"used", format_minutes(m.minutes_used)},
            {"cap", format_minutes(hour_cap)}}},
          {"fee",
           {{"cap_cents", fee_cap},
            {"agreed_cents", b.f.agreed},
            {"invoiced_cents", b.f.invoiced},
            {"credited_cents", b.f.credited},
            {"net_invoiced_cents", b.f.net()},
            {"paid_cents", b.f.paid},
            {"outstanding_cents", b.f.net() - b.f.paid},
            {"left_cents", fee_cap - b.f.net()}}}};
}

json application_json(const ReadModels& rm, const ApplicationState& a) {
  ApplicationRow row = application_row(rm, a);
  static const char* kStatus[] = {"submitted", "accepted", "rejected"};
  json out = {{"id", a.id},
              {"programme_id", a.programme_id},
              {"applicant_name", a.applicant_name},
              {"organisation", a.organisation},
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
    out["email"] = row.extra->email;
    out["knowledge_areas"] = row.extra->knowledge_areas;
    if (!row.extra->rejection_reason.empty()) out["rejection_reason"] = row.extra->rejection_reason;
    out["evidence"] = evidence_links_json(row.extra->evidence);
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
                         {"reason", c.reason},
                         {"position", c.position}});
    if (x->cancelled_position) {
      out["cancelled_position"] = x->cancelled_position;
      out["cancel_reason"] = x->cancel_reason;
    }
    out["evidence"] = evidence_links_json(x->evidence);
    const VerificationRow& v = x->verification;
    if (v.recorded.position) {
      json vj = {{"certified_cents", v.certified_cents},
                 {"deducted_cents", v.deducted_cents},
                 {"error_type", v.error_type.empty() ? json(nullptr) : json(v.error_type)},
                 {"note", v.note},
                 {"sample_id", v.sample_id.empty() ? json(nullptr) : json(v.sample_id)}};
      vj.update(recorded_json(v.recorded));
      vj["stale_position"] = v.stale_position ? json(v.stale_position) : json(nullptr);
      out["verification"] = vj;
    } else {
      out["verification"] = nullptr;
    }
    json corrections = json::array();
    for (auto& c : x->corrections) corrections.push_back(correction_json(c));
    out["corrections"] = corrections;
  }
  out["corrected_cents"] = inv.corrected_cents;
  out["payments"] = payments;
  out["credit_notes"] = credits;
  return out;
}

// A pair as JSON; with `detail`, its sessions and invoices too.
json pair_json(const ReadModels& rm, const PairState& p, std::int32_t today, bool detail, bool explain) {
  PairRow r = pair_row(rm, p, today);
  json out = {{"id", p.id},
              {"programme_id", p.programme_id},
              {"status", r.status},
              {"mentor_id", p.mentor_id},
              {"mentor_name", r.mentor ? r.mentor->name : ""},
              {"mentor_country", r.mentor ? r.mentor->country : ""},
              {"mentee_id", p.mentee_id},
              {"mentee_name", r.mentee ? r.mentee->name : ""},
              {"cluster_name", r.mentee ? r.mentee->cluster_name : ""},
              {"country", r.mentee ? r.mentee->country : ""},
              {"start_date", format_date(p.start_date)},
              {"end_date", format_date(p.end_date)},
              {"sessions", r.sessions},
              {"minutes_used", p.minutes_used},
              {"mentee_minutes_used", r.mentee ? r.mentee->minutes_used : p.minutes_used},
              {"minutes_left", r.mentee_minutes_left},
              {"last_session_date", p.last_session_date ? json(format_date(p.last_session_date)) : json(nullptr)},
              {"report", p.report_submitted ? "submitted" : "missing"},
              {"agreed_fee_cents", p.agreed_fee_cents},
              {"invoiced_cents", r.invoiced_cents},
              {"credited_cents", r.credited_cents},
              {"paid_cents", r.paid_cents},
              {"fee_left_cents", r.fee_left_cents},
              {"warnings", r.warnings}};
  if (r.extra) out["topics"] = r.extra->topics;
  out["override_reason"] = r.extra ? r.extra->override_reason : std::string();
  if (!detail) return out;
  out["session_count"] = r.sessions;
  json sessions = json::array(), invoices = json::array();
  for (std::size_t i = 0; i < p.sessions.size(); ++i) {
    const SessionState& s = p.sessions[i];
    // The read models keep one text per session, in the same order.
    const SessionText* text = r.extra && i < r.extra->sessions.size() ? &r.extra->sessions[i] : nullptr;
    json topics = json::array();
    for (auto t : s.topics) topics.push_back(rm.core().topic_names().at(t));
    json row = {{"id", s.id},
                {"date", format_date(s.date)},
                {"minutes", s.minutes},
                {"mode", fb::EnumNameMode(s.mode)},
                {"format", fb::EnumNameFormat(s.format)},
                {"topics", topics},
                {"summary", text ? text->summary : std::string()},
                {"position", s.position},
                {"voided", s.voided()}};
    if (s.voided()) {
      row["voided_position"] = s.voided_position;
      row["void_reason"] = text ? text->void_reason : std::string();
    }
    sessions.push_back(std::move(row));
  }
  if (r.extra) {
    for (auto& iid : r.extra->invoices)
      if (auto* inv = State::find(rm.core().invoices(), iid)) invoices.push_back(invoice_json(rm, *inv));
    if (r.extra->report_position) {
      out["report_language"] = r.extra->report_language;
      out["report_position"] = r.extra->report_position;
    }
    if (r.extra->ended_position) out["ended_position"] = r.extra->ended_position;
    if (!r.extra->end_reason.empty()) out["end_reason"] = r.extra->end_reason;
    out["evidence"] = evidence_links_json(r.extra->evidence);
  }
  out["sessions"] = sessions;
  out["invoices"] = invoices;
  if (explain) {
    Explain ex;
    pair_figures(rm, p, &ex);
    json minutes = json::array();
    for (auto& s : p.sessions)
      if (!s.voided())
        minutes.push_back({{"position", s.position},
                           {"type", "SessionLogged"},
                           {"date", format_date(s.date)},
                           {"session_id", s.id},
                           {"minutes", s.minutes}});
    out["explain"] = {{"agreed_fee_cents", explain_entries_json(ex.agreed)},
                      {"invoiced_cents", explain_entries_json(ex.invoiced)},
                      {"credited_cents", explain_entries_json(ex.credited)},
                      {"paid_cents", explain_entries_json(ex.paid)},
                      {"minutes_used", minutes}};
  }
  return out;
}

namespace {

json figures_json(const Figures& f, const Explain* ex, bool vat_eligible) {
  json out = {{"agreed_cents", f.agreed},
              {"invoiced_cents", f.invoiced},
              {"credited_cents", f.credited},
              {"net_invoiced_cents", f.net()},
              {"paid_cents", f.paid},
              {"outstanding_cents", f.net() - f.paid},
              {"vat_invoiced_cents", f.vat_invoiced},
              {"vat_credited_cents", f.vat_credited},
              {"vat_paid_cents", f.vat_paid},
              {"vat_outstanding_cents", f.vat_net() - f.vat_paid},
              {"eligible_cents", f.eligible(vat_eligible)},
              {"verified_cents", f.verified},
              {"certified_cents", f.certified},
              {"deducted_cents", f.deducted},
              {"corrected_cents", f.corrected}};
  if (ex)
    out["explain"] = {{"agreed_cents", explain_entries_json(ex->agreed)},
                      {"invoiced_cents", explain_entries_json(ex->invoiced)},
                      {"credited_cents", explain_entries_json(ex->credited)},
                      {"paid_cents", explain_entries_json(ex->paid)},
                      {"vat_invoiced_cents", explain_entries_json(ex->vat_invoiced)},
                      {"vat_credited_cents", explain_entries_json(ex->vat_credited)},
                      {"vat_paid_cents", explain_entries_json(ex->vat_paid)},
                      {"verified_cents", explain_entries_json(ex->verified)},
                      {"certified_cents", explain_entries_json(ex->certified)},
                      {"deducted_cents", explain_entries_json(ex->deducted)},
                      {"corrected_cents", explain_entries_json(ex->corrected)}};
  return out;
}

}  // namespace

namespace {
constexpr std::string_view kBudgetRounding =
    "EU share = eligible cost x cofunding_bp / 10000, rounded down to the cent; own share = the rest. The eligible "
    "cost is the net invoiced (VAT excluded), plus the VAT invoiced less VAT credited where the rules make VAT "
    "eligible (vat_eligible). Each mentee's share is rounded on its own, so their sum may fall short of the "
    "programme's by less than one cent per mentee: rounding_difference_cents.";
}  // namespace

json budget_json(const Budget& b, bool explain) {
  auto line = [&](const BudgetLine& l, const char* id_key) {
    json out = figures_json(l.f, explain ? &l.explain : nullptr, b.vat_eligible);
    out[id_key] = l.key;
    if (!l.name.empty()) out["name"] = l.name;
    out["country"] = l.country;
    out["eu_share_cents"] = l.eu_share_cents;
    out["own_share_cents"] = l.f.eligible(b.vat_eligible) - l.eu_share_cents;
    out["certified_eu_share_cents"] = l.certified_eu_share_cents;
    return out;
  };
  json totals = figures_json(b.totals, explain ? &b.explain : nullptr, b.vat_eligible);
  totals["eu_share_cents"] = b.eu_share_cents;
  totals["own_share_cents"] = b.own_share_cents;
  totals["certified_eu_share_cents"] = b.certified_eu_share_cents;
  totals["cofunding_bp"] = b.cofunding_bp;
  totals["mentee_eu_share_sum_cents"] = b.mentee_eu_share_sum_cents;
  totals["rounding_difference_cents"] = b.rounding_difference_cents;
  totals["rounding"] = kBudgetRounding;
  json mentees = json::array(), mentors = json::array(), countries = json::array();
  for (auto& l : b.mentees) {
    json j = line(l, "mentee_id");
    j["cap_cents"] = b.fee_cap_cents;
    j["left_cents"] = b.fee_cap_cents - l.f.net();
    mentees.push_back(std::move(j));
  }
  for (auto& l : b.mentors) mentors.push_back(line(l, "mentor_id"));
  for (auto& l : b.countries) countries.push_back(line(l, "country"));
  return {{"fee_cap_cents", b.fee_cap_cents},
          {"vat_eligible", b.vat_eligible},
          {"totals", totals},
          {"mentees", mentees},
          {"mentors", mentors},
          {"countries", countries}};
}

namespace {
// The months and the position, which every budget answer ends with.
void add_months(json& out, const std::vector<MonthFigure>& months, std::uint64_t position) {
  json by_month = json::array();
  for (auto& m : months) by_month.push_back({{"month", m.month}, {"net_invoiced_cents", m.net_invoiced_cents}});
  out["months"] = by_month;
  out["position"] = position;
}
}  // namespace

json budget_answer(const ReadModels& rm, const std::string& programme_id, bool explain) {
  json out = budget_json(budget(rm, programme_id, explain), explain);
  add_months(out, net_invoiced_by_month(rm, programme_id), rm.position());
  return out;
}

json budget_answer(const Budget& b, const std::vector<MonthFigure>& months, std::uint64_t position) {
  json out = budget_json(b, false);
  add_months(out, months, position);
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

json outcome_json(const CommandOutcome& o) {
  json events = json::array();
  for (auto& e : o.events)
    events.push_back({{"position", e.position},
                      {"stream", e.stream},
                      {"version", e.version},
                      {"type", std::string(event_type_name(e.type))},
                      {"hash", to_hex(e.hash)}});
  return {{"id", o.id}, {"events", events}};
}

namespace {

// Text written into a string through a cursor: each write makes room with
// one comparison (the string doubles when it must), then copies. The answers
// written so are megabytes, of short pieces: a std::string append per piece
// was most of their time.
class TextOut {
 public:
  explicit TextOut(std::size_t expect) { s_.resize(std::max<std::size_t>(expect, 64)); }
  TextOut& operator+=(char c) {
    room(1);
    s_[n_++] = c;
    return *this;
  }
  TextOut& operator+=(std::string_view v) {
    room(v.size());
    std::memcpy(s_.data() + n_, v.data(), v.size());
    n_ += v.size();
    return *this;
  }
  void num(std::int64_t v) {
    room(24);
    n_ = static_cast<std::size_t>(std::to_chars(s_.data() + n_, s_.data() + n_ + 24, v).ptr - s_.data());
  }
  // A date as "YYYY-MM-DD", quoted, as format_date() writes it.
  void date(std::int32_t days) {
    Ymd d = civil_from_days(days);
    if (d.year < 0 || d.year > 9999) {
      *this += '"';
      *this += format_date(days);
      *this += '"';
      return;
    }
    room(12);
    char* p = s_.data() + n_;
    auto two = [](char* at, unsigned v) {
      at[0] = static_cast<char>('0' + v / 10);
      at[1] = static_cast<char>('0' + v % 10);
    };
    p[0] = '"';
    two(p + 1, static_cast<unsigned>(d.year) / 100);
    two(p + 3, static_cast<unsigned>(d.year) % 100);
    p[5] = '-';
    two(p + 6, d.month);
    p[8] = '-';
    two(p + 9, d.day);
    p[11] = '"';
    n_ += 12;
  }
  // ,"k": (without the comma for the first key of an object).
  template <std::size_t N>
  [[gnu::always_inline]] void key(const char (&k)[N], bool first) {
    room(N + 3);
    char* p = s_.data() + n_;
    if (!first) *p++ = ',';
    *p++ = '"';
    std::memcpy(p, k, N - 1);
    p += N - 1;
    *p++ = '"';
    *p++ = ':';
    n_ = static_cast<std::size_t>(p - s_.data());
  }
  std::string take() {
    s_.resize(n_);
    return std::move(s_);
  }

 private:
  void room(std::size_t k) {
    if (s_.size() - n_ < k) s_.resize(std::max(s_.size() * 2, n_ + k));
  }
  std::string s_;
  std::size_t n_ = 0;
};

// A JSON string as text_of() writes it. Ids and streams are plain ASCII; any
// other text goes through the JSON library, so that escapes and the
// replacement of invalid UTF-8 stay the library's.
template <class Out>
void append_json_string(Out& out, std::string_view v) {
  bool plain =
      std::all_of(v.begin(), v.end(), [](char ch) { return ch >= 0x20 && ch < 0x7f && ch != '"' && ch != '\\'; });
  if (!plain) {
    out += text_of(json(std::string(v)));
    return;
  }
  out += '"';
  out += v;
  out += '"';
}

// "key":value pairs, each after a comma but the first. The keys are
// literals: their copies are of sizes known when compiled.
struct TextObject {
  TextOut& out;
  bool first = true;
  template <std::size_t N>
  [[gnu::always_inline]] void key(const char (&k)[N]) {
    out.key(k, first);
    first = false;
  }
  template <std::size_t N>
  [[gnu::always_inline]] void num(const char (&k)[N], std::int64_t v) {
    key(k);
    out.num(v);
  }
  template <std::size_t N>
  [[gnu::always_inline]] void str(const char (&k)[N], std::string_view v) {
    key(k);
    append_json_string(out, v);
  }
};

}  // namespace

std::string budget_text(const Budget& b, const std::vector<MonthFigure>& months, std::uint64_t position) {
  // The keys in the order the JSON library writes them (sorted), as
  // budget_json() and figures_json() name them.
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
  top.key("months");
  out += '[';
  for (std::size_t i = 0; i < months.size(); ++i) {
    out += i ? ",{" : "{";
    TextObject m{out};
    m.str("month", months[i].month);
    m.num("net_invoiced_cents", months[i].net_invoiced_cents);
    out += '}';
  }
  out += ']';
  top.key("position");
  out += std::to_string(position);
  top.key("totals");
  object(b.totals, nullptr, Line::totals);
  top.key("vat_eligible");
  out += b.vat_eligible ? "true" : "false";
  out += '}';
  return out.take();
}

std::string pairs_text(const std::vector<PairLine>& lines, std::uint64_t position, std::int32_t today) {
  // The keys in the order the JSON library writes them (sorted), as
  // pair_json() names them.
  TextOut out(64 + lines.size() * 700);
  out += "{\"pairs\":[";
  auto date = [&]<std::size_t N>(TextObject& o, const char(&k)[N], std::int32_t d, bool nullable = false) {
    o.key(k);
    if (d == 0 && nullable) {
      out += "null";
      return;
    }
    out.date(d);
  };
  auto strings = [&]<std::size_t N>(TextObject& o, const char(&k)[N], auto begin, auto end) {
    o.key(k);
    out += '[';
    for (auto it = begin; it != end; ++it) {
      if (it != begin) out += ',';
      append_json_string(out, *it);
    }
    out += ']';
  };
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const PairLine& l = lines[i];
    out += i ? ",{" : "{";
    TextObject o{out};
    o.num("agreed_fee_cents", l.agreed_fee_cents);
    o.str("cluster_name", l.cluster_name);
    o.str("country", l.country);
    o.num("credited_cents", l.credited_cents);
    date(o, "end_date", l.end_date);
    o.num("fee_left_cents", l.fee_left_cents);
    o.str("id", l.id);
    o.num("invoiced_cents", l.invoiced_cents);
    date(o, "last_session_date", l.last_session_date, true);
    o.str("mentee_id", l.mentee_id);
    o.num("mentee_minutes_used", l.mentee_minutes_used);
    o.str("mentee_name", l.mentee_name);
    o.str("mentor_country", l.mentor_country);
    o.str("mentor_id", l.mentor_id);
    o.str("mentor_name", l.mentor_name);
    o.num("minutes_left", l.minutes_left);
    o.num("minutes_used", l.minutes_used);
    o.str("override_reason", l.override_reason);
    o.num("paid_cents", l.paid_cents);
    o.str("programme_id", l.programme_id);
    o.str("report", l.report_submitted ? "submitted" : "missing");
    o.num("sessions", l.sessions);
    date(o, "start_date", l.start_date);
    o.str("status", l.standing.status);
    if (l.topics) strings(o, "topics", l.topics->begin(), l.topics->end());
    strings(o, "warnings", l.standing.warnings.begin(), l.standing.warnings.begin() + l.standing.warning_count);
    out += '}';
  }
  out += "],\"position\":";
  out += std::to_string(position);
  out += ",\"today\":\"";
  out += format_date(today);
  out += "\"}";
  return out.take();
}

std::string caps_text(const ReadModels& rm, const MenteeState& m, std::uint64_t position) {
  const ProgrammeState* p = State::find(rm.core().programmes(), m.programme_id);
  std::int64_t hour_cap = p ? p->rules.hour_cap_minutes : 0, fee_cap = p ? p->rules.fee_cap_cents : 0;
  BudgetLine b = mentee_budget(rm, m, false);
  // The keys in the order the JSON library writes them (sorted), as
  // caps_json() names them.
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
  top.num("position", static_cast<std::int64_t>(position));
  out += '}';
  return out.take();
}

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
