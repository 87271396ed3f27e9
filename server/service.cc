#include "server/service.h"
#include "ledger/checked.h"

#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <nlohmann/json.hpp>

#include "ledger/commands.h"
#include "ledger/dates.h"
#include "projections/replay.h"
#include "server/event_json.h"
#include "server/json_commands.h"

namespace pl {

using nlohmann::json;

namespace {

constexpr std::size_t kAsOfCacheSize = 4;
constexpr std::size_t kMaxQueuedAsOf = 64;

// What tells that the tokens file changed: a rename (ledger token add and
// remove) makes a new inode; an edit in place changes the time or the size.
TokensFileStamp tokens_stamp(const std::string& file) {
  struct stat st {};
  if (::stat(file.c_str(), &st) != 0) return TokensFileStamp{};
  return TokensFileStamp{true, static_cast<std::uint64_t>(st.st_ino), static_cast<std::int64_t>(st.st_size),
                         static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec};
}



int http_status(const Status& st) {
  switch (st.kind()) {
    case Kind::ok: return 200;
    case Kind::invalid_argument: return 400;
    case Kind::not_found: return 404;
    case Kind::conflict: return 409;
    case Kind::rule: return 422;
    case Kind::io_error:
    case Kind::unavailable: return 503;
    case Kind::corruption:
    case Kind::internal: return 500;
  }
  return 500;
}

// JSON text; bytes that are not UTF-8 (say, echoed from a bad request) are
// replaced, never thrown on.
std::string text_of(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

HttpResponse json_response(int status, const json& body) {
  HttpResponse r;
  r.status = status;
  r.body = text_of(body);
  return r;
}

HttpResponse error_response(int status, const std::string& code, const std::string& message, json details = json::object()) {
  return json_response(status, {{"error", {{"code", code}, {"message", message}, {"details", std::move(details)}}}});
}

HttpResponse error_response(const Status& st) { return error_response(http_status(st), st.reason(), st.message()); }

int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Percent-decoding; false on a malformed escape.
bool url_decode(std::string_view in, std::string* out, bool plus_is_space) {
  out->clear();
  for (std::size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '%') {
      if (i + 2 >= in.size()) return false;
      int h = hexval(in[i + 1]), l = hexval(in[i + 2]);
      if (h < 0 || l < 0) return false;
      out->push_back(static_cast<char>(h * 16 + l));
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out->push_back(' ');
    } else {
      out->push_back(c);
    }
  }
  return true;
}

bool parse_u64(const std::string& s, std::uint64_t* out) {
  if (s.empty() || s.size() > 19) return false;
  std::uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<std::uint64_t>(c - '0');
  }
  *out = v;
  return true;
}

json rules_json(const Rules& r) {
  return {{"hour_cap_minutes", r.hour_cap_minutes},
          {"fee_cap_cents", r.fee_cap_cents},
          {"min_months", r.min_months},
          {"max_months", r.max_months},
          {"application_deadline", format_instant(r.application_deadline_us)},
          {"cofunding_bp", r.cofunding_bp},
          {"mentee_countries", r.mentee_countries},
          {"mentor_countries", r.mentor_countries},
          {"knowledge_areas", r.knowledge_areas},
          {"expert_min_years", r.expert_min_years},
          {"max_tours_per_mentee", r.max_tours_per_mentee}};
}

json programme_json(const ReadModels& rm, const ProgrammeState& p) {
  json out = {{"id", p.id},
              {"name", p.name},
              {"coordinator", p.coordinator},
              {"rules_version", p.rules_version},
              {"closed", p.closed},
              {"rules", rules_json(p.rules)}};
  if (const auto* idx = State::find(rm.programmes(), p.id)) {
    std::int64_t active = 0, sessions = 0, minutes = 0;
    for (auto& pid : idx->pairs)
      if (auto* pr = State::find(rm.core().pairs(), pid)) {
        active += pr->status == PairStatus::active;
        add_to(minutes, pr->minutes_used);
        for (auto& s : pr->sessions) sessions += !s.voided();
      }
    out["counts"] = {{"mentees", idx->mentees.size()},   {"applications", idx->applications.size()},
                     {"mentors", idx->mentors.size()},   {"pairs", idx->pairs.size()},
                     {"pairs_active", active},           {"sessions", sessions},
                     {"minutes", minutes},               {"invoices", idx->invoices.size()},
                     {"tours", idx->tours.size()},       {"joint_meetings", idx->meetings.size()}};
  }
  return out;
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
          {"tours", m.tours}};
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
              {"cancelled", inv.cancelled}};
  json payments = json::array(), credits = json::array();
  if (const InvoiceExtra* x = State::find(rm.invoices(), inv.id)) {
    out["position"] = x->issued_position;
    for (auto& p : x->payments)
      payments.push_back({{"paid_date", format_date(p.date)}, {"amount_cents", p.cents}, {"position", p.position}});
    for (auto& c : x->credits)
      credits.push_back({{"id", c.id}, {"amount_cents", c.cents}, {"reason", c.reason}, {"position", c.position}});
    if (x->cancelled_position) {
      out["cancelled_position"] = x->cancelled_position;
      out["cancel_reason"] = x->cancel_reason;
    }
  }
  out["payments"] = payments;
  out["credit_notes"] = credits;
  return out;
}

// Session summaries and void reasons are read from their own events, at the
// positions the snapshot names: an event never changes, so the text is the
// snapshot's. A failed read is the answer's failure, never an empty text.
Result<std::string> session_text(const Store& store, std::uint64_t position, fb::Event type) {
  auto ev = store.read_one(position);
  if (!ev) return ev.status();
  if (ev->view().type() != type)
    return Status::internal("position " + std::to_string(position) + " is not the " +
                            std::string(event_type_name(type)) + " event the read models name");
  if (type == fb::Event::SessionLogged) return std::string(EventView::sv(ev->view().as<fb::SessionLogged>()->summary()));
  return std::string(EventView::sv(ev->view().as<fb::SessionVoided>()->reason()));
}

