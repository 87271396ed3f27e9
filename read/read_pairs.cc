// The pairs' views: a pair's standing, row and line, the hours, the mentors
// suggested for a mentee.
#include <algorithm>
#include <map>

#include "base/checked.h"
#include "base/dates.h"
#include "read/read_models.h"

namespace pl {

namespace {

std::string month_key(std::int32_t day) { return format_date(day).substr(0, 7); }

}  // namespace

PairStanding pair_standing(PairStatus status, std::int32_t start_date, std::int32_t end_date,
                           std::int32_t last_session_date, std::int32_t today, std::int64_t hour_cap_minutes,
                           std::int64_t fee_cap_cents, std::int64_t mentee_used, std::int64_t mentee_net) {
  PairStanding s;
  switch (status) {
    case PairStatus::active:
      s.status = today < start_date ? "assigned" : "active";
      break;
    case PairStatus::completed:
      s.status = "completed";
      break;
    case PairStatus::terminated:
      s.status = "terminated";
      break;
  }
  auto warn = [&](std::string_view w) { s.warnings[s.warning_count++] = w; };
  const std::int64_t minutes_left = std::max<std::int64_t>(0, hour_cap_minutes - mentee_used);
  if (status == PairStatus::active) {
    std::int32_t days_left = end_date - today;
    if (days_left >= 0 && days_left <= kEndingSoonDays && minutes_left > kUnusedMinutesWarning)
      warn("period_ending_with_hours_unused");
    std::int32_t last = last_session_date ? last_session_date : start_date;
    if (today >= start_date && today <= end_date && today - last > kIdleDays) warn("no_session_for_60_days");
    // Caps nearly spent matter while the pair can still spend them.
    if (hour_cap_minutes > 0 && mentee_used * 100 > hour_cap_minutes * kNearCapPercent) warn("hour_cap_nearly_spent");
    if (fee_cap_cents > 0 && mentee_net * 100 > fee_cap_cents * kNearCapPercent) warn("fee_cap_nearly_spent");
  }
  return s;
}

PairRow pair_row(const ReadModels& rm, const PairState& pair, std::int32_t today) {
  // The figures are the pairs view's line's; the row adds what the line's
  // strings were read from.
  PairLine l = pair_line(rm, pair, today);
  PairRow r;
  r.pair = &pair;
  r.extra = State::find(rm.pairs(), pair.id);
  r.mentee = State::find(rm.core().mentees(), pair.mentee_id);
  r.mentor = State::find(rm.core().mentors(), pair.mentor_id);
  r.status = l.standing.status;
  r.sessions = l.sessions;
  r.mentee_minutes_left = l.minutes_left;
  r.invoiced_cents = l.invoiced_cents;
  r.credited_cents = l.credited_cents;
  r.paid_cents = l.paid_cents;
  r.fee_left_cents = l.fee_left_cents;
  for (std::size_t i = 0; i < l.standing.warning_count; ++i) r.warnings.emplace_back(l.standing.warnings[i]);
  return r;
}

PairLineFigures pair_line_figures(const PairState& pair, const Figures& f) {
  std::int64_t sessions = 0;
  for (auto& s : pair.sessions)
    if (!s.voided()) ++sessions;
  return {.status = pair.status,
          .report_submitted = pair.report_submitted,
          .start_date = pair.start_date,
          .end_date = pair.end_date,
          .last_session_date = pair.last_session_date,
          .sessions = sessions,
          .minutes_used = pair.minutes_used,
          .agreed_fee_cents = pair.agreed_fee_cents,
          .net_invoiced_cents = pair.net_invoiced_cents,
          .invoiced_cents = f.invoiced,
          .credited_cents = f.credited,
          .paid_cents = f.paid};
}

PairLine assemble_pair_line(const PairFacts& facts, std::int32_t today) {
  const PairLineFigures& own = facts.own;
  PairLine l;
  l.id = facts.id;
  l.programme_id = facts.programme_id;
  l.mentor_id = facts.mentor_id;
  auto open = [&](const SealedText* t) {
    if (!t || t->empty()) return std::string();
    return facts.vault ? facts.vault->text(*t) : std::string(kSealedText);
  };
  l.mentor_name = open(facts.mentor_name);
  l.mentor_country = facts.mentor_country;
  l.mentee_id = facts.mentee_id;
  l.mentee_name = open(facts.mentee_name);
  l.cluster_name = open(facts.cluster_name);
  l.country = facts.country;
  l.override_reason = open(facts.override_reason);
  l.topics = facts.topics;
  l.start_date = own.start_date;
  l.end_date = own.end_date;
  l.last_session_date = own.last_session_date;
  l.sessions = own.sessions;
  l.minutes_used = own.minutes_used;
  l.report_submitted = own.report_submitted;
  l.agreed_fee_cents = own.agreed_fee_cents;
  l.invoiced_cents = own.invoiced_cents;
  l.credited_cents = own.credited_cents;
  l.paid_cents = own.paid_cents;
  l.fee_left_cents = own.agreed_fee_cents - own.net_invoiced_cents;
  l.mentee_minutes_used = facts.has_mentee_figures ? facts.mentee_minutes_used : own.minutes_used;
  const std::int64_t mentee_net = facts.has_mentee_figures ? facts.mentee_net_invoiced_cents : own.net_invoiced_cents;
  l.minutes_left = std::max<std::int64_t>(0, facts.hour_cap_minutes - l.mentee_minutes_used);
  l.standing = pair_standing(own.status, own.start_date, own.end_date, own.last_session_date, today,
                             facts.hour_cap_minutes, facts.fee_cap_cents, l.mentee_minutes_used, mentee_net);
  return l;
}

PairLine pair_line(const ReadModels& rm, const PairState& pair, std::int32_t today) {
  PairFacts facts;
  facts.id = pair.id;
  facts.programme_id = pair.programme_id;
  facts.mentor_id = pair.mentor_id;
  facts.mentee_id = pair.mentee_id;
  if (const MentorState* mentor = State::find(rm.core().mentors(), pair.mentor_id)) {
    facts.mentor_name = &mentor->name;
    facts.mentor_country = mentor->country;
  }
  if (const MenteeState* mentee = State::find(rm.core().mentees(), pair.mentee_id)) {
    facts.mentee_name = &mentee->name;
    facts.cluster_name = &mentee->cluster_name;
    facts.country = mentee->country;
    facts.has_mentee_figures = true;
    facts.mentee_minutes_used = mentee->minutes_used;
    facts.mentee_net_invoiced_cents = mentee->net_invoiced_cents;
  }
  if (const PairExtra* extra = State::find(rm.pairs(), pair.id)) {
    facts.override_reason = &extra->override_reason;
    facts.topics = &extra->topics;
  }
  facts.vault = rm.vault();
  facts.own = pair_line_figures(pair, pair_figures(rm, pair, nullptr));
  if (const ProgrammeState* prog = State::find(rm.core().programmes(), pair.programme_id)) {
    facts.hour_cap_minutes = prog->rules.hour_cap_minutes;
    facts.fee_cap_cents = prog->rules.fee_cap_cents;
  }
  return assemble_pair_line(facts, today);
}

std::vector<PairLine> pair_lines(const ReadModels& rm, const std::string& programme_id, std::int32_t today) {
  std::vector<PairLine> out;
  if (const ProgrammeIndex* idx = State::find(rm.programmes(), programme_id)) {
    out.reserve(idx->pairs.size());
    for (auto& id : idx->pairs)
      if (const PairState* p = State::find(rm.core().pairs(), id); p && p->programme_id == programme_id)
        out.push_back(pair_line(rm, *p, today));
  }
  return out;
}

std::optional<HoursBy> parse_hours_by(std::string_view s) {
  static const std::pair<std::string_view, HoursBy> kNames[] = {
      {"mentee", HoursBy::mentee}, {"mentor", HoursBy::mentor}, {"pair", HoursBy::pair},    {"month", HoursBy::month},
      {"topic", HoursBy::topic},   {"mode", HoursBy::mode},     {"format", HoursBy::format}};
  for (auto& [name, by] : kNames)
    if (name == s) return by;
  return std::nullopt;
}

std::vector<HoursGroup> hours(const ReadModels& rm, const std::string& programme_id, HoursBy by, bool explain) {
  std::map<std::string, HoursGroup> groups;
  const ProgrammeIndex* idx = State::find(rm.programmes(), programme_id);
  if (!idx) return {};
  const PairState* pr = nullptr;
  auto add = [&](const std::string& key, const SessionState& s) {
    auto& g = groups[key];
    g.key = key;
    add_to(g.minutes, s.minutes);
    ++g.sessions;
    if (explain) g.explain.push_back({s.position, s.date, pr->id, s.id, s.minutes});
  };
  for (auto& pid : idx->pairs) {
    pr = State::find(rm.core().pairs(), pid);
    if (!pr) continue;
    for (auto& s : pr->sessions) {
      if (s.voided()) continue;
      switch (by) {
        case HoursBy::mentee:
          add(pr->mentee_id, s);
          break;
        case HoursBy::mentor:
          add(pr->mentor_id, s);
          break;
        case HoursBy::pair:
          add(pr->id, s);
          break;
        case HoursBy::month:
          add(month_key(s.date), s);
          break;
        case HoursBy::mode:
          add(std::string(fb::EnumNameMode(s.mode)), s);
          break;
        case HoursBy::format:
          add(std::string(fb::EnumNameFormat(s.format)), s);
          break;
        case HoursBy::topic:
          for (auto t : s.topics) add(rm.core().topic_names().at(t), s);
          break;
      }
    }
  }
  std::vector<HoursGroup> out;
  out.reserve(groups.size());
  for (auto& [k, g] : groups) out.push_back(std::move(g));
  return out;
}

std::vector<Suggestion> mentor_suggestions(const ReadModels& rm, const MenteeState& mentee) {
  std::vector<Suggestion> out;
  const ProgrammeIndex* idx = State::find(rm.programmes(), mentee.programme_id);
  if (!idx) return out;
  for (auto& mid : idx->mentors) {
    const MentorState* m = State::find(rm.core().mentors(), mid);
    if (!m) continue;
    Suggestion s;
    s.mentor = m;
    s.offered = m->areas;
    if (auto* a = State::find(rm.core().applications(), m->application_id)) s.organisation = rm.text(a->organisation);
    for (auto& need : mentee.needs)
      if (std::find(m->areas.begin(), m->areas.end(), need) != m->areas.end()) s.matched.push_back(need);
    if (auto* pairs = State::find(rm.pairs_of_mentor(), mid))
      for (auto& pid : *pairs)
        if (auto* pr = State::find(rm.core().pairs(), pid); pr && pr->status == PairStatus::active) ++s.active_pairs;
    auto n = static_cast<std::int64_t>(s.matched.size());
    std::string matched;
    for (auto& x : s.matched) matched += (matched.empty() ? "" : ", ") + x;
    s.parts.push_back({"needs", n * kNeedPoints,
                       !mentee.diagnosed ? "the mentee has no needs diagnosis"
                       : n == 0 ? "offers none of the mentee's " + std::to_string(mentee.needs.size()) + " needs"
                                : "offers " + std::to_string(n) + " of the mentee's " +
                                      std::to_string(mentee.needs.size()) + " needs: " + matched});
    s.parts.push_back({"load", s.active_pairs * kLoadPoints,
                       std::to_string(s.active_pairs) + " active pair" + (s.active_pairs == 1 ? "" : "s")});
    bool other = m->country != mentee.country;
    s.parts.push_back({"country", other ? kOtherCountryPoints : 0,
                       other ? "from " + m->country + ", another country than the mentee's (" + mentee.country + ")"
                             : "from the mentee's own country (" + m->country + ")"});
    for (auto& p : s.parts) s.score += p.points;
    out.push_back(std::move(s));
  }
  std::sort(out.begin(), out.end(), [](const Suggestion& a, const Suggestion& b) {
    if (a.score != b.score) return a.score > b.score;
    if (a.active_pairs != b.active_pairs) return a.active_pairs < b.active_pairs;
    return a.mentor->id < b.mentor->id;
  });
  return out;
}

}  // namespace pl
