// The programme's rules, enforced at the moment of writing.
#include "domain/decide.h"

#include <algorithm>

#include "base/checked.h"
#include "base/dates.h"
#include "domain/commands.h"
#include "domain/eligibility.h"
#include "domain/sampling.h"

namespace pl {

std::string person_name(std::string_view name) {
  std::string out;
  bool space = false;
  for (char c : name) {
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v') {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += c;
  }
  return out;
}

bool same_person(std::string_view a, std::string_view b) {
  std::string x = person_name(a), y = person_name(b);
  return x.size() == y.size() && std::equal(x.begin(), x.end(), y.begin(), [](char p, char q) {
           auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
           return lower(p) == lower(q);
         });
}

namespace {

using FBB = flatbuffers::FlatBufferBuilder;

Status bad(std::string m) { return Status::invalid(std::move(m)); }
Status missing(std::string_view what, const std::string& id) {
  return Status::not_found(std::string(what) + " '" + id + "' does not exist");
}
Status exists(std::string_view what, const std::string& id) {
  return Status::conflict("conflict", std::string(what) + " '" + id + "' already exists");
}

bool valid_id(const std::string& id) {
  if (id.empty() || id.size() > 128) return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
           c == '.';
  });
}

Status check_id(std::string_view what, const std::string& id) {
  if (valid_id(id)) return Status::ok();
  return bad(std::string(what) + " id '" + id + "' is not 1 to 128 letters, digits, '-', '_' or '.'");
}

Status check_text(std::string_view what, const std::string& s, std::size_t max = 4096) {
  if (s.empty()) return bad(std::string(what) + " is required");
  if (s.size() > max) return bad(std::string(what) + " is longer than " + std::to_string(max) + " bytes");
  return Status::ok();
}

bool valid_country(const std::string& c) {
  return c.size() == 2 && c[0] >= 'A' && c[0] <= 'Z' && c[1] >= 'A' && c[1] <= 'Z';
}

Status check_topics(const Rules& rules, const std::vector<std::string>& topics) {
  for (const auto& t : topics)
    if (!rules.topic_ok(t))
      return Status::rule("unknown_knowledge_area", "'" + t + "' is not a knowledge area of the programme");
  return Status::ok();
}

Status check_evidence_required(const std::vector<std::string>& list);

Status check_rules(const Rules& r) {
  if (r.hour_cap_minutes <= 0) return bad("hour_cap_minutes must be positive");
  if (r.fee_cap_cents <= 0) return bad("fee_cap_cents must be positive");
  if (r.min_months < 1 || r.max_months < r.min_months || r.max_months > 120)
    return bad("min_months and max_months must satisfy 1 <= min_months <= max_months <= 120");
  if (r.cofunding_bp < 0 || r.cofunding_bp > 10000) return bad("cofunding_bp must be between 0 and 10000");
  if (r.expert_min_years < 0) return bad("expert_min_years must not be negative");
  if (r.max_tours_per_mentee < 0) return bad("max_tours_per_mentee must not be negative");
  if (r.retention_years < 1 || r.retention_years > 100) return bad("retention_years must be between 1 and 100");
  for (const auto* list : {&r.mentee_countries, &r.mentor_countries})
    for (const auto& c : *list)
      if (!valid_country(c)) return bad("'" + c + "' is not an ISO 3166-1 alpha-2 country code");
  return check_evidence_required(r.evidence_required);
}

std::vector<flatbuffers::Offset<flatbuffers::String>> fb_strings(FBB& b, const std::vector<std::string>& v) {
  std::vector<flatbuffers::Offset<flatbuffers::String>> out;
  out.reserve(v.size());
  for (const auto& s : v) out.push_back(b.CreateString(s));
  return out;
}

// Collects the events of one decision.
class Out {
 public:
  Out(std::string id, std::optional<std::uint64_t> expected) : expected_(expected) { d_.id = std::move(id); }
  void programme(const ProgrammeState& p) {
    d_.programme_id = p.id;
    d_.rules_version = p.rules_version;
  }
  template <typename BuildFn>
  void emit(std::string stream, fb::Event type, BuildFn&& build) {
    d_.events.push_back({std::move(stream), first_ ? expected_ : std::nullopt, type, make_payload(type, build)});
    first_ = false;
  }
  Decision take() { return std::move(d_); }

 private:
  Decision d_;
  std::optional<std::uint64_t> expected_;
  bool first_ = true;
};

// Looks up the open programme `id`.
Result<const ProgrammeState*> open_programme(const State& s, const std::string& id) {
  const auto* p = State::find(s.programmes(), id);
  if (!p) return missing("programme", id);
  if (p->closed) return Status::rule("programme_closed", "programme '" + id + "' is closed");
  return p;
}

// Looks up the programme `id`, closed or not: the control of spending goes
// on after a programme closes (findings come years later; the documents are
// kept until retain_until).
Result<const ProgrammeState*> any_programme(const State& s, const std::string& id) {
  const auto* p = State::find(s.programmes(), id);
  if (!p) return missing("programme", id);
  return p;
}

Status period_ok(const Rules& r, std::int32_t start, std::int32_t end) {
  std::int32_t earliest = add_months(start, r.min_months), latest = add_months(start, r.max_months);
  if (end < earliest || end > latest)
    return Status::rule("period_out_of_bounds", "a period from " + format_date(start) + " to " + format_date(end) +
                                                    " is outside " + std::to_string(r.min_months) + " to " +
                                                    std::to_string(r.max_months) + " months: it must end between " +
                                                    format_date(earliest) + " and " + format_date(latest));
  return Status::ok();
}

bool add_overflows(std::int64_t a, std::int64_t b) {
  std::int64_t r;
  return __builtin_add_overflow(a, b, &r);
}

// A payment or credit note: its VAT-excluded part and its VAT, each not
// negative, not both zero.
Status check_parts(std::int64_t amount_cents, std::int64_t vat_cents) {
  if (amount_cents < 0) return bad("amount_cents must not be negative");
  if (vat_cents < 0) return bad("vat_cents must not be negative");
  if (amount_cents == 0 && vat_cents == 0) return bad("amount_cents and vat_cents must not both be zero");
  return Status::ok();
}

// ---------------------------------------------------------------- decisions

bool one_of(const std::string& x, const auto& list) {
  return std::find_if(std::begin(list), std::end(list), [&](const char* v) { return x == v; }) != std::end(list);
}
std::string listed(const auto& list) {
  std::string out;
  for (const char* v : list) out += (out.empty() ? "" : ", ") + std::string(v);
  return out;
}