// A pair as JSON; with `detail`, its sessions and invoices too, the sessions'
// texts read from `detail` (a failed read is returned in *failed).
json pair_json(const ReadModels& rm, const PairState& p, std::int32_t today, const Store* detail,
               Status* failed = nullptr) {
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
  if (!detail) return out;
  out["session_count"] = r.sessions;
  json sessions = json::array(), invoices = json::array();
  for (auto& s : p.sessions) {
    json topics = json::array();
    for (auto t : s.topics) topics.push_back(rm.core().topic_names().at(t));
    json row = {{"id", s.id},
                {"date", format_date(s.date)},
                {"minutes", s.minutes},
                {"mode", fb::EnumNameMode(s.mode)},
                {"format", fb::EnumNameFormat(s.format)},
                {"topics", topics},
                {"summary", ""},
                {"position", s.position},
                {"voided", s.voided()}};
    auto summary = session_text(*detail, s.position, fb::Event::SessionLogged);
    if (!summary) {
      if (failed) *failed = summary.status();
      return out;
    }
    row["summary"] = std::move(summary).value();
    if (s.voided()) {
      row["voided_position"] = s.voided_position;
      auto reason = session_text(*detail, s.voided_position, fb::Event::SessionVoided);
      if (!reason) {
        if (failed) *failed = reason.status();
        return out;
      }
      row["void_reason"] = std::move(reason).value();
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
  }
  out["sessions"] = sessions;
  out["invoices"] = invoices;
  return out;
}

json entries_json(const std::vector<Entry>& es) {
  json out = json::array();
  for (auto& e : es) out.push_back({{"position", e.position}, {"cents", e.cents}});
  return out;
}

json figures_json(const Figures& f, const Explain* ex) {
  json out = {{"agreed_cents", f.agreed},
              {"invoiced_cents", f.invoiced},
              {"credited_cents", f.credited},
              {"net_invoiced_cents", f.net()},
              {"paid_cents", f.paid},
              {"outstanding_cents", f.net() - f.paid}};
  if (ex)
    out["explain"] = {{"agreed_cents", entries_json(ex->agreed)},
                      {"invoiced_cents", entries_json(ex->invoiced)},
                      {"credited_cents", entries_json(ex->credited)},
                      {"paid_cents", entries_json(ex->paid)}};
  return out;
}

json budget_json(const Budget& b, bool explain) {
  auto line = [&](const BudgetLine& l, const char* id_key) {
    json out = figures_json(l.f, explain ? &l.explain : nullptr);
    out[id_key] = l.key;
    if (!l.name.empty()) out["name"] = l.name;
    out["country"] = l.country;
    out["eu_share_cents"] = l.eu_share_cents;
    out["own_share_cents"] = l.f.net() - l.eu_share_cents;
    return out;
  };
  json totals = figures_json(b.totals, explain ? &b.explain : nullptr);
  totals["eu_share_cents"] = b.eu_share_cents;
  totals["own_share_cents"] = b.own_share_cents;
  totals["cofunding_bp"] = b.cofunding_bp;
  totals["mentee_eu_share_sum_cents"] = b.mentee_eu_share_sum_cents;
  totals["rounding_difference_cents"] = b.rounding_difference_cents;
  totals["rounding"] =
      "EU share = net invoiced x cofunding_bp / 10000, rounded down to the cent; own share = the rest. Each mentee's "
      "share is rounded on its own, so their sum may fall short of the programme's by less than one cent per mentee: "
      "rounding_difference_cents.";
  json mentees = json::array(), mentors = json::array(), countries = json::array();
  for (auto& l : b.mentees) {
    json j = line(l, "mentee_id");
    j["cap_cents"] = b.fee_cap_cents;
    j["left_cents"] = b.fee_cap_cents - l.f.net();
    mentees.push_back(std::move(j));
  }
  for (auto& l : b.mentors) mentors.push_back(line(l, "mentor_id"));
  for (auto& l : b.countries) countries.push_back(line(l, "country"));
  return {{"fee_cap_cents", b.fee_cap_cents}, {"totals", totals}, {"mentees", mentees}, {"mentors", mentors},
          {"countries", countries}};
}

json head_json(const Head& h) {
  return {{"position", h.position},
          {"hash", to_hex(h.hash)},
          {"recorded_at", h.position ? json(format_instant(h.recorded_at_us)) : json(nullptr)}};
}

// What a mentor may see: its own pairs and the mentees of those pairs.
struct MentorScope {
  std::set<std::string, std::less<>> pairs, mentees;
  MentorScope(const ReadModels& rm, const std::string& mentor_id) {
    if (const auto* own = State::find(rm.pairs_of_mentor(), mentor_id))
      for (const auto& pid : *own)
        if (const PairState* p = State::find(rm.core().pairs(), pid)) {
          pairs.insert(p->id);
          mentees.insert(p->mentee_id);
        }
  }
};

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

}  // namespace

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
        if (auto* pr = State::find(rm.core().pairs(), id)) pairs.push_back(pair_json(rm, *pr, today, nullptr));
      for (auto& id : idx->tours)
        if (auto* t = State::find(rm.core().tours(), id)) tours.push_back({{"id", id}, {"participants", t->participants}});
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

// ---------------------------------------------------------------------------

class Api {
 public:
  explicit Api(Service& s) : s_(s) {}

  struct Ctx {
    HttpRequest req;
    std::string path;
    std::map<std::string, std::string> query;
    std::map<std::string, std::string> params;
    Principal who;
    std::string route;
    std::function<void(HttpResponse)> done;
    Service* svc = nullptr;

    void reply(HttpResponse r) {
      r.route = route;
      done(std::move(r));
    }
    void fail(const Status& st) {
      // A read that failed under the ledger makes /healthz say so.
      // (A command refused by a failing disk is not: the writer reopens the
      // store and says so in its answer.)
      bool read = req.method == "GET" || req.method == "HEAD";
      if (svc && (st.is(Kind::corruption) || (read && st.is(Kind::io_error)))) svc->mark_unhealthy(st.message());
      reply(error_response(st));
    }
    bool is_mentor() const { return who.role == "mentor"; }
    void forbid_mentor(const std::string& what) {
      reply(error_response(403, "forbidden", "mentor " + who.mentor_id + " may read its own pairs and what belongs to them only; " + what + " is not"));
    }
    void fail(int status, const std::string& code, const std::string& message) {
      reply(error_response(status, code, message));
    }
    std::string q(const std::string& k) const {
      auto it = query.find(k);
      return it == query.end() ? std::string() : it->second;
    }
    bool has(const std::string& k) const { return query.count(k) > 0; }
  };
  using Handler = void (Api::*)(Ctx&);
  struct Route {
    std::string method;
    std::vector<std::string> segments;
    std::string pattern;
    Handler handler;
    bool open = false;  // no token needed
  };

  void add(std::string method, std::string pattern, Handler h, bool open = false) {
    Route r;
    r.method = std::move(method);
    r.pattern = pattern;
    std::size_t i = 1;
    while (i <= pattern.size()) {
      std::size_t j = pattern.find('/', i);
      if (j == std::string::npos) j = pattern.size();
      r.segments.push_back(pattern.substr(i, j - i));
      i = j + 1;
    }
    r.handler = h;
    r.open = open;
    routes_.push_back(std::move(r));
  }

  void init();
  void handle(HttpRequest req, std::function<void(HttpResponse)> done);

 private:
  // --- plumbing
  void with_models(Ctx& c, std::function<void(Ctx&, const ReadModels&, std::int32_t today)> fn);
  void command(Ctx& c, const std::string& name, std::initializer_list<const char*> roles, bool own_mentor = false);
  bool mentor_may_read(Ctx& c, const ReadModels& rm, const PairState& p);

  // --- outside /v1
  void healthz(Ctx& c);
  void metrics(Ctx& c);
  void index(Ctx& c);
  void asset(Ctx& c);
  void me(Ctx& c);
  // --- reads
  void programmes(Ctx& c);
  void programme(Ctx& c);
  void mentees(Ctx& c);
  void mentee(Ctx& c);
  void caps(Ctx& c);
  void applications(Ctx& c);
  void application(Ctx& c);
  void pairs(Ctx& c);
  void pair(Ctx& c);
  void invoice(Ctx& c);
  void budget_view(Ctx& c);
  void hours_view(Ctx& c);
  void tours(Ctx& c);
  void meetings(Ctx& c);
  void events(Ctx& c);
  void stream(Ctx& c);
  void live(Ctx& c);
  void head(Ctx& c);
  void verify(Ctx& c);
  void export_log(Ctx& c);
  // --- writes
  void open_programme(Ctx& c) { command(c, "open_programme", {"coordinator"}); }
  void amend_rules(Ctx& c) { command(c, "amend_rules", {"coordinator"}); }
  void close_programme(Ctx& c) { command(c, "close_programme", {"coordinator"}); }
  void hold_joint_meeting(Ctx& c) { command(c, "hold_joint_meeting", {"coordinator"}); }
  void enrol_mentee(Ctx& c) { command(c, "enrol_mentee", {"coordinator"}); }
  void withdraw_mentee(Ctx& c) { command(c, "withdraw_mentee", {"coordinator"}); }
  void submit_application(Ctx& c) { command(c, "submit_application", {"coordinator"}); }
  void accept_application(Ctx& c) { command(c, "accept_application", {"coordinator"}); }
  void reject_application(Ctx& c) { command(c, "reject_application", {"coordinator"}); }
  void assign_pair(Ctx& c) { command(c, "assign_pair", {"coordinator"}); }
  void change_pair_period(Ctx& c) { command(c, "change_pair_period", {"coordinator"}); }
  void log_session(Ctx& c) { command(c, "log_session", {"coordinator"}, true); }
  void void_session(Ctx& c) { command(c, "void_session", {"coordinator"}); }
  void submit_report(Ctx& c) { command(c, "submit_report", {"coordinator"}, true); }
  void complete_pair(Ctx& c) { command(c, "complete_pair", {"coordinator"}); }
  void terminate_pair(Ctx& c) { command(c, "terminate_pair", {"coordinator"}); }
  void issue_invoice(Ctx& c) { command(c, "issue_invoice", {"finance"}); }
  void pay_invoice(Ctx& c) { command(c, "pay_invoice", {"finance"}); }
  void cancel_invoice(Ctx& c) { command(c, "cancel_invoice", {"finance"}); }
  void issue_credit_note(Ctx& c) { command(c, "issue_credit_note", {"finance"}); }
  void schedule_tour(Ctx& c) { command(c, "schedule_tour", {"coordinator"}); }
  void register_tour_participant(Ctx& c) { command(c, "register_tour_participant", {"coordinator"}); }
  void cancel_tour_participant(Ctx& c) { command(c, "cancel_tour_participant", {"coordinator"}); }

