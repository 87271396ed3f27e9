// Pairs decided: a mentor and a mentee paired for a period, the period
// changed, sessions logged and voided, the final report, the pair completed
// or terminated.
#include <algorithm>

#include "base/checked.h"
#include "base/dates.h"
#include "domain/decide_internal.h"

namespace pl::decide_internal {
namespace {

Status period_ok(const Rules& r, std::int32_t start, std::int32_t end) {
  std::int32_t earliest = add_months(start, r.min_months), latest = add_months(start, r.max_months);
  if (end < earliest || end > latest)
    return Status::rule("period_out_of_bounds", "a period from " + format_date(start) + " to " + format_date(end) +
                                                    " is outside " + std::to_string(r.min_months) + " to " +
                                                    std::to_string(r.max_months) + " months: it must end between " +
                                                    format_date(earliest) + " and " + format_date(latest));
  return Status::ok();
}

// Pairs are matched on the needs of support found in the mentee's
// diagnosis: with one, every topic is both offered by the mentor and needed
// by the mentee. The topics that are not, each with why; empty when all are.
std::string unmatched_topics(const MentorState& mentor, const MenteeState& mentee,
                             const std::vector<std::string>& topics) {
  auto in = [](const std::vector<std::string>& v, const std::string& x) {
    return std::find(v.begin(), v.end(), x) != v.end();
  };
  std::string unmatched;
  for (const auto& t : topics) {
    if (!in(mentor.areas, t))
      unmatched += (unmatched.empty() ? "'" : ", '") + t + "' (not offered by the mentor)";
    else if (!in(mentee.needs, t))
      unmatched += (unmatched.empty() ? "'" : ", '") + t + "' (not among the mentee's needs)";
  }
  if (topics.empty()) unmatched = "no topic named";
  return unmatched;
}

}  // namespace

Result<PairOf> Decider::active_pair(const std::string& id) const {
  const auto* pair = State::find(s.pairs(), id);
  if (!pair || pair->programme_id.empty()) return missing("pair", id);
  auto p = open_programme(s, pair->programme_id);
  if (!p) return p.status();
  if (pair->status != PairStatus::active)
    return Status::rule("pair_not_active",
                        "pair '" + id + "' is " + (pair->status == PairStatus::completed ? "completed" : "terminated"));
  return std::make_pair(pair, *p);
}

Result<Decision> Decider::operator()(const AssignPair& c) const {
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
  // Unless a reason to depart from it is recorded, a diagnosis decides the topics.
  std::string unmatched =
      mentee->diagnosed && c.override_reason.empty() ? unmatched_topics(*mentor, *mentee, c.topics) : "";
  if (!unmatched.empty())
    return Status::rule("topics_not_matched", "mentee " + c.mentee_id +
                                                  " has a needs diagnosis, and the pair's topics must be both "
                                                  "offered by mentor " +
                                                  c.mentor_id + " and among the mentee's needs: " + unmatched +
                                                  "; give override_reason to assign it anyway");
  auto people = mentor_subjects(s, c.mentor_id);
  people.push_back(mentee_subject(c.mentee_id));
  return one_event(c.id, **p, pair_stream(c.id), fb::Event::PairAssigned,
                   [&](FBB& b) {
                     auto topics = fb_strings(b, c.topics);
                     return fb::CreatePairAssignedDirect(b, c.programme_id.c_str(), c.id.c_str(), c.mentor_id.c_str(),
                                                         c.mentee_id.c_str(), c.start_date, c.end_date,
                                                         c.agreed_fee_cents, &topics)
                         .Union();
                   },
                   {personal(fb::PairAssigned::VT_OVERRIDE_REASON, subject_set(people), c.override_reason)});
}

Result<Decision> Decider::operator()(const ChangePairPeriod& c) const {
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
  return one_event(
      c.pair_id, *prog, pair_stream(c.pair_id), fb::Event::PairPeriodChanged,
      [&](FBB& b) {
        return fb::CreatePairPeriodChangedDirect(b, c.pair_id.c_str(), pair->start_date, c.end_date).Union();
      },
      {personal(fb::PairPeriodChanged::VT_REASON, pair_subjects(s, *pair), c.reason)});
}

Result<Decision> Decider::operator()(const LogSession& c) const {
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
                                                 format_minutes(r.hour_cap_minutes) + ", " + format_minutes(c.minutes) +
                                                 " asked, " + format_minutes(std::max<std::int64_t>(left, 0)) +
                                                 " left");
  return one_event(c.id, *prog, pair_stream(c.pair_id), fb::Event::SessionLogged,
                   [&](FBB& b) {
                     auto topics = fb_strings(b, c.topics);
                     return fb::CreateSessionLoggedDirect(b, c.pair_id.c_str(), c.id.c_str(), c.date, c.minutes, c.mode,
                                                          c.format, &topics)
                         .Union();
                   },
                   {personal(fb::SessionLogged::VT_SUMMARY, pair_subjects(s, *pair), c.summary)});
}