bool lower_hex64(const std::string& h) {
  return h.size() == 64 &&
         std::all_of(h.begin(), h.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

// The evidence a programme's rules require: "step:kind", each step and kind
// known, none twice.
Status check_evidence_required(const std::vector<std::string>& list) {
  for (std::size_t i = 0; i < list.size(); ++i) {
    const std::string& e = list[i];
    auto colon = e.find(':');
    std::string step = e.substr(0, colon), kind = colon == std::string::npos ? "" : e.substr(colon + 1);
    if (colon == std::string::npos || !one_of(step, kEvidenceSteps) || !one_of(kind, kEvidenceKinds))
      return bad("evidence_required '" + e + "' is not step:kind with a step among " + listed(kEvidenceSteps) +
                 " and a kind among " + listed(kEvidenceKinds));
    if (std::find(list.begin(), list.begin() + static_cast<std::ptrdiff_t>(i), e) !=
        list.begin() + static_cast<std::ptrdiff_t>(i))
      return bad("evidence_required names '" + e + "' twice");
  }
  return Status::ok();
}

struct Decider {
  const State& s;
  std::int64_t now;
  std::optional<std::uint64_t> expected;
  const Actor& actor;

  Result<Decision> operator()(const OpenProgramme& c) const {
    PL_RETURN_IF_ERROR(check_id("programme", c.id));
    PL_RETURN_IF_ERROR(check_text("name", c.name, 512));
    PL_RETURN_IF_ERROR(check_text("coordinator", c.coordinator, 512));
    PL_RETURN_IF_ERROR(check_rules(c.rules));
    if (State::find(s.programmes(), c.id)) return exists("programme", c.id);
    Out out(c.id, expected);
    out.emit(programme_stream(c.id), fb::Event::ProgrammeOpened, [&](FBB& b) {
      auto id = b.CreateString(c.id), name = b.CreateString(c.name), coord = b.CreateString(c.coordinator);
      auto rules = c.rules.pack(b);
      return fb::CreateProgrammeOpened(b, id, name, coord, rules).Union();
    });
    Decision d = out.take();
    d.programme_id = c.id;
    d.rules_version = 1;
    return d;
  }

  Result<Decision> operator()(const AmendRules& given) const {
    auto p = open_programme(s, given.programme_id);
    if (!p) return p.status();
    AmendRules c = given;
    if (!c.kept.empty()) {
      std::vector<RuleValue> values = rule_values(c.rules), in_force = rule_values((*p)->rules);
      const auto& fields = rule_fields();
      for (std::size_t i = 0; i < fields.size(); ++i)
        if (fields[i].optional() && std::find(c.kept.begin(), c.kept.end(), fields[i].name) != c.kept.end())
          values[i] = in_force[i];
      c.rules = rules_from_values(values);
    }
    PL_RETURN_IF_ERROR(check_rules(c.rules));
    PL_RETURN_IF_ERROR(check_text("reason", c.reason));
    Out out(c.programme_id, expected);
    out.emit(programme_stream(c.programme_id), fb::Event::ProgrammeRulesAmended, [&](FBB& b) {
      auto id = b.CreateString(c.programme_id);
      auto rules = c.rules.pack(b);
      auto reason = b.CreateString(c.reason);
      return fb::CreateProgrammeRulesAmended(b, id, rules, reason).Union();
    });
    Decision d = out.take();
    d.programme_id = c.programme_id;
    d.rules_version = (*p)->rules_version + 1;  // the rules this event puts in force
    return d;
  }

  Result<Decision> operator()(const CloseProgramme& c) const {
    auto p = open_programme(s, c.programme_id);
    if (!p) return p.status();
    for (const auto& [id, pair] : s.pairs())
      if (pair.programme_id == c.programme_id && pair.status == PairStatus::active)
        return Status::conflict("conflict", "pair '" + id + "' is still active; complete or terminate it first");
    Out out(c.programme_id, expected);
    out.programme(**p);
    out.emit(programme_stream(c.programme_id), fb::Event::ProgrammeClosed, [&](FBB& b) {
      return fb::CreateProgrammeClosedDirect(b, c.programme_id.c_str(), c.date, c.reason.c_str()).Union();
    });
    return out.take();
  }

  Result<Decision> operator()(const HoldJointMeeting& c) const {
    auto p = open_programme(s, c.programme_id);
    if (!p) return p.status();
    // Without an id, meetings are numbered in the order they are recorded.
    std::string id = c.id.empty() ? "jm-" + std::to_string(s.count(fb::Event::JointMeetingHeld) + 1) : c.id;
    PL_RETURN_IF_ERROR(check_id("meeting", id));
    PL_RETURN_IF_ERROR(check_text("title", c.title, 512));
    for (const auto& pid : c.pair_ids) {
      const auto* pair = State::find(s.pairs(), pid);
      if (!pair || pair->programme_id != c.programme_id) return missing("pair", pid);
    }
    Out out(id, expected);
    out.programme(**p);
    out.emit(programme_stream(c.programme_id), fb::Event::JointMeetingHeld, [&](FBB& b) {
      auto pairs = fb_strings(b, c.pair_ids);
      return fb::CreateJointMeetingHeldDirect(b, c.programme_id.c_str(), id.c_str(), c.date, c.title.c_str(), &pairs)
          .Union();
    });
    return out.take();
  }

  Result<Decision> operator()(const EnrolMentee& c) const {
    auto p = open_programme(s, c.programme_id);
    if (!p) return p.status();
    PL_RETURN_IF_ERROR(check_id("mentee", c.id));
    PL_RETURN_IF_ERROR(check_text("name", c.name, 512));
    PL_RETURN_IF_ERROR(check_text("cluster_name", c.cluster_name, 512));
    if (!valid_country(c.country)) return bad("country '" + c.country + "' is not an ISO 3166-1 alpha-2 code");
    if (!(*p)->rules.mentee_country_ok(c.country))
      return Status::rule("not_eligible",
                          "mentee country " + c.country + " is not eligible in programme " + c.programme_id);
    if (State::find(s.mentees(), c.id)) return exists("mentee", c.id);
    Out out(c.id, expected);
    out.programme(**p);
    out.emit(mentee_stream(c.id), fb::Event::MenteeEnrolled, [&](FBB& b) {
      return fb::CreateMenteeEnrolledDirect(b, c.programme_id.c_str(), c.id.c_str(), c.name.c_str(),
                                            c.cluster_name.c_str(), c.sectors.c_str(), c.country.c_str(),
                                            c.website.c_str())
          .Union();
    });
    return out.take();
  }

  Result<Decision> operator()(const WithdrawMentee& c) const {
    const auto* m = State::find(s.mentees(), c.mentee_id);
    if (!m) return missing("mentee", c.mentee_id);
    if (m->withdrawn) return Status::conflict("conflict", "mentee '" + c.mentee_id + "' is already withdrawn");
    if (!m->active_pair.empty())
      return Status::conflict("conflict", "mentee '" + c.mentee_id + "' has the active pair '" + m->active_pair +
                                              "'; complete or terminate it first");
    PL_RETURN_IF_ERROR(check_text("reason", c.reason));
    auto p = open_programme(s, m->programme_id);
    if (!p) return p.status();
    Out out(c.mentee_id, expected);
    out.programme(**p);
    out.emit(mentee_stream(c.mentee_id), fb::Event::MenteeWithdrawn, [&](FBB& b) {
      return fb::CreateMenteeWithdrawnDirect(b, c.mentee_id.c_str(), c.date, c.reason.c_str()).Union();
    });
    return out.take();
  }

  Result<Decision> operator()(const SubmitApplication& c) const {
    auto p = open_programme(s, c.programme_id);
    if (!p) return p.status();
    const Rules& r = (*p)->rules;
    PL_RETURN_IF_ERROR(check_id("application", c.id));
    PL_RETURN_IF_ERROR(check_text("applicant_name", c.applicant_name, 512));
    PL_RETURN_IF_ERROR(check_text("organisation", c.organisation, 512));
    PL_RETURN_IF_ERROR(check_text("email", c.email, 512));
    if (c.email.find('@') == std::string::npos) return bad("email '" + c.email + "' has no '@'");
    if (!valid_country(c.country)) return bad("country '" + c.country + "' is not an ISO 3166-1 alpha-2 code");
    if (c.years_experience < 0 || c.years_experience > 80) return bad("years_experience must be between 0 and 80");
    if (c.quotation_cents <= 0) return bad("quotation_cents must be positive");
    std::int64_t received = c.received_at_us.value_or(now);
    if (received > now)
      return bad("received_at " + format_instant(received) + " is in the future (the server's clock reads " +
                 format_instant(now) + ")");
    if (State::find(s.applications(), c.id)) return exists("application", c.id);
    // The one definition of eligibility (domain/eligibility.h): its first reason refuses.
    auto reasons = eligibility(r, {c.country, c.profile, c.years_experience, c.quotation_cents, received});
    if (!reasons.empty()) return Status::rule(reasons.front().code, reasons.front().message);
    PL_RETURN_IF_ERROR(check_topics(r, c.knowledge_areas));
    Out out(c.id, expected);
    out.programme(**p);
    out.emit(application_stream(c.id), fb::Event::ApplicationSubmitted, [&](FBB& b) {
      auto areas = fb_strings(b, c.knowledge_areas);
      return fb::CreateApplicationSubmittedDirect(b, c.programme_id.c_str(), c.id.c_str(), c.applicant_name.c_str(),
                                                  c.organisation.c_str(), c.email.c_str(), c.country.c_str(), c.profile,
                                                  c.years_experience, &areas, c.quotation_cents, received)
          .Union();
    });
    return out.take();
  }

  Result<Decision> operator()(const AcceptApplication& c) const {
    const auto* a = State::find(s.applications(), c.application_id);
    if (!a) return missing("application", c.application_id);
    auto p = open_programme(s, a->programme_id);
    if (!p) return p.status();
    PL_RETURN_IF_ERROR(check_id("mentor", c.mentor_id));
    if (a->status != ApplicationStatus::submitted)
      return Status::conflict("conflict", "application '" + c.application_id + "' is already " +
                                              (a->status == ApplicationStatus::accepted ? "accepted" : "rejected"));
    if (State::find(s.mentors(), c.mentor_id)) return exists("mentor", c.mentor_id);
    Out out(c.application_id, expected);
    out.programme(**p);
    out.emit(application_stream(c.application_id), fb::Event::ApplicationAccepted, [&](FBB& b) {
      return fb::CreateApplicationAcceptedDirect(b, c.application_id.c_str(), c.mentor_id.c_str()).Union();
    });
    return out.take();
  }

  Result<Decision> operator()(const RejectApplication& c) const {
    const auto* a = State::find(s.applications(), c.application_id);
    if (!a) return missing("application", c.application_id);
    auto p = open_programme(s, a->programme_id);
    if (!p) return p.status();
    PL_RETURN_IF_ERROR(check_text("reason", c.reason));
    if (a->status != ApplicationStatus::submitted)
      return Status::conflict("conflict", "application '" + c.application_id + "' is already " +
                                              (a->status == ApplicationStatus::accepted ? "accepted" : "rejected"));
    Out out(c.application_id, expected);
    out.programme(**p);
    out.emit(application_stream(c.application_id), fb::Event::ApplicationRejected, [&](FBB& b) {
      return fb::CreateApplicationRejectedDirect(b, c.application_id.c_str(), c.reason.c_str()).Union();
    });
    return out.take();
  }

  Result<Decision> operator()(const AssignPair& c) const {
    auto p = open_programme(s, c.programme_id);
    if (!p) return p.status();
    const Rules& r = (*p)->rules;
    PL_RETURN_IF_ERROR(check_id("pair", c.id));
    if (State::find(s.pairs(), c.id)) return exists("pair", c.id);
    const auto* mentor = State::find(s.mentors(), c.mentor_id);
    if (!mentor || mentor->programme_id != c.programme_id) return missing("mentor", c.mentor_id);
    const auto* mentee = State::find(s.mentees(), c.mentee_id);
    if (!mentee || mentee->programme_id != c.programme_id) return missing("mentee", c.mentee_id);
    if (mentee->withdrawn) return Status::rule("not_eligible", "mentee '" + c.mentee_id + "' has withdrawn");
    if (!mentee->active_pair.empty())
      return Status::conflict("mentee_already_paired",
                              "mentee '" + c.mentee_id + "' already has the active pair '" + mentee->active_pair + "'");
    if (c.end_date <= c.start_date) return bad("end_date must be after start_date");
    PL_RETURN_IF_ERROR(period_ok(r, c.start_date, c.end_date));
    if (c.agreed_fee_cents <= 0) return bad("agreed_fee_cents must be positive");
    if (c.agreed_fee_cents > r.fee_cap_cents)
      return Status::rule("fee_cap_exceeded", "the agreed fee " + format_cents(c.agreed_fee_cents) +
                                                  " is above the fee cap of " + format_cents(r.fee_cap_cents));
    if (c.agreed_fee_cents > mentor->quotation_cents)
      return Status::rule("quotation_exceeded", "the agreed fee " + format_cents(c.agreed_fee_cents) +
                                                    " is above mentor " + c.mentor_id + "'s quotation of " +
                                                    format_cents(mentor->quotation_cents));
    PL_RETURN_IF_ERROR(check_topics(r, c.topics));
    if (c.override_reason.size() > 4096) return bad("override_reason is longer than 4096 bytes");
    if (!c.override_reason.empty() && c.override_reason.find_first_not_of(" \t\r\n") == std::string::npos)
      return bad("override_reason is blank: say why the topics depart from the diagnosis, or leave it out");
    // Pairs are matched on the needs of support found in the mentee's
    // diagnosis: with one, every topic is both offered by the mentor and
    // needed by the mentee, unless a reason to depart from it is recorded.
    if (mentee->diagnosed && c.override_reason.empty()) {
      auto in = [](const std::vector<std::string>& v, const std::string& x) {
        return std::find(v.begin(), v.end(), x) != v.end();
      };
      std::string unmatched;
      for (const auto& t : c.topics) {
        if (!in(mentor->areas, t))
          unmatched += (unmatched.empty() ? "'" : ", '") + t + "' (not offered by the mentor)";
        else if (!in(mentee->needs, t))
          unmatched += (unmatched.empty() ? "'" : ", '") + t + "' (not among the mentee's needs)";
      }
      if (c.topics.empty()) unmatched = "no topic named";
      if (!unmatched.empty())
        return Status::rule("topics_not_matched", "mentee " + c.mentee_id +
                                                      " has a needs diagnosis, and the pair's topics must be both "
                                                      "offered by mentor " +
                                                      c.mentor_id + " and among the mentee's needs: " + unmatched +
                                                      "; give override_reason to assign it anyway");
    }
    Out out(c.id, expected);
    out.programme(**p);
    out.emit(pair_stream(c.id), fb::Event::PairAssigned, [&](FBB& b) {
      auto topics = fb_strings(b, c.topics);
      return fb::CreatePairAssignedDirect(b, c.programme_id.c_str(), c.id.c_str(), c.mentor_id.c_str(),
                                          c.mentee_id.c_str(), c.start_date, c.end_date, c.agreed_fee_cents, &topics,
                                          c.override_reason.empty() ? nullptr : c.override_reason.c_str())
          .Union();
    });
    return out.take();
  }

  // The pair, its open programme, and that the pair is still active.
  Result<std::pair<const PairState*, const ProgrammeState*>> active_pair(const std::string& id) const {
    const auto* pair = State::find(s.pairs(), id);
    if (!pair || pair->programme_id.empty()) return missing("pair", id);
    auto p = open_programme(s, pair->programme_id);
    if (!p) return p.status();
    if (pair->status != PairStatus::active)
      return Status::rule("pair_not_active", "pair '" + id + "' is " +
                                                 (pair->status == PairStatus::completed ? "completed" : "terminated"));
    return std::make_pair(pair, *p);
  }

  Result<Decision> operator()(const ChangePairPeriod& c) const {
    auto pp = active_pair(c.pair_id);
    if (!pp) return pp.status();
    const auto* pair = pp->first;  // named variables: lambdas below capture them
    const auto* prog = pp->second;
    PL_RETURN_IF_ERROR(check_text("reason", c.reason));
    if (c.end_date <= pair->start_date) return bad("end_date must be after the pair's start date");
    PL_RETURN_IF_ERROR(period_ok(prog->rules, pair->start_date, c.end_date));
    for (const auto& sess : pair->sessions)
      if (!sess.voided() && sess.date > c.end_date)
        return Status::rule("outside_pair_period", "session '" + sess.id + "' of " + format_date(sess.date) +
                                                       " would fall after the new end date " + format_date(c.end_date));
    Out out(c.pair_id, expected);
    out.programme(*prog);
    out.emit(pair_stream(c.pair_id), fb::Event::PairPeriodChanged, [&](FBB& b) {
      return fb::CreatePairPeriodChangedDirect(b, c.pair_id.c_str(), pair->start_date, c.end_date, c.reason.c_str())
          .Union();
    });
    return out.take();
  }

  Result<Decision> operator()(const LogSession& c) const {
    auto pp = active_pair(c.pair_id);
    if (!pp) return pp.status();
    const auto* pair = pp->first;  // named variables: lambdas below capture them
    const auto* prog = pp->second;
    const Rules& r = prog->rules;
    PL_RETURN_IF_ERROR(check_id("session", c.id));
    if (pair->session(c.id)) return exists("session", c.id);
    if (c.minutes <= 0) return bad("minutes must be positive");
    if (c.summary.size() > 16384) return bad("summary is longer than 16384 bytes");
    if (c.date < pair->start_date || c.date > pair->end_date)
      return Status::rule("outside_pair_period", "the session date " + format_date(c.date) +
                                                     " is outside the pair's period " + format_date(pair->start_date) +
                                                     " to " + format_date(pair->end_date));
    // A day of grace past the recording day (UTC): a session held today in
    // a time zone ahead of UTC is not refused.
    std::int32_t recording_day = day_of(now);
    if (c.date > recording_day + 1)
      return Status::rule("future_date", "the session date " + format_date(c.date) +
                                             " is more than one day after today (" + format_date(recording_day) +
                                             ", UTC): a session is logged once it has taken place");
    PL_RETURN_IF_ERROR(check_topics(r, c.topics));
    const auto* mentee = State::find(s.mentees(), pair->mentee_id);
    std::int64_t used = mentee ? mentee->minutes_used : 0;
    std::int64_t left = sat_sub(r.hour_cap_minutes, used);
    if (c.minutes > left)
      return Status::rule("hour_cap_exceeded", "mentee " + pair->mentee_id + ": " + format_minutes(used) + " used of " +
                                                   format_minutes(r.hour_cap_minutes) + ", " +
                                                   format_minutes(c.minutes) + " asked, " +
                                                   format_minutes(std::max<std::int64_t>(left, 0)) + " left");
    Out out(c.id, expected);
    out.programme(*prog);
    out.emit(pair_stream(c.pair_id), fb::Event::SessionLogged, [&](FBB& b) {
      auto topics = fb_strings(b, c.topics);
      return fb::CreateSessionLoggedDirect(b, c.pair_id.c_str(), c.id.c_str(), c.date, c.minutes, c.mode, c.format,
                                           &topics, c.summary.c_str())
          .Union();
    });
    return out.take();
  }

  Result<Decision> operator()(const VoidSession& c) const {
    const auto* pair = State::find(s.pairs(), c.pair_id);
    if (!pair || pair->programme_id.empty()) return missing("pair", c.pair_id);
    auto p = open_programme(s, pair->programme_id);
    if (!p) return p.status();
    const SessionState* sess = pair->session(c.session_id);
    if (!sess) return missing("session", c.session_id);
    if (sess->voided()) return Status::conflict("conflict", "session '" + c.session_id + "' is already voided");
    PL_RETURN_IF_ERROR(check_text("reason", c.reason));
    Out out(c.session_id, expected);
    out.programme(**p);
    out.emit(pair_stream(c.pair_id), fb::Event::SessionVoided, [&](FBB& b) {
      return fb::CreateSessionVoidedDirect(b, c.pair_id.c_str(), c.session_id.c_str(), c.reason.c_str()).Union();
    });
    return out.take();
  }

  Result<Decision> operator()(const SubmitReport& c) const {
    auto pp = active_pair(c.pair_id);
    if (!pp) return pp.status();
    const auto* prog = pp->second;
    if (c.language != "en")
      return Status::rule("report_language", "the final report must be in English (en), not '" + c.language + "'");
    PL_RETURN_IF_ERROR(check_text("progress", c.progress, 65536));
    PL_RETURN_IF_ERROR(check_text("outcomes", c.outcomes, 65536));
    if (c.topics.empty())
      return Status::rule("report_incomplete",
                          "the final report must name the main topics discussed (topics is empty)");
    PL_RETURN_IF_ERROR(check_topics(prog->rules, c.topics));
    Out out(c.pair_id, expected);
    out.programme(*prog);
    out.emit(pair_stream(c.pair_id), fb::Event::ReportSubmitted, [&](FBB& b) {
      auto topics = fb_strings(b, c.topics);
      return fb::CreateReportSubmittedDirect(b, c.pair_id.c_str(), c.language.c_str(), &topics, c.progress.c_str(),
                                             c.outcomes.c_str())
          .Union();
    });
    return out.take();
  }

  Result<Decision> operator()(const CompletePair& c) const {
    auto pp = active_pair(c.pair_id);
    if (!pp) return pp.status();
    const auto* pair = pp->first;  // named variables: lambdas below capture them
    const auto* prog = pp->second;
    if (!pair->report_submitted)
      return Status::rule("report_missing",
                          "pair '" + c.pair_id + "' cannot complete before its final report is submitted");
    Out out(c.pair_id, expected);
    out.programme(*prog);
    out.emit(pair_stream(c.pair_id), fb::Event::PairCompleted,
             [&](FBB& b) { return fb::CreatePairCompletedDirect(b, c.pair_id.c_str()).Union(); });
    return out.take();
  }

  Result<Decision> operator()(const TerminatePair& c) const {
    auto pp = active_pair(c.pair_id);
    if (!pp) return pp.status();
    PL_RETURN_IF_ERROR(check_text("reason", c.reason));
    Out out(c.pair_id, expected);
    out.programme(*pp->second);
    out.emit(pair_stream(c.pair_id), fb::Event::PairTerminated,
             [&](FBB& b) { return fb::CreatePairTerminatedDirect(b, c.pair_id.c_str(), c.reason.c_str()).Union(); });
    return out.take();
  }

  Result<Decision> operator()(const IssueInvoice& c) const {
    const auto* pair = State::find(s.pairs(), c.pair_id);
    if (!pair || pair->programme_id.empty()) return missing("pair", c.pair_id);
    auto p = open_programme(s, pair->programme_id);
    if (!p) return p.status();
    const Rules& r = (*p)->rules;
    PL_RETURN_IF_ERROR(check_id("invoice", c.id));
    PL_RETURN_IF_ERROR(check_text("number", c.number, 64));
    if (State::find(s.invoices(), c.id)) return exists("invoice", c.id);
    if (c.net_cents <= 0) return bad("net_cents must be positive");
    if (c.vat_cents < 0) return bad("vat_cents must not be negative");
    if (add_overflows(c.net_cents, c.vat_cents)) return bad("net_cents + vat_cents overflows");
    const auto* mentor = State::find(s.mentors(), pair->mentor_id);
    if (mentor && mentor->invoice_numbers.count(c.number))
      return Status::conflict("conflict",
                              "mentor " + pair->mentor_id + " already issued an invoice numbered '" + c.number + "'");
    const auto* mentee = State::find(s.mentees(), pair->mentee_id);
    std::int64_t mentee_net = mentee ? mentee->net_invoiced_cents : 0;
    std::int64_t cap_left = sat_sub(r.fee_cap_cents, mentee_net);
    if (c.net_cents > cap_left)
      return Status::rule("fee_cap_exceeded", "mentee " + pair->mentee_id + ": " + format_cents(mentee_net) +
                                                  " invoiced net of " + format_cents(r.fee_cap_cents) + ", " +
                                                  format_cents(c.net_cents) + " asked, " +
                                                  format_cents(std::max<std::int64_t>(cap_left, 0)) + " left");
    std::int64_t pair_left = sat_sub(pair->agreed_fee_cents, pair->net_invoiced_cents);
    if (c.net_cents > pair_left)
      return Status::rule("quotation_exceeded", "pair " + c.pair_id + ": " + format_cents(pair->net_invoiced_cents) +
                                                    " invoiced net of the agreed " +
                                                    format_cents(pair->agreed_fee_cents) + ", " +
                                                    format_cents(c.net_cents) + " asked, " +
                                                    format_cents(std::max<std::int64_t>(pair_left, 0)) + " left");
    Out out(c.id, expected);
    out.programme(**p);
    out.emit(invoice_stream(c.id), fb::Event::InvoiceIssued, [&](FBB& b) {
      return fb::CreateInvoiceIssuedDirect(b, c.id.c_str(), c.pair_id.c_str(), pair->mentor_id.c_str(),
                                           pair->mentee_id.c_str(), c.number.c_str(), c.issue_date, c.net_cents,
                                           c.vat_cents)
          .Union();
    });
    return out.take();
  }

  Result<std::pair<const InvoiceState*, const ProgrammeState*>> invoice(const std::string& id) const {
    const auto* inv = State::find(s.invoices(), id);
    if (!inv || inv->pair_id.empty()) return missing("invoice", id);
    const auto* pair = State::find(s.pairs(), inv->pair_id);
    if (!pair) return missing("pair", inv->pair_id);
    auto p = open_programme(s, pair->programme_id);
    if (!p) return p.status();
    if (inv->cancelled) return Status::rule("invoice_cancelled", "invoice '" + id + "' is cancelled");
    return std::make_pair(inv, *p);
  }

  // The invoice `id` and its programme, closed or not, cancelled or not: for
  // the control of spending.
  Result<std::pair<const InvoiceState*, const ProgrammeState*>> invoice_any(const std::string& id) const {
    const auto* inv = State::find(s.invoices(), id);
    if (!inv || inv->pair_id.empty()) return missing("invoice", id);
    const auto* pair = State::find(s.pairs(), inv->pair_id);
    if (!pair) return missing("pair", inv->pair_id);
    auto p = any_programme(s, pair->programme_id);
    if (!p) return p.status();
    return std::make_pair(inv, *p);
  }

  // Four eyes: who verified an invoice does not pay or credit it after.
  Status not_its_verifier(const InvoiceState& inv, std::string_view what) const {
    if (!inv.verified_by.empty() && same_person(actor.name, inv.verified_by))
      return Status::forbidden("four_eyes", "'" + actor.name + "' verified invoice " + inv.id + ": another person " +
                                                std::string(what) + " it");
    return Status::ok();
  }

  Result<Decision> operator()(const PayInvoice& c) const {
    auto ip = invoice(c.invoice_id);
    if (!ip) return ip.status();
    const InvoiceState* inv = ip->first;
    PL_RETURN_IF_ERROR(not_its_verifier(*inv, "pays"));
    PL_RETURN_IF_ERROR(check_parts(c.amount_cents, c.vat_cents));
    if (c.amount_cents > inv->due_cents())
      return Status::rule("overpayment", "invoice " + c.invoice_id + ": " + format_cents(inv->due_cents()) +
                                             " still due VAT excluded (net " + format_cents(inv->net_cents) +
                                             ", credited " + format_cents(inv->credited_cents) + ", paid " +
                                             format_cents(inv->paid_cents) + "), " + format_cents(c.amount_cents) +
                                             " offered");
    if (c.vat_cents > inv->vat_due_cents())
      return Status::rule("overpayment", "invoice " + c.invoice_id + ": " + format_cents(inv->vat_due_cents()) +
                                             " of VAT still due (VAT " + format_cents(inv->vat_cents) + ", credited " +
                                             format_cents(inv->vat_credited_cents) + ", paid " +
                                             format_cents(inv->vat_paid_cents) + "), " + format_cents(c.vat_cents) +
                                             " offered");
    Out out(c.invoice_id, expected);
    out.programme(*ip->second);
    out.emit(invoice_stream(c.invoice_id), fb::Event::InvoicePaid, [&](FBB& b) {
      return fb::CreateInvoicePaid(b, b.CreateString(c.invoice_id), c.paid_date, c.amount_cents, c.vat_cents).Union();
    });
    return out.take();
  }

  Result<Decision> operator()(const CancelInvoice& c) const {
    auto ip = invoice(c.invoice_id);
    if (!ip) return ip.status();
    PL_RETURN_IF_ERROR(check_text("reason", c.reason));
    if (ip->first->paid_cents > 0 || ip->first->vat_paid_cents > 0)
      return Status::rule("invoice_paid", "invoice " + c.invoice_id + " has " + format_cents(ip->first->paid_cents) +
                                              " paid and " + format_cents(ip->first->vat_paid_cents) +
                                              " of VAT paid; correct it with a credit note instead");
    // What the control of spending found stays on the record: an invoice
    // verified or corrected is not cancelled.
    if (ip->first->verified || ip->first->corrected_cents > 0)
      return Status::rule("invoice_controlled",
                          "invoice " + c.invoice_id + " is " +
                              (ip->first->corrected_cents > 0
                                   ? "corrected by " + format_cents(ip->first->corrected_cents)
                                   : "verified (certified " + format_cents(ip->first->certified_cents) + ")") +
                              ": its control stays on the record; correct it with a credit note instead");
    Out out(c.invoice_id, expected);
    out.programme(*ip->second);
    out.emit(invoice_stream(c.invoice_id), fb::Event::InvoiceCancelled, [&](FBB& b) {
      return fb::CreateInvoiceCancelledDirect(b, c.invoice_id.c_str(), c.reason.c_str()).Union();
    });
    return out.take();
  }

  Result<Decision> operator()(const IssueCreditNote& c) const {
    auto ip = invoice(c.invoice_id);
    if (!ip) return ip.status();
    const InvoiceState* inv = ip->first;
    PL_RETURN_IF_ERROR(not_its_verifier(*inv, "credits"));
    PL_RETURN_IF_ERROR(check_id("credit note", c.id));
    PL_RETURN_IF_ERROR(check_text("reason", c.reason));
    if (s.credit_notes().count(c.id)) return exists("credit note", c.id);
    PL_RETURN_IF_ERROR(check_parts(c.amount_cents, c.vat_cents));
    std::int64_t creditable = inv->due_cents();
    if (c.amount_cents > creditable)
      return Status::rule("credit_exceeds_invoice",
                          "invoice " + c.invoice_id + ": " + format_cents(creditable) +
                              " can still be credited VAT excluded (net " + format_cents(inv->net_cents) +
                              ", credited " + format_cents(inv->credited_cents) + ", paid " +
                              format_cents(inv->paid_cents) + "), " + format_cents(c.amount_cents) + " asked");
    if (c.vat_cents > inv->vat_due_cents())
      return Status::rule("credit_exceeds_invoice",
                          "invoice " + c.invoice_id + ": " + format_cents(inv->vat_due_cents()) +
                              " of VAT can still be credited (VAT " + format_cents(inv->vat_cents) + ", credited " +
                              format_cents(inv->vat_credited_cents) + ", paid " + format_cents(inv->vat_paid_cents) +
                              "), " + format_cents(c.vat_cents) + " asked");
    // The corrections applied to it stay within what it declares.
    if (inv->net_invoiced_cents() - c.amount_cents < inv->corrected_cents)
      return Status::rule("credit_below_corrections",
                          "invoice " + c.invoice_id + ": financial corrections of " +
                              format_cents(inv->corrected_cents) + " were applied; a credit note of " +
                              format_cents(c.amount_cents) + " would take its net invoiced (" +
                              format_cents(inv->net_invoiced_cents()) + ") below them");
    Out out(c.id, expected);
    out.programme(*ip->second);
    out.emit(invoice_stream(c.invoice_id), fb::Event::CreditNoteIssued, [&](FBB& b) {
      return fb::CreateCreditNoteIssuedDirect(b, c.invoice_id.c_str(), c.id.c_str(), c.amount_cents, c.reason.c_str(),
                                              c.vat_cents)
          .Union();
    });
    return out.take();
  }

  Result<Decision> operator()(const ScheduleTour& c) const {
    auto p = open_programme(s, c.programme_id);
    if (!p) return p.status();
    PL_RETURN_IF_ERROR(check_id("tour", c.id));
    PL_RETURN_IF_ERROR(check_text("region", c.region, 512));
    PL_RETURN_IF_ERROR(check_text("host", c.host, 512));
    if (c.end_date < c.start_date) return bad("end_date must not be before start_date");
    if (State::find(s.tours(), c.id)) return exists("tour", c.id);
    // A tour's topics are its own words (the training subjects chosen for
    // it), not the programme's knowledge areas.
    for (const auto& t : c.topics) PL_RETURN_IF_ERROR(check_text("a topic", t, 512));
    Out out(c.id, expected);
    out.programme(**p);
    out.emit(tour_stream(c.id), fb::Event::TourScheduled, [&](FBB& b) {
      auto topics = fb_strings(b, c.topics);
      return fb::CreateTourScheduledDirect(b, c.programme_id.c_str(), c.id.c_str(), c.region.c_str(), c.host.c_str(),
                                           c.start_date, c.end_date, &topics)
          .Union();
    });
    return out.take();
  }

  Result<Decision> operator()(const RegisterTourParticipant& c) const {
    const auto* tour = State::find(s.tours(), c.tour_id);
    if (!tour) return missing("tour", c.tour_id);
    auto p = open_programme(s, tour->programme_id);
    if (!p) return p.status();
    bool mentee_kind = c.kind.empty() || c.kind == "cluster_manager";
    if (!mentee_kind && c.kind != "cluster_representative" && c.kind != "network_manager")
      return bad("kind '" + c.kind + "' is not one of: cluster_manager, cluster_representative, network_manager");
    if (!mentee_kind) {
      // A person who is not a mentee: no limit of tours applies.
      if (!c.mentee_id.empty()) return bad("mentee_id is for kind cluster_manager only");
      PL_RETURN_IF_ERROR(check_id("participant", c.participant_id));
      PL_RETURN_IF_ERROR(check_text("name", c.name, 512));
      PL_RETURN_IF_ERROR(check_text("organisation", c.organisation, 512));
      if (!valid_country(c.country)) return bad("country '" + c.country + "' is not an ISO 3166-1 alpha-2 code");
      // A mentee is a cluster manager, registered by mentee_id: the tour
      // limit applies to it, and one id names one person in the tour.
      if (const auto* m = State::find(s.mentees(), c.participant_id); m && m->programme_id == tour->programme_id)
        return bad("participant '" + c.participant_id + "' is a mentee of the programme: register it by mentee_id");
      if (tour->participants.count(c.participant_id) || tour->others.count(c.participant_id))
        return Status::conflict(
            "conflict", "participant '" + c.participant_id + "' is already registered for tour '" + c.tour_id + "'");
      Out out(c.tour_id, expected);
      out.programme(**p);
      out.emit(tour_stream(c.tour_id), fb::Event::TourParticipantRegistered, [&](FBB& b) {
        return fb::CreateTourParticipantRegisteredDirect(b, c.tour_id.c_str(), nullptr, c.kind.c_str(),
                                                         c.participant_id.c_str(), c.name.c_str(),
                                                         c.organisation.c_str(), c.country.c_str())
            .Union();
      });
      return out.take();
    }
    if (!c.participant_id.empty() || !c.name.empty() || !c.organisation.empty() || !c.country.empty())
      return bad(
          "a cluster manager is registered by mentee_id alone; participant_id, name, organisation and "
          "country are for the other kinds");
    const auto* mentee = State::find(s.mentees(), c.mentee_id);
    if (!mentee || mentee->programme_id != tour->programme_id) return missing("mentee", c.mentee_id);
    if (mentee->withdrawn) return Status::rule("not_eligible", "mentee '" + c.mentee_id + "' has withdrawn");
    if (tour->participants.count(c.mentee_id))
      return Status::conflict("conflict",
                              "mentee '" + c.mentee_id + "' is already registered for tour '" + c.tour_id + "'");
    auto limit = static_cast<std::size_t>((*p)->rules.max_tours_per_mentee);
    if (mentee->tours.size() >= limit)
      return Status::rule("tour_limit_exceeded", "mentee " + c.mentee_id + " is registered for " +
                                                     std::to_string(mentee->tours.size()) +
                                                     " tours, the most allowed is " + std::to_string(limit));
    Out out(c.tour_id, expected);
    out.programme(**p);
    out.emit(tour_stream(c.tour_id), fb::Event::TourParticipantRegistered, [&](FBB& b) {
      return fb::CreateTourParticipantRegisteredDirect(b, c.tour_id.c_str(), c.mentee_id.c_str()).Union();
    });
    return out.take();
  }

  Result<Decision> operator()(const CancelTourParticipant& c) const {
    const auto* tour = State::find(s.tours(), c.tour_id);
    if (!tour) return missing("tour", c.tour_id);
    auto p = open_programme(s, tour->programme_id);
    if (!p) return p.status();
    if (c.mentee_id.empty() == c.participant_id.empty())
      return bad("name either mentee_id (a mentee) or participant_id (another kind of participant)");
    if (!c.mentee_id.empty() && !tour->participants.count(c.mentee_id))
      return missing("registration of mentee", c.mentee_id);
    if (!c.participant_id.empty() && !tour->others.count(c.participant_id))
      return missing("registration of participant", c.participant_id);
    PL_RETURN_IF_ERROR(check_text("reason", c.reason));
    Out out(c.tour_id, expected);
    out.programme(**p);
    out.emit(tour_stream(c.tour_id), fb::Event::TourParticipantCancelled, [&](FBB& b) {
      return fb::CreateTourParticipantCancelledDirect(b, c.tour_id.c_str(), c.mentee_id.c_str(), c.reason.c_str(),
                                                      c.participant_id.empty() ? nullptr : c.participant_id.c_str())
          .Union();
    });
    return out.take();
  }

  Result<Decision> operator()(const DiagnoseNeeds& c) const {
    const auto* m = State::find(s.mentees(), c.mentee_id);
    if (!m) return missing("mentee", c.mentee_id);
    auto p = open_programme(s, m->programme_id);
    if (!p) return p.status();
    if (m->withdrawn) return Status::rule("not_eligible", "mentee '" + c.mentee_id + "' has withdrawn");
    if (c.areas.empty()) return bad("areas must name at least one knowledge area");
    for (std::size_t i = 0; i < c.areas.size(); ++i)
      if (std::find(c.areas.begin(), c.areas.begin() + static_cast<std::ptrdiff_t>(i), c.areas[i]) !=
          c.areas.begin() + static_cast<std::ptrdiff_t>(i))
        return bad("areas names '" + c.areas[i] + "' twice");
    PL_RETURN_IF_ERROR(check_topics((*p)->rules, c.areas));
    if (c.note.size() > 16384) return bad("note is longer than 16384 bytes");
    Out out(c.mentee_id, expected);
    out.programme(**p);
    out.emit(mentee_stream(c.mentee_id), fb::Event::NeedsDiagnosed, [&](FBB& b) {
      auto areas = fb_strings(b, c.areas);
      return fb::CreateNeedsDiagnosedDirect(b, c.mentee_id.c_str(), &areas, c.note.c_str()).Union();
    });
    return out.take();
  }

  // ---- control of spending

  Result<Decision> operator()(const AttachEvidence& c) const {
    if (!lower_hex64(c.sha256)) return bad("sha256 must be 64 lower-case hexadecimal digits");
    if (!one_of(c.kind, kEvidenceKinds)) return bad("kind '" + c.kind + "' is not one of: " + listed(kEvidenceKinds));
    PL_RETURN_IF_ERROR(check_text("filename", c.filename, 255));
    PL_RETURN_IF_ERROR(check_text("content_type", c.content_type, 255));
    if (c.size <= 0) return bad("size must be positive");
    if (c.note.size() > 4096) return bad("note is longer than 4096 bytes");
    const ProgrammeState* programme = nullptr;
    std::string stream;
    if (c.entity == "invoice") {
      auto ip = invoice_any(c.entity_id);
      if (!ip) return ip.status();
      programme = ip->second;
      stream = invoice_stream(c.entity_id);
    } else if (c.entity == "pair" || c.entity == "session") {
      const auto* pair = State::find(s.pairs(), c.entity_id);
      if (!pair) return missing("pair", c.entity_id);
      auto p = any_programme(s, pair->programme_id);
      if (!p) return p.status();
      programme = *p;
      if (c.entity == "session") {
        const SessionState* session = pair->session(c.session_id);
        if (!session) return missing("session", c.session_id);
        if (session->voided())
          return Status::rule("session_voided",
                              "session '" + c.session_id + "' of pair '" + c.entity_id + "' is voided");
      }
      stream = pair_stream(c.entity_id);
    } else if (c.entity == "application") {
      const auto* app = State::find(s.applications(), c.entity_id);
      if (!app) return missing("application", c.entity_id);
      auto p = any_programme(s, app->programme_id);
      if (!p) return p.status();
      programme = *p;
      stream = application_stream(c.entity_id);
    } else {
      return bad("entity '" + c.entity + "' is not one of: invoice, pair, session, application");
    }
    Out out(c.entity_id, expected);
    out.programme(*programme);
    out.emit(stream, fb::Event::EvidenceAttached, [&](FBB& b) {
      return fb::CreateEvidenceAttachedDirect(
                 b, c.entity.c_str(), c.entity_id.c_str(), c.entity == "session" ? c.session_id.c_str() : nullptr,
                 c.sha256.c_str(), c.kind.c_str(), c.filename.c_str(), c.content_type.c_str(), c.size, c.note.c_str())
          .Union();
    });
    return out.take();
  }

  // Samples: domain/decide_samples.cc.
  Result<Decision> operator()(const RequestSample& c) const {
    auto p = any_programme(s, c.programme_id);
    if (!p) return p.status();
    PL_RETURN_IF_ERROR(check_id("sample", c.id));
    return decide_sample_request(s, **p, c, expected);
  }
  Result<Decision> operator()(const DrawSample& c) const {
    auto p = any_programme(s, c.programme_id);
    if (!p) return p.status();
    return decide_sample_draw(**p, c, expected);
  }

  Result<Decision> operator()(const VerifyExpenditure& c) const {
    auto ip = invoice_any(c.invoice_id);
    if (!ip) return ip.status();
    const InvoiceState* inv = ip->first;
    if (inv->cancelled) return Status::rule("invoice_cancelled", "invoice '" + c.invoice_id + "' is cancelled");
    if (std::any_of(inv->recorded_by.begin(), inv->recorded_by.end(),
                    [&](const std::string& by) { return same_person(actor.name, by); }))
      return Status::forbidden("four_eyes", "'" + actor.name + "' recorded invoice " + c.invoice_id +
                                                " or a payment of it: another person verifies it");
    if (c.certified_cents < 0) return bad("certified_cents must not be negative");
    if (c.deducted_cents < 0) return bad("deducted_cents must not be negative");
    if (add_overflows(c.certified_cents, c.deducted_cents) ||
        c.certified_cents + c.deducted_cents != inv->net_invoiced_cents())
      return Status::rule("verification_mismatch",
                          "invoice " + c.invoice_id + ": certified " + format_cents(c.certified_cents) +
                              " plus deducted " + format_cents(c.deducted_cents) + " must equal the net invoiced " +
                              format_cents(inv->net_invoiced_cents()) + " (net " + format_cents(inv->net_cents) +
                              " less credit notes " + format_cents(inv->credited_cents) + ")");
    if (c.deducted_cents > 0 && c.error_type.empty())
      return Status::rule("error_type_required", "a deduction of " + format_cents(c.deducted_cents) +
                                                     " names its error_type: one of " + listed(kErrorTypes));
    if (!c.error_type.empty() && !one_of(c.error_type, kErrorTypes))
      return bad("error_type '" + c.error_type + "' is not one of: " + listed(kErrorTypes));
    if (!c.error_type.empty() && c.deducted_cents == 0)
      return bad("error_type names the error of a deduction: deducted_cents is 0");
    if (c.certified_cents < inv->corrected_cents)
      return Status::rule("verification_mismatch", "invoice " + c.invoice_id + ": financial corrections of " +
                                                       format_cents(inv->corrected_cents) +
                                                       " were applied; it cannot be certified below them (" +
                                                       format_cents(c.certified_cents) + " asked)");
    if (!c.sample_id.empty()) {
      auto sample = ip->second->samples.find(c.sample_id);
      if (sample == ip->second->samples.end()) return missing("sample", c.sample_id);
      if (!sample->second.count(c.invoice_id))
        return Status::rule("not_in_sample", "sample '" + c.sample_id + "' did not select invoice " + c.invoice_id);
    }
    if (c.note.size() > 4096) return bad("note is longer than 4096 bytes");
    Out out(c.invoice_id, expected);
    out.programme(*ip->second);
    out.emit(invoice_stream(c.invoice_id), fb::Event::ExpenditureVerified, [&](FBB& b) {
      return fb::CreateExpenditureVerifiedDirect(b, c.invoice_id.c_str(), c.certified_cents, c.deducted_cents,
                                                 c.error_type.c_str(), c.note.c_str(), c.sample_id.c_str())
          .Union();
    });
    return out.take();
  }

  Result<Decision> operator()(const RecordFinding& c) const {
    auto p = any_programme(s, c.programme_id);
    if (!p) return p.status();
    PL_RETURN_IF_ERROR(check_id("finding", c.id));
    if (State::find(s.findings(), c.id)) return exists("finding", c.id);
    if (!one_of(c.source, kFindingSources))
      return bad("source '" + c.source + "' is not one of: " + listed(kFindingSources));
    if (!one_of(c.error_type, kErrorTypes))
      return bad("error_type '" + c.error_type + "' is not one of: " + listed(kErrorTypes));
    const auto* inv = State::find(s.invoices(), c.invoice_id);
    const auto* pair = inv ? State::find(s.pairs(), inv->pair_id) : nullptr;
    if (!inv || !pair || pair->programme_id != c.programme_id)
      return Status::not_found("invoice '" + c.invoice_id + "' does not exist in programme '" + c.programme_id + "'");
    if (c.positions.empty()) return bad("positions must name at least one event");
    for (std::size_t i = 0; i < c.positions.size(); ++i) {
      if (c.positions[i] < 1 || c.positions[i] > s.position())
        return bad("position " + std::to_string(c.positions[i]) + " is not an event of the ledger (1 to " +
                   std::to_string(s.position()) + ")");
      if (std::find(c.positions.begin(), c.positions.begin() + static_cast<std::ptrdiff_t>(i), c.positions[i]) !=
          c.positions.begin() + static_cast<std::ptrdiff_t>(i))
        return bad("positions names " + std::to_string(c.positions[i]) + " twice");
    }
    if (c.amount_cents < 0) return bad("amount_cents must not be negative");
    if (c.amount_cents > inv->net_cents)
      return Status::rule("finding_exceeds_invoice", "a finding of " + format_cents(c.amount_cents) + " on invoice " +
                                                         c.invoice_id + ", whose net is " +
                                                         format_cents(inv->net_cents));
    PL_RETURN_IF_ERROR(check_text("description", c.description, 16384));
    Out out(c.id, expected);
    out.programme(**p);
    out.emit(finding_stream(c.id), fb::Event::FindingRecorded, [&](FBB& b) {
      return fb::CreateFindingRecordedDirect(b, c.programme_id.c_str(), c.id.c_str(), c.source.c_str(),
                                             c.invoice_id.c_str(), &c.positions, c.error_type.c_str(), c.amount_cents,
                                             c.description.c_str())
          .Union();
    });
    return out.take();
  }

  Result<Decision> operator()(const ApplyCorrection& c) const {
    const auto* f = State::find(s.findings(), c.finding_id);
    if (!f) return missing("finding", c.finding_id);
    auto p = any_programme(s, f->programme_id);
    if (!p) return p.status();
    PL_RETURN_IF_ERROR(check_id("correction", c.id));
    if (State::find(s.corrections(), c.id)) return exists("correction", c.id);
    if (same_person(actor.name, f->recorded_by))
      return Status::forbidden("four_eyes", "'" + actor.name + "' recorded finding " + c.finding_id +
                                                ": another person applies its correction");
    if (c.amount_cents <= 0) return bad("amount_cents must be positive");
    PL_RETURN_IF_ERROR(check_text("reason", c.reason));
    const auto* inv = State::find(s.invoices(), f->invoice_id);
    if (inv && inv->cancelled)
      return Status::rule("invoice_cancelled",
                          "invoice '" + f->invoice_id + "' is cancelled: it declares nothing to correct");
    std::int64_t left = inv ? inv->correctable_cents() : 0;
    if (c.amount_cents > left)
      return Status::rule(
          "correction_exceeds_certified",
          "invoice " + f->invoice_id + ": " + format_cents(left) + " certified is left to correct (certified " +
              format_cents(inv ? inv->certified_cents : 0) + ", corrected " +
              format_cents(inv ? inv->corrected_cents : 0) +
              (inv && inv->verified
                   ? ""
                   : "; the invoice is not verified, or a credit note since made its verification stale") +
              "), " + format_cents(c.amount_cents) + " asked");
    Out out(c.id, expected);
    out.programme(**p);
    out.emit(finding_stream(c.finding_id), fb::Event::FinancialCorrectionApplied, [&](FBB& b) {
      return fb::CreateFinancialCorrectionAppliedDirect(b, c.finding_id.c_str(), c.id.c_str(), f->invoice_id.c_str(),
                                                        c.amount_cents, c.reason.c_str())
          .Union();
    });
    return out.take();
  }
};

}  // namespace

Result<Decision> decide(const State& state, std::int64_t now_us, const AnyCommand& command,
                        std::optional<std::uint64_t> expected_version, const Actor& actor) {
  return std::visit(Decider{state, now_us, expected_version, actor}, command);
}

Command make_command(AnyCommand command, Actor actor, std::optional<std::uint64_t> expected_version) {
  Command c;
  c.actor = std::move(actor);
  c.decide = [cmd = std::move(command), expected_version, who = c.actor](const State& s, std::int64_t now) {
    return decide(s, now, cmd, expected_version, who);
  };
  return c;
}

}  // namespace pl