  Service& s_;
  std::vector<Route> routes_;
};

void Api::init() {
  add("GET", "/healthz", &Api::healthz, true);
  add("GET", "/metrics", &Api::metrics, true);
  add("GET", "/", &Api::index, true);
  add("GET", "/assets/{file}", &Api::asset, true);
  add("GET", "/v1/me", &Api::me);

  add("GET", "/v1/programmes", &Api::programmes);
  add("POST", "/v1/programmes", &Api::open_programme);
  add("GET", "/v1/programmes/{pid}", &Api::programme);
  add("POST", "/v1/programmes/{pid}/rules", &Api::amend_rules);
  add("POST", "/v1/programmes/{pid}/close", &Api::close_programme);
  add("GET", "/v1/programmes/{pid}/joint-meetings", &Api::meetings);
  add("POST", "/v1/programmes/{pid}/joint-meetings", &Api::hold_joint_meeting);
  add("GET", "/v1/programmes/{pid}/mentees", &Api::mentees);
  add("POST", "/v1/programmes/{pid}/mentees", &Api::enrol_mentee);
  add("GET", "/v1/mentees/{mid}", &Api::mentee);
  add("GET", "/v1/mentees/{mid}/caps", &Api::caps);
  add("POST", "/v1/mentees/{mid}/withdraw", &Api::withdraw_mentee);
  add("GET", "/v1/programmes/{pid}/applications", &Api::applications);
  add("POST", "/v1/programmes/{pid}/applications", &Api::submit_application);
  add("GET", "/v1/applications/{aid}", &Api::application);
  add("POST", "/v1/applications/{aid}/accept", &Api::accept_application);
  add("POST", "/v1/applications/{aid}/reject", &Api::reject_application);
  add("GET", "/v1/programmes/{pid}/pairs", &Api::pairs);
  add("POST", "/v1/programmes/{pid}/pairs", &Api::assign_pair);
  add("GET", "/v1/pairs/{pair}", &Api::pair);
  add("POST", "/v1/pairs/{pair}/sessions", &Api::log_session);
  add("POST", "/v1/pairs/{pair}/sessions/{sid}/void", &Api::void_session);
  add("POST", "/v1/pairs/{pair}/report", &Api::submit_report);
  add("POST", "/v1/pairs/{pair}/period", &Api::change_pair_period);
  add("POST", "/v1/pairs/{pair}/complete", &Api::complete_pair);
  add("POST", "/v1/pairs/{pair}/terminate", &Api::terminate_pair);
  add("POST", "/v1/pairs/{pair}/invoices", &Api::issue_invoice);
  add("GET", "/v1/invoices/{iid}", &Api::invoice);
  add("POST", "/v1/invoices/{iid}/payments", &Api::pay_invoice);
  add("POST", "/v1/invoices/{iid}/cancel", &Api::cancel_invoice);
  add("POST", "/v1/invoices/{iid}/credit-notes", &Api::issue_credit_note);
  add("GET", "/v1/programmes/{pid}/budget", &Api::budget_view);
  add("GET", "/v1/programmes/{pid}/hours", &Api::hours_view);
  add("GET", "/v1/programmes/{pid}/tours", &Api::tours);
  add("POST", "/v1/programmes/{pid}/tours", &Api::schedule_tour);
  add("POST", "/v1/tours/{tid}/participants", &Api::register_tour_participant);
  add("POST", "/v1/tours/{tid}/participants/cancel", &Api::cancel_tour_participant);
  add("GET", "/v1/events", &Api::events);
  add("GET", "/v1/events/live", &Api::live);
  add("GET", "/v1/streams/{stream}", &Api::stream);
  add("GET", "/v1/audit/head", &Api::head);
  add("GET", "/v1/audit/verify", &Api::verify);
  add("GET", "/v1/audit/export", &Api::export_log);
}

void Api::handle(HttpRequest req, std::function<void(HttpResponse)> done) {
  Ctx c;
  c.svc = &s_;
  c.done = std::move(done);
  c.req = std::move(req);
  std::string_view target = c.req.target;
  std::size_t qpos = target.find('?');
  std::string_view raw_path = target.substr(0, qpos);
  if (qpos != std::string_view::npos) {
    std::string_view qs = target.substr(qpos + 1);
    while (!qs.empty()) {
      std::size_t amp = qs.find('&');
      std::string_view kv = qs.substr(0, amp);
      std::size_t eq = kv.find('=');
      std::string k, v;
      if (!url_decode(kv.substr(0, eq), &k, true) ||
          !url_decode(eq == std::string_view::npos ? std::string_view() : kv.substr(eq + 1), &v, true))
        return c.fail(400, "bad_request", "the query string has a malformed percent escape");
      if (!k.empty()) c.query[k] = v;
      if (amp == std::string_view::npos) break;
      qs = qs.substr(amp + 1);
    }
  }
  // Split and decode the path.
  std::vector<std::string> segs;
  if (raw_path.empty() || raw_path[0] != '/') return c.fail(400, "bad_request", "the request target must start with /");
  std::size_t i = 1;
  while (i <= raw_path.size()) {
    std::size_t j = raw_path.find('/', i);
    if (j == std::string_view::npos) j = raw_path.size();
    std::string seg;
    if (!url_decode(raw_path.substr(i, j - i), &seg, false))
      return c.fail(400, "bad_request", "the path has a malformed percent escape");
    segs.push_back(std::move(seg));
    i = j + 1;
  }
  if (segs.size() > 1 && segs.back().empty()) segs.pop_back();  // a trailing slash
  c.path = std::string(raw_path);

  const Route* match = nullptr;
  std::vector<std::string> allowed;
  for (const auto& r : routes_) {
    if (r.segments.size() != segs.size()) continue;
    std::map<std::string, std::string> params;
    bool ok = true;
    for (std::size_t k = 0; k < segs.size() && ok; ++k) {
      const std::string& p = r.segments[k];
      if (p.size() > 2 && p.front() == '{' && p.back() == '}') {
        if (segs[k].empty()) ok = false;
        else params[p.substr(1, p.size() - 2)] = segs[k];
      } else if (p != segs[k]) {
        ok = false;
      }
    }
    if (!ok) continue;
    if (r.method != c.req.method && !(r.method == "GET" && c.req.method == "HEAD")) {
      allowed.push_back(r.method);
      continue;
    }
    match = &r;
    c.params = std::move(params);
    break;
  }
  if (!match) {
    if (!allowed.empty()) {
      c.route = "method_not_allowed";
      std::string allow;
      for (auto& m : allowed) allow += (allow.empty() ? "" : ", ") + m;
      HttpResponse r = error_response(405, "method_not_allowed", c.req.method + " is not allowed on " + c.path + "; use " + allow);
      r.headers.emplace_back("Allow", allow);
      return c.reply(std::move(r));
    }
    c.route = "not_found";
    return c.fail(404, "not_found", "no such path: " + c.path);
  }
  c.route = match->method + " " + match->pattern;

  if (!match->open) {
    std::string_view auth = c.req.authorization;
    constexpr std::string_view kBearer = "Bearer ";
    if (auth.size() <= kBearer.size() || auth.substr(0, kBearer.size()) != kBearer) {
      HttpResponse r = error_response(401, "unauthorized", "a token is needed: Authorization: Bearer <token>");
      r.headers.emplace_back("WWW-Authenticate", "Bearer");
      return c.reply(std::move(r));
    }
    auto who = s_.authenticate(auth.substr(kBearer.size()));
    if (!who) {
      HttpResponse r = error_response(401, "unauthorized", "the token is not known");
      r.headers.emplace_back("WWW-Authenticate", "Bearer error=\"invalid_token\"");
      return c.reply(std::move(r));
    }
    c.who = std::move(*who);
  }
  (this->*(match->handler))(c);
}