Result<Decision> Decider::operator()(const VoidSession& c) const {
  const auto* pair = State::find(s.pairs(), c.pair_id);
  if (!pair || pair->programme_id.empty()) return missing("pair", c.pair_id);
  auto p = open_programme(s, pair->programme_id);
  if (!p) return p.status();
  const SessionState* sess = pair->session(c.session_id);
  if (!sess) return missing("session", c.session_id);
  if (sess->voided()) return Status::conflict("conflict", "session '" + c.session_id + "' is already voided");
  PL_RETURN_IF_ERROR(check_text("reason", c.reason));
  return one_event(
      c.session_id, **p, pair_stream(c.pair_id), fb::Event::SessionVoided,
      [&](FBB& b) { return fb::CreateSessionVoidedDirect(b, c.pair_id.c_str(), c.session_id.c_str()).Union(); },
      {personal(fb::SessionVoided::VT_REASON, pair_subjects(s, *pair), c.reason)});
}

Result<Decision> Decider::operator()(const SubmitReport& c) const {
  auto pp = active_pair(c.pair_id);
  if (!pp) return pp.status();
  const auto* prog = pp->second;
  if (c.language != "en")
    return Status::rule("report_language", "the final report must be in English (en), not '" + c.language + "'");
  PL_RETURN_IF_ERROR(check_text("progress", c.progress, 65536));
  PL_RETURN_IF_ERROR(check_text("outcomes", c.outcomes, 65536));
  if (c.topics.empty())
    return Status::rule("report_incomplete", "the final report must name the main topics discussed (topics is empty)");
  PL_RETURN_IF_ERROR(check_topics(prog->rules, c.topics));
  return one_event(c.pair_id, *prog, pair_stream(c.pair_id), fb::Event::ReportSubmitted,
                   [&](FBB& b) {
                     auto topics = fb_strings(b, c.topics);
                     return fb::CreateReportSubmittedDirect(b, c.pair_id.c_str(), c.language.c_str(), &topics).Union();
                   },
                   {personal(fb::ReportSubmitted::VT_PROGRESS, pair_subjects(s, *pp->first), c.progress),
                    personal(fb::ReportSubmitted::VT_OUTCOMES, pair_subjects(s, *pp->first), c.outcomes)});
}

Result<Decision> Decider::operator()(const CompletePair& c) const {
  auto pp = active_pair(c.pair_id);
  if (!pp) return pp.status();
  const auto* pair = pp->first;  // named variables: lambdas below capture them
  const auto* prog = pp->second;
  if (!pair->report_submitted)
    return Status::rule("report_missing",
                        "pair '" + c.pair_id + "' cannot complete before its final report is submitted");
  return one_event(c.pair_id, *prog, pair_stream(c.pair_id), fb::Event::PairCompleted,
                   [&](FBB& b) { return fb::CreatePairCompletedDirect(b, c.pair_id.c_str()).Union(); });
}

Result<Decision> Decider::operator()(const TerminatePair& c) const {
  auto pp = active_pair(c.pair_id);
  if (!pp) return pp.status();
  PL_RETURN_IF_ERROR(check_text("reason", c.reason));
  return one_event(c.pair_id, *pp->second, pair_stream(c.pair_id), fb::Event::PairTerminated,
                   [&](FBB& b) { return fb::CreatePairTerminatedDirect(b, c.pair_id.c_str()).Union(); },
                   {personal(fb::PairTerminated::VT_REASON, pair_subjects(s, *pp->first), c.reason)});
}

}  // namespace pl::decide_internal