// Answers from the published read models, or, for ?as_of=<instant> or
// ?at=<position> before them, from a replay up to that point (on the
// background thread; the latest few are cached).
void Api::with_models(Ctx& c, std::function<void(Ctx&, const ReadModels&, std::int32_t)> fn) {
  AsOf at;
  bool asked = false;
  if (c.has("at")) {
    if (!parse_u64(c.q("at"), &at.position) || at.position == 0)
      return c.fail(400, "bad_request", "at must be a position, a whole number from 1");
    asked = true;
  }
  if (c.has("as_of")) {
    if (asked) return c.fail(400, "bad_request", "give as_of or at, not both");
    auto t = parse_instant(c.q("as_of"));
    if (!t) return c.fail(400, "bad_request", "as_of must be an RFC 3339 instant with an offset, as 2019-03-15T23:59:59+01:00");
    at.recorded_at_us = *t;
    at.has_time = true;
    asked = true;
  }
  auto snap = s_.projector_->snapshot();
  std::int32_t now_day = day_of(s_.clock_());
  if (!asked) return fn(c, *snap, now_day);
  std::int32_t today = at.has_time ? day_of(at.recorded_at_us) : now_day;
  bool latest = at.has_time ? at.recorded_at_us >= snap->recorded_at_us() && snap->position() == s_.published_position()
                            : at.position >= snap->position();
  if (latest) return fn(c, *snap, at.has_time ? today : day_of(snap->recorded_at_us()));

  auto shared = std::make_shared<Ctx>(std::move(c));
  auto job = [this, shared, at, today, fn = std::move(fn)]() mutable {
    std::shared_ptr<const ReadModels> rm;
    std::uint64_t key = at.has_time ? 0 : at.position;
    if (key) {
      std::lock_guard lock(s_.asof_mu_);
      for (auto& [k, v] : s_.asof_cache_)
        if (k == key) rm = v;
    }
    if (!rm) {
      auto r = replay<ReadModels>(*s_.store_, at);
      if (!r) return shared->fail(r.status());
      rm = std::make_shared<const ReadModels>(std::move(r).value());
      std::lock_guard lock(s_.asof_mu_);
      s_.asof_cache_.emplace_back(rm->position(), rm);
      if (s_.asof_cache_.size() > kAsOfCacheSize) s_.asof_cache_.erase(s_.asof_cache_.begin());
    }
    fn(*shared, *rm, at.has_time ? today : day_of(rm->recorded_at_us()));
  };
  if (!s_.asof_worker_->post(std::move(job)))
    shared->fail(503, "busy", "too many as-of reads are waiting; retry in a moment");
}

bool Api::mentor_may_read(Ctx& c, const ReadModels&, const PairState& p) {
  if (c.who.role != "mentor" || p.mentor_id == c.who.mentor_id) return true;
  c.fail(403, "forbidden", "mentor " + c.who.mentor_id + " may read its own pairs only; " + p.id + " is not one");
  return false;
}

void Api::command(Ctx& c, const std::string& name, std::initializer_list<const char*> roles, bool own_mentor) {
  bool allowed = std::any_of(roles.begin(), roles.end(), [&](const char* r) { return c.who.role == r; });
  if (!allowed && !(own_mentor && c.who.role == "mentor")) {
    std::string may;
    for (auto* r : roles) may += (may.empty() ? "" : ", ") + std::string(r);
    if (own_mentor) may += ", or the pair's own mentor";
    s_.metrics_.command("forbidden");
    return c.fail(403, "forbidden", "the role " + c.who.role + " may not " + name + " (" + may + ")");
  }
  if (c.req.body.size() > kMaxBodyBytes)
    return c.fail(413, "payload_too_large", "the body is larger than 1 MiB");
  json body = json::object();
  std::string_view text = c.req.body;
  if (text.find_first_not_of(" \t\r\n") != std::string_view::npos) {
    auto parsed = parse_json(text);
    if (!parsed) return c.fail(parsed.status());
    body = std::move(parsed).value();
    if (!body.is_object()) return c.fail(400, "bad_request", "the request body must be a JSON object");
  }
  json params = json::object();
  for (auto& [k, v] : c.params) params[k] = v;
  auto cmd = parse_command(name, params, body);
  if (!cmd) {
    s_.metrics_.command(cmd.status().reason());
    return c.fail(cmd.status());
  }
  if (c.who.role == "mentor") {
    // A mentor writes to its own pairs only.
    auto snap = s_.projector_->snapshot();
    const PairState* p = State::find(snap->core().pairs(), c.params["pair"]);
    if (!p) return c.fail(404, "not_found", "no pair '" + c.params["pair"] + "'");
    if (p->mentor_id != c.who.mentor_id) {
      s_.metrics_.command("forbidden");
      return c.fail(403, "forbidden", "mentor " + c.who.mentor_id + " may write to its own pairs only; " + p->id +
                                          " belongs to " + p->mentor_id);
    }
  }
  std::optional<std::uint64_t> expected;
  if (!c.req.if_match.empty()) {
    std::string v = c.req.if_match;
    if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
    std::uint64_t n = 0;
    if (!parse_u64(v, &n)) return c.fail(400, "bad_request", "If-Match must be a stream version, as \"3\"");
    expected = n;
  }
  const std::string& key = c.req.idempotency_key;
  if (!key.empty() && key.size() > 128)
    return c.fail(400, "bad_request", "Idempotency-Key must be 1 to 128 characters");

  Command command = make_command(std::move(cmd).value(), Actor{c.who.name, c.who.role}, expected);
  command.idempotency_key = key;
  command.fingerprint = sha256(c.req.method + " " + c.path + "\n" + c.req.body);
  command.correlation_id = c.req.request_id;

  auto shared = std::make_shared<Ctx>(std::move(c));
  s_.writer_->submit(std::move(command), [this, shared](Result<CommandOutcome> r) {
    if (!r) {
      s_.metrics_.command(r.status().reason());
      return shared->fail(r.status());
    }
    s_.metrics_.command(r->replayed ? "replayed" : "accepted");
    HttpResponse resp = json_response(201, outcome_json(*r));
    if (r->replayed) resp.headers.emplace_back("Idempotent-Replayed", "true");
    std::uint64_t last = 0;
    for (auto& e : r->events) last = std::max(last, e.position);
    // Answer once reads see the write: a client that reads after a 201 sees it.
    auto reply = std::make_shared<HttpResponse>(std::move(resp));
    s_.when_published(last, [shared, reply] { shared->reply(std::move(*reply)); });
  });
}

// --- outside /v1

void Api::healthz(Ctx& c) {
  json out = {{"status", "ok"}, {"head_position", s_.store_->head().position}, {"published_position", s_.published_position()}};
  std::optional<std::string> why = s_.unhealthy();
  if (!why)
    if (Status st = s_.projector_->status(); !st) why = "the read models stopped: " + st.message();
  if (why) {
    // After a failed read or verify: the ledger needs a look (ledger verify).
    out["status"] = "failing";
    out["reason"] = *why;
    return c.reply(json_response(503, out));
  }
  c.reply(json_response(200, out));
}

void Api::metrics(Ctx& c) {
  s_.metrics_.set_head(s_.store_->head().position);
  s_.metrics_.set_published(s_.published_position());
  HttpResponse r;
  r.content_type = "text/plain; version=0.0.4; charset=utf-8";
  r.body = s_.metrics_.render();
  c.reply(std::move(r));
}

void Api::index(Ctx& c) {
  c.params["file"] = "index.html";
  asset(c);
}

void Api::asset(Ctx& c) {
  auto it = s_.assets_.find(c.params["file"]);
  if (it == s_.assets_.end()) {
    if (c.params["file"] == "index.html") {
      HttpResponse r;
      r.status = 404;
      r.content_type = "text/plain; charset=utf-8";
      r.body = "The dashboard's assets were not built (npm and node are needed: cmake --build build --target web).\n"
               "The API is at /v1; see README.md.\n";
      return c.reply(std::move(r));
    }
    return c.fail(404, "not_found", "no asset '" + c.params["file"] + "'");
  }
  HttpResponse r;
  r.content_type = it->second.first;
  r.body = it->second.second;
  r.headers.emplace_back("Cache-Control", "no-cache");
  r.headers.emplace_back("X-Content-Type-Options", "nosniff");
  r.headers.emplace_back("Content-Security-Policy",
                         "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; connect-src 'self'");
  c.reply(std::move(r));
}

void Api::me(Ctx& c) {
  json out = {{"name", c.who.name}, {"role", c.who.role}};
  if (!c.who.mentor_id.empty()) out["mentor_id"] = c.who.mentor_id;
  c.reply(json_response(200, out));
}

// --- reads

void Api::programmes(Ctx& c) {
  with_models(c, [](Ctx& c2, const ReadModels& rm, std::int32_t) {
    std::vector<const ProgrammeState*> ps;
    for (auto& [id, p] : rm.core().programmes()) ps.push_back(&p);
    std::sort(ps.begin(), ps.end(), [](auto* a, auto* b) { return a->id < b->id; });
    json out = json::array();
    for (auto* p : ps) out.push_back(programme_json(rm, *p));
    c2.reply(json_response(200, {{"programmes", out}, {"position", rm.position()}}));
  });
}

void Api::programme(Ctx& c) {
  with_models(c, [](Ctx& c2, const ReadModels& rm, std::int32_t) {
    const ProgrammeState* p = State::find(rm.core().programmes(), c2.params["pid"]);
    if (!p) return c2.fail(404, "not_found", "no programme '" + c2.params["pid"] + "'");
    json out = programme_json(rm, *p);
    out["position"] = rm.position();
    c2.reply(json_response(200, out));
  });
}

void Api::mentees(Ctx& c) {
  with_models(c, [](Ctx& c2, const ReadModels& rm, std::int32_t) {
    const ProgrammeIndex* idx = State::find(rm.programmes(), c2.params["pid"]);
    if (!idx) return c2.fail(404, "not_found", "no programme '" + c2.params["pid"] + "'");
    std::optional<MentorScope> scope;
    if (c2.is_mentor()) scope.emplace(rm, c2.who.mentor_id);
    json out = json::array();
    for (auto& id : idx->mentees)
      if (auto* m = State::find(rm.core().mentees(), id); m && (!scope || scope->mentees.count(id)))
        out.push_back(mentee_json(rm, *m));
    c2.reply(json_response(200, {{"mentees", out}, {"position", rm.position()}}));
  });
}

void Api::mentee(Ctx& c) {
  with_models(c, [](Ctx& c2, const ReadModels& rm, std::int32_t) {
    const MenteeState* m = State::find(rm.core().mentees(), c2.params["mid"]);
    if (!m) return c2.fail(404, "not_found", "no mentee '" + c2.params["mid"] + "'");
    if (c2.is_mentor() && !MentorScope(rm, c2.who.mentor_id).mentees.count(m->id)) return c2.forbid_mentor("mentee " + m->id);
    json out = mentee_json(rm, *m);
    out["position"] = rm.position();
    c2.reply(json_response(200, out));
  });
}

void Api::caps(Ctx& c) {
  with_models(c, [](Ctx& c2, const ReadModels& rm, std::int32_t) {
    const MenteeState* m = State::find(rm.core().mentees(), c2.params["mid"]);
    if (!m) return c2.fail(404, "not_found", "no mentee '" + c2.params["mid"] + "'");
    if (c2.is_mentor() && !MentorScope(rm, c2.who.mentor_id).mentees.count(m->id)) return c2.forbid_mentor("mentee " + m->id);
    json out = caps_json(rm, *m);
    out["position"] = rm.position();
    c2.reply(json_response(200, out));
  });
}

void Api::applications(Ctx& c) {
  with_models(c, [](Ctx& c2, const ReadModels& rm, std::int32_t) {
    const ProgrammeIndex* idx = State::find(rm.programmes(), c2.params["pid"]);
    if (!idx) return c2.fail(404, "not_found", "no programme '" + c2.params["pid"] + "'");
    std::string status = c2.q("status");
    json out = json::array();
    for (auto& id : idx->applications)
      if (auto* a = State::find(rm.core().applications(), id)) {
        if (c2.is_mentor() && a->mentor_id != c2.who.mentor_id) continue;  // its own application only
        json j = application_json(rm, *a);
        if (status.empty() || j["status"] == status) out.push_back(std::move(j));
      }
    c2.reply(json_response(200, {{"applications", out}, {"position", rm.position()}}));
  });
}

void Api::application(Ctx& c) {
  with_models(c, [](Ctx& c2, const ReadModels& rm, std::int32_t) {
    const ApplicationState* a = State::find(rm.core().applications(), c2.params["aid"]);
    if (!a) return c2.fail(404, "not_found", "no application '" + c2.params["aid"] + "'");
    if (c2.is_mentor() && a->mentor_id != c2.who.mentor_id) return c2.forbid_mentor("application " + a->id);
    c2.reply(json_response(200, application_json(rm, *a)));
  });
}

void Api::pairs(Ctx& c) {
  with_models(c, [this](Ctx& c2, const ReadModels& rm, std::int32_t today) {
    const ProgrammeIndex* idx = State::find(rm.programmes(), c2.params["pid"]);
    if (!idx) return c2.fail(404, "not_found", "no programme '" + c2.params["pid"] + "'");
    std::string status = c2.q("status"), mentor = c2.q("mentor_id"), mentee = c2.q("mentee_id"),
                country = c2.q("country");
    if (!status.empty() && status != "assigned" && status != "active" && status != "completed" && status != "terminated")
      return c2.fail(400, "bad_request", "status must be assigned, active, completed or terminated");
    if (c2.who.role == "mentor") mentor = c2.who.mentor_id.empty() ? "-" : c2.who.mentor_id;
    json out = json::array();
    for (auto& id : idx->pairs) {
      const PairState* p = State::find(rm.core().pairs(), id);
      if (!p) continue;
      if (!mentor.empty() && p->mentor_id != mentor) continue;
      if (!mentee.empty() && p->mentee_id != mentee) continue;
      json j = pair_json(rm, *p, today, nullptr);
      if (!status.empty() && j["status"] != status) continue;
      if (!country.empty() && j["country"] != country) continue;
      out.push_back(std::move(j));
    }
    (void)this;
    c2.reply(json_response(200, {{"pairs", out}, {"position", rm.position()}, {"today", format_date(today)}}));
  });
}

void Api::pair(Ctx& c) {
  with_models(c, [this](Ctx& c2, const ReadModels& rm, std::int32_t today) {
    const PairState* p = State::find(rm.core().pairs(), c2.params["pair"]);
    if (!p) return c2.fail(404, "not_found", "no pair '" + c2.params["pair"] + "'");
    if (!mentor_may_read(c2, rm, *p)) return;
    Status failed;
    json out = pair_json(rm, *p, today, s_.store_.get(), &failed);
    if (!failed) return c2.fail(failed);
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
    if (c2.who.role == "mentor" && inv->mentor_id != c2.who.mentor_id)
      return c2.fail(403, "forbidden", "mentor " + c2.who.mentor_id + " may read its own pairs' invoices only");
    json out = invoice_json(rm, *inv);
    const InvoiceExtra* x = State::find(rm.invoices(), inv->id);
    out["stream_version"] = x ? x->stream_version : 0;  // as of the snapshot, like the rest
    c2.reply(json_response(200, out));
  });
}

void Api::budget_view(Ctx& c) {
  with_models(c, [](Ctx& c2, const ReadModels& rm, std::int32_t) {
    if (!State::find(rm.core().programmes(), c2.params["pid"]))
      return c2.fail(404, "not_found", "no programme '" + c2.params["pid"] + "'");
    std::string ex = c2.q("explain");
    bool explain = ex == "1" || ex == "true";
    json out = budget_json(budget(rm, c2.params["pid"], explain), explain);
    if (c2.is_mentor()) {
      // A mentor sees the lines of its own mentees and its own line; the
      // totals and the countries are the programme's.
      MentorScope scope(rm, c2.who.mentor_id);
      json mentees = json::array(), mentors = json::array();
      for (auto& l : out["mentees"])
        if (scope.mentees.count(l["mentee_id"].get<std::string>())) mentees.push_back(l);
      for (auto& l : out["mentors"])
        if (l["mentor_id"] == c2.who.mentor_id) mentors.push_back(l);
      out["mentees"] = mentees;
      out["mentors"] = mentors;
    }
    // Net invoiced by month of issue (cancelled invoices excluded, credit
    // notes counted in their invoice's month), for the spending chart.
    std::map<std::string, std::int64_t> months;
    if (const ProgrammeIndex* idx = State::find(rm.programmes(), c2.params["pid"]))
      for (auto& iid : idx->invoices)
        if (auto* inv = State::find(rm.core().invoices(), iid); inv && !inv->cancelled)
          add_to(months[format_date(inv->issue_date).substr(0, 7)], sat_sub(inv->net_cents, inv->credited_cents));
    json by_month = json::array();
    for (auto& [m, cents] : months) by_month.push_back({{"month", m}, {"net_invoiced_cents", cents}});
    out["months"] = by_month;
    out["position"] = rm.position();
    c2.reply(json_response(200, out));
  });
}

void Api::hours_view(Ctx& c) {
  with_models(c, [](Ctx& c2, const ReadModels& rm, std::int32_t) {
    if (!State::find(rm.core().programmes(), c2.params["pid"]))
      return c2.fail(404, "not_found", "no programme '" + c2.params["pid"] + "'");
    std::string by_name = c2.has("group_by") ? c2.q("group_by") : "mentee";
    auto by = parse_hours_by(by_name);
    if (!by) return c2.fail(400, "bad_request", "group_by must be mentee, mentor, pair, month, topic, mode or format");
    json groups = json::array();
    std::int64_t total = 0;
    std::optional<MentorScope> scope;
    if (c2.is_mentor() && (*by == HoursBy::mentee || *by == HoursBy::mentor || *by == HoursBy::pair))
      scope.emplace(rm, c2.who.mentor_id);
    for (auto& g : hours(rm, c2.params["pid"], *by)) {
      if (scope && !(*by == HoursBy::mentee   ? scope->mentees.count(g.key) > 0
                     : *by == HoursBy::pair   ? scope->pairs.count(g.key) > 0
                                              : g.key == c2.who.mentor_id))
        continue;  // a mentor sees its own groups only
      groups.push_back({{"key", g.key}, {"minutes", g.minutes}, {"sessions", g.sessions}, {"hours", format_minutes(g.minutes)}});
      add_to(total, g.minutes);
    }
    c2.reply(json_response(200, {{"group_by", by_name}, {"groups", groups}, {"total_minutes", total}, {"position", rm.position()}}));
  });
}

void Api::tours(Ctx& c) {
  with_models(c, [](Ctx& c2, const ReadModels& rm, std::int32_t) {
    const ProgrammeIndex* idx = State::find(rm.programmes(), c2.params["pid"]);
    if (!idx) return c2.fail(404, "not_found", "no programme '" + c2.params["pid"] + "'");
    std::optional<MentorScope> scope;
    if (c2.is_mentor()) scope.emplace(rm, c2.who.mentor_id);
    json out = json::array();
    for (auto& id : idx->tours) {
      const TourState* t = State::find(rm.core().tours(), id);
      const TourExtra* x = State::find(rm.tours(), id);
      if (!t || !x) continue;
      json participants = json::array();
      for (auto& m : t->participants)
        if (!scope || scope->mentees.count(m)) participants.push_back(m);  // a mentor: its own mentees only
      out.push_back({{"id", id},
                     {"region", x->region},
                     {"host", x->host},
                     {"start_date", format_date(x->start_date)},
                     {"end_date", format_date(x->end_date)},
                     {"participants", participants}});
    }
    c2.reply(json_response(200, {{"tours", out}, {"position", rm.position()}}));
  });
}

void Api::meetings(Ctx& c) {
  with_models(c, [](Ctx& c2, const ReadModels& rm, std::int32_t) {
    const ProgrammeIndex* idx = State::find(rm.programmes(), c2.params["pid"]);
    if (!idx) return c2.fail(404, "not_found", "no programme '" + c2.params["pid"] + "'");
    std::optional<MentorScope> scope;
    if (c2.is_mentor()) scope.emplace(rm, c2.who.mentor_id);
    json out = json::array();
    for (auto& m : idx->meetings) {
      json pair_ids = json::array();
      for (auto& p : m.pair_ids)
        if (!scope || scope->pairs.count(p)) pair_ids.push_back(p);
      if (scope && pair_ids.empty()) continue;  // a mentor: the meetings of its own pairs
      out.push_back({{"id", m.id}, {"title", m.title}, {"date", format_date(m.date)}, {"pair_ids", pair_ids}, {"position", m.position}});
    }
    c2.reply(json_response(200, {{"joint_meetings", out}, {"position", rm.position()}}));
  });
}

void Api::events(Ctx& c) {
  std::uint64_t from = 1, limit = 100;
  if (c.has("from") && !parse_u64(c.q("from"), &from)) return c.fail(400, "bad_request", "from must be a position");
  if (c.has("limit") && (!parse_u64(c.q("limit"), &limit) || limit < 1 || limit > 1000))
    return c.fail(400, "bad_request", "limit must be between 1 and 1000");
  from = std::max<std::uint64_t>(from, 1);
  std::string stream = c.q("stream"), type = c.q("type");
  if (!type.empty()) {
    bool known = false;
    for (int t = 1; t <= static_cast<int>(fb::Event::MAX); ++t) known = known || event_type_name(static_cast<fb::Event>(t)) == type;
    if (!known) return c.fail(400, "bad_request", "unknown event type '" + type + "'");
  }
  std::uint64_t upto = s_.published_position();
  std::shared_ptr<const ReadModels> models;
  if (c.is_mentor()) models = s_.projector_->snapshot();
  json out = json::array();
  std::uint64_t next = 0;
  constexpr std::uint64_t kScanBudget = 100'000;  // events looked at per page, when filtering
  std::uint64_t scanned = 0, last = from - 1;
  static const std::string kFull = "page_full";
  Status st = s_.store_->scan(from, upto, [&](const EventView& e) {
    if (out.size() >= limit || scanned >= kScanBudget) return Status::make(Kind::unavailable, kFull, "");
    ++scanned;
    last = e.position();
    if (!stream.empty() && e.stream() != stream) return Status::ok();
    if (!type.empty() && e.type_name() != type) return Status::ok();
    if (models && !Service::mentor_sees_stream(*models, c.who.mentor_id, e.stream())) return Status::ok();
    out.push_back(cloud_event(e));
    return Status::ok();
  });
  if (!st && st.reason() != kFull) return c.fail(st);
  if (last < upto) next = last + 1;
  c.reply(json_response(200, {{"events", out}, {"next", next ? json(next) : json(nullptr)}, {"head", upto}}));
}

void Api::stream(Ctx& c) {
  std::string name = c.params["stream"];
  if (c.is_mentor() && !Service::mentor_sees_stream(*s_.projector_->snapshot(), c.who.mentor_id, name))
    return c.forbid_mentor("stream " + name);
  std::uint64_t upto = s_.published_position();
  auto evs = s_.store_->read_stream(name);
  if (!evs) return c.fail(evs.status());
  json out = json::array();
  for (auto& e : *evs)
    if (e.view().position() <= upto) out.push_back(cloud_event(e.view()));
  if (out.empty()) return c.fail(404, "not_found", "no stream '" + name + "'");
  c.reply(json_response(200, {{"stream", name}, {"events", out}}));
}

void Api::live(Ctx& c) {
  std::uint64_t from = 0;
  if (!c.req.last_event_id.empty()) {
    std::uint64_t last = 0;
    if (!parse_u64(c.req.last_event_id, &last)) return c.fail(400, "bad_request", "Last-Event-ID must be a position");
    from = last + 1;
  } else if (c.has("from")) {
    if (!parse_u64(c.q("from"), &from)) return c.fail(400, "bad_request", "from must be a position");
  } else {
    from = s_.published_position() + 1;  // from now on
  }
  HttpResponse r;
  r.stream = HttpResponse::Stream::live;
  r.content_type = "text/event-stream";
  if (c.is_mentor()) r.mentor_id = c.who.mentor_id.empty() ? "-" : c.who.mentor_id;
  r.from = std::max<std::uint64_t>(from, 1);
  c.reply(std::move(r));
}

void Api::head(Ctx& c) { c.reply(json_response(200, head_json(s_.store_->head()))); }

void Api::verify(Ctx& c) {
  if (c.who.role != "auditor" && c.who.role != "coordinator")
    return c.fail(403, "forbidden", "the role " + c.who.role + " may not run verify (auditor, coordinator)");
  auto shared = std::make_shared<Ctx>(std::move(c));
  {
    std::lock_guard lock(s_.verify_mu_);
    s_.verify_waiters_.push_back([shared](const Result<VerifyReport>& rep) {
      if (!rep) return shared->fail(rep.status());
      json out = {{"ok", rep->ok}, {"checked", rep->checked}, {"head", head_json(rep->head)}};
      if (!rep->ok) {
        out["first_bad_position"] = rep->first_bad_position;
        out["problem"] = std::string(verify_problem_name(rep->problem));
        out["detail"] = rep->detail;
      }
      shared->reply(json_response(200, out));
    });
    if (s_.verify_running_) return;  // answered with the report of the verify that runs
    s_.verify_running_ = true;
  }
  auto finish = [this](const Result<VerifyReport>& rep) {
    std::vector<std::function<void(const Result<VerifyReport>&)>> waiters;
    {
      std::lock_guard lock(s_.verify_mu_);
      waiters.swap(s_.verify_waiters_);
      s_.verify_running_ = false;
    }
    for (auto& w : waiters) w(rep);
  };
  bool posted = s_.verify_worker_->post([this, finish] {
    VerifyReport rep = s_.store_->verify();
    if (!rep.ok)
      s_.mark_unhealthy("verify found a problem at position " + std::to_string(rep.first_bad_position) + ": " + rep.detail);
    else
      s_.clear_unhealthy();
    finish(rep);
  });
  if (!posted) finish(Status::unavailable("the server is stopping"));
}

void Api::export_log(Ctx& c) {
  std::string format = c.has("format") ? c.q("format") : "ndjson";
  HttpResponse r;
  if (format == "ndjson") {
    r.stream = HttpResponse::Stream::ndjson;
    r.content_type = "application/x-ndjson";
  } else if (format == "csv") {
    r.stream = HttpResponse::Stream::csv;
    r.content_type = "text/csv; charset=utf-8";
  } else {
    return c.fail(400, "bad_request", "format must be ndjson or csv");
  }
  if (c.is_mentor()) r.mentor_id = c.who.mentor_id.empty() ? "-" : c.who.mentor_id;
  r.from = 1;
  r.to = s_.published_position();  // a fixed extent: the log as it stood when asked
  r.headers.emplace_back("Content-Disposition", "attachment; filename=\"ledger-" + std::to_string(r.to) + "." +
                                                    (format == "csv" ? "csv" : "ndjson") + "\"");
  c.reply(std::move(r));
}

// ---------------------------------------------------------------------------

Result<std::unique_ptr<Service>> Service::open(const ServiceOptions& options) {
  std::unique_ptr<Service> s(new Service());
  std::string tokens_file = options.tokens_file.empty() ? options.data_dir + "/tokens.json" : options.tokens_file;
  auto tokens = Tokens::load(tokens_file);
  if (!tokens) {
    if (tokens.status().is(Kind::not_found))
      return Status::not_found("no tokens file at " + tokens_file + "; make one with: ledger token add --data " +
                               options.data_dir + " --name NAME --role coordinator (or run ledger demo)");
    return tokens.status();
  }
  if (tokens->size() == 0)
    return Status::invalid("the tokens file " + tokens_file + " holds no token; add one with: ledger token add");
  s->tokens_ = std::move(tokens).value();
  s->tokens_file_ = tokens_file;
  s->tokens_stamp_ = tokens_stamp(tokens_file);
  s->clock_ = options.clock ? options.clock : system_now_us;

  std::error_code ec;
  std::filesystem::create_directories(options.data_dir, ec);
  // Personal data: the data directory is its owner's alone.
  std::filesystem::permissions(options.data_dir, std::filesystem::perms::owner_all, std::filesystem::perm_options::replace, ec);
  StoreOptions so;
  so.sync = options.sync;
  so.env = options.env;
  auto store = Store::open(options.data_dir + "/ledger", so);
  if (!store) return store.status();
  s->store_ = std::move(store).value();

  ProjectorOptions po;
  po.checkpoint_every = options.checkpoint_every;
  Service* raw = s.get();
  po.on_publish = [raw](std::uint64_t position) { raw->on_published(position); };
  auto projector = Projector::start(*s->store_, po);
  if (!projector) return projector.status();
  s->projector_ = std::move(projector).value();
  const auto& info = s->projector_->start_info();
  if (!info.checkpoint_ignored.empty()) spdlog::warn("read models checkpoint not used: {}", info.checkpoint_ignored);
  spdlog::info("read models at position {} (checkpoint {}, {} events replayed)", s->projector_->published_position(),
               info.checkpoint_position, info.replayed);
  s->published_ = s->projector_->published_position();

  WriterOptions wo;
  wo.clock = s->clock_;
  wo.on_commit = [raw](const State& st, std::size_t n) {
    raw->metrics_.commit(n);
    raw->metrics_.set_head(st.position());
    spdlog::debug("commit: {} events, head {}", n, st.position());
    raw->projector_->notify();
  };
  auto writer = Writer::start(*s->store_, wo);
  if (!writer) return writer.status();
  s->writer_ = std::move(writer).value();

  if (!options.web_dir.empty()) {
    static const std::map<std::string, std::string> kTypes = {{".html", "text/html; charset=utf-8"},
                                                              {".js", "text/javascript; charset=utf-8"},
                                                              {".css", "text/css; charset=utf-8"},
                                                              {".svg", "image/svg+xml"},
                                                              {".png", "image/png"}};
    std::error_code dir_ec;
    for (auto& entry : std::filesystem::directory_iterator(options.web_dir, dir_ec)) {
      auto type = kTypes.find(entry.path().extension().string());
      if (!entry.is_regular_file() || type == kTypes.end()) continue;
      std::ifstream in(entry.path(), std::ios::binary);
      std::stringstream bytes;
      bytes << in.rdbuf();
      s->assets_[entry.path().filename().string()] = {type->second, bytes.str()};
    }
    if (s->assets_.count("index.html") == 0) spdlog::warn("no dashboard in {}: / will say how to build it", options.web_dir);
  }

  s->api_ = std::make_unique<Api>(*s);
  s->api_->init();
  s->asof_worker_ = std::make_unique<Worker>(kMaxQueuedAsOf);
  s->verify_worker_ = std::make_unique<Worker>(1);
  return s;
}

Service::~Service() { stop(); }

std::size_t Service::tokens() const {
  std::lock_guard lock(tokens_mu_);
  return tokens_.size();
}

void Service::reload_tokens_if_changed() {
  // Called with tokens_mu_ held.
  auto now = std::chrono::steady_clock::now();
  if (now - tokens_checked_ < kTokensRecheck) return;
  tokens_checked_ = now;
  TokensFileStamp stamp = tokens_stamp(tokens_file_);
  if (stamp == tokens_stamp_) return;
  if (!stamp.exists) {
    // Revoking every token by removing the file must not leave them working.
    tokens_ = Tokens();
    tokens_stamp_ = stamp;
    spdlog::error("the tokens file {} is gone: every token is refused until it is back", tokens_file_);
    return;
  }
  auto fresh = Tokens::load(tokens_file_);
  if (!fresh) {
    // Half edited by hand, say: keep what was loaded and look again later.
    spdlog::warn("the tokens file changed but cannot be read; keeping the tokens loaded: {}", fresh.status().message());
    return;
  }
  tokens_ = std::move(fresh).value();
  tokens_stamp_ = stamp;
  spdlog::info("tokens reloaded from {}: {} tokens", tokens_file_, tokens_.size());
}

std::optional<Principal> Service::authenticate(std::string_view token) {
  std::lock_guard lock(tokens_mu_);
  reload_tokens_if_changed();
  return tokens_.authenticate(token);
}

void Service::handle(HttpRequest req, std::function<void(HttpResponse)> done) {
  api_->handle(std::move(req), std::move(done));
}

void Service::mark_unhealthy(const std::string& reason) {
  std::lock_guard lock(health_mu_);
  if (!unhealthy_) spdlog::error("health: {}", reason);
  unhealthy_ = reason;
}

void Service::clear_unhealthy() {
  std::lock_guard lock(health_mu_);
  if (unhealthy_) spdlog::info("health: a verify passed; ok again");
  unhealthy_.reset();
}

std::optional<std::string> Service::unhealthy() const {
  std::lock_guard lock(health_mu_);
  return unhealthy_;
}

void Service::on_published(std::uint64_t position) {
  std::vector<std::function<void()>> ready;
  {
    std::lock_guard lock(wait_mu_);
    published_ = std::max(published_, position);
    auto end = waiters_.upper_bound(published_);
    for (auto it = waiters_.begin(); it != end; ++it) ready.push_back(std::move(it->second));
    waiters_.erase(waiters_.begin(), end);
  }
  metrics_.set_published(position);
  for (auto& fn : ready) fn();
}

void Service::when_published(std::uint64_t position, std::function<void()> fn) {
  {
    std::lock_guard lock(wait_mu_);
    if (published_ < position) {
      waiters_.emplace(position, std::move(fn));
      return;
    }
  }
  fn();
}

std::uint64_t Service::published_position() const {
  std::lock_guard lock(wait_mu_);
  return published_;
}

bool Service::mentor_sees_stream(const ReadModels& rm, const std::string& mentor_id, std::string_view stream) {
  auto under = [&](std::string_view prefix, std::string_view* id) {
    if (stream.substr(0, prefix.size()) != prefix) return false;
    *id = stream.substr(prefix.size());
    return true;
  };
  std::string_view id;
  if (under("pair-", &id)) {
    const PairState* p = State::find(rm.core().pairs(), id);
    return p && p->mentor_id == mentor_id;
  }
  if (under("invoice-", &id)) {
    const InvoiceState* inv = State::find(rm.core().invoices(), id);
    return inv && inv->mentor_id == mentor_id;
  }
  if (under("application-", &id)) {
    const ApplicationState* a = State::find(rm.core().applications(), id);
    return a && !a->mentor_id.empty() && a->mentor_id == mentor_id;
  }
  return false;  // programmes, mentees, tours: other people's data
}

namespace {

// At most this much text is made for one write of a stream: a client that
// does not read holds one such piece, no more.
constexpr std::size_t kMaxChunkBytes = 256 * 1024;
const std::string kChunkFull = "chunk_full";

}  // namespace

StreamChunk Service::stream_chunk(std::uint64_t from, std::uint64_t to, const std::string& mentor_id, std::string* out,
                                  const std::function<void(const EventView&, std::string*)>& render) {
  std::shared_ptr<const ReadModels> models;
  if (!mentor_id.empty()) models = projector_->snapshot();  // covers `to`: published before it was asked
  std::uint64_t next = from;
  Status st = store_->scan(from, to, [&](const EventView& e) {
    if (out->size() >= kMaxChunkBytes) return Status::make(Kind::unavailable, kChunkFull, "");
    next = e.position() + 1;
    if (!models || mentor_sees_stream(*models, mentor_id, e.stream())) render(e, out);
    return Status::ok();
  });
  if (!st && st.reason() == kChunkFull) st = Status::ok();
  if (st && next <= to && out->size() < kMaxChunkBytes)
    st = Status::corruption("the log ends at position " + std::to_string(next - 1) + ", before " + std::to_string(to));
  return {next, st};
}

StreamChunk Service::live_chunk(std::uint64_t from, std::size_t max, const std::string& mentor_id, std::string* out) {
  std::uint64_t upto = published_position();
  if (from > upto) return {from, Status::ok()};
  std::uint64_t to = std::min<std::uint64_t>(upto, from + max - 1);
  StreamChunk chunk = stream_chunk(from, to, mentor_id, out, [](const EventView& e, std::string* text) {
    *text += "id: " + std::to_string(e.position()) + "\nevent: " + std::string(e.type_name()) + "\ndata: " +
             text_of(cloud_event(e)) + "\n\n";
  });
  if (!chunk.status) {
    spdlog::error("live feed: reading from {}: {}", from, chunk.status.to_string());
    mark_unhealthy("reading the log for the live feed failed near position " + std::to_string(chunk.next) + ": " +
                   chunk.status.message());
  }
  return chunk;
}

StreamChunk Service::export_chunk(HttpResponse::Stream kind, std::uint64_t from, std::uint64_t to, std::size_t max,
                                  const std::string& mentor_id, std::string* out) {
  if (from > to) return {from, Status::ok()};
  if (from == 1 && kind == HttpResponse::Stream::csv) *out += csv_header();
  std::uint64_t last = std::min<std::uint64_t>(to, from + max - 1);
  StreamChunk chunk = stream_chunk(from, last, mentor_id, out, [kind](const EventView& e, std::string* text) {
    if (kind == HttpResponse::Stream::csv) *text += csv_line(e);
    else *text += text_of(cloud_event(e)) + "\n";
  });
  if (!chunk.status) {
    spdlog::error("export: reading from {}: {}", from, chunk.status.to_string());
    mark_unhealthy("reading the log for an export failed near position " + std::to_string(chunk.next) + ": " +
                   chunk.status.message());
  }
  return chunk;
}

void Service::stop_writer() {
  if (writer_) writer_->stop();
}

void Service::stop() {
  stop_writer();
  if (asof_worker_) asof_worker_->stop();
  if (verify_worker_) verify_worker_->stop();
  if (projector_) projector_->stop();
  // Anyone still waiting for a publication will not get one: answer them.
  std::multimap<std::uint64_t, std::function<void()>> left;
  {
    std::lock_guard lock(wait_mu_);
    left.swap(waiters_);
  }
  for (auto& [pos, fn] : left) fn();
  if (store_) {
    if (Status st = store_->flush(); !st) spdlog::warn("flush at shutdown: {}", st.to_string());
  }
}

}  // namespace pl
