// Erasure of a person's personal data (docs/PRIVACY.md): who the subject is,
// which programmes name them, and whether their retention has ended.
#include <algorithm>
#include <set>

#include "base/dates.h"
#include "domain/decide_internal.h"
#include "domain/subjects.h"

namespace pl {

Result<std::set<std::string>> programmes_naming(const State& s, const std::string& subject) {
  auto rest = [&](std::string_view prefix) -> std::optional<std::string> {
    if (subject.size() <= prefix.size() || subject.compare(0, prefix.size(), prefix) != 0) return std::nullopt;
    return subject.substr(prefix.size());
  };
  auto unknown = [&] { return Status::not_found("the ledger names no person '" + subject + "'"); };
  if (auto id = rest("mentee:")) {
    const MenteeState* m = State::find(s.mentees(), *id);
    if (!m) return unknown();
    return std::set<std::string>{m->programme_id};
  }
  if (auto id = rest("applicant:")) {
    const ApplicationState* a = State::find(s.applications(), *id);
    if (!a) return unknown();
    return std::set<std::string>{a->programme_id};
  }
  if (auto id = rest("participant:")) {
    auto slash = id->find('/');
    if (slash == std::string::npos) return unknown();
    const TourState* t = State::find(s.tours(), id->substr(0, slash));
    if (!t || !t->others.contains(id->substr(slash + 1))) return unknown();
    return std::set<std::string>{t->programme_id};
  }
  if (auto id = rest("coordinator:")) {
    if (!State::find(s.programmes(), *id)) return unknown();
    return std::set<std::string>{*id};
  }
  if (rest("staff:")) {
    // Whether the ledger holds a key for them is the writer's to check.
    std::set<std::string> all;
    for (const auto& [pid, p] : s.programmes()) all.insert(pid);
    return all;
  }
  return unknown();
}

Status retention_over(const State& s, const std::set<std::string>& programmes, const std::string& subject,
                      std::int32_t today) {
  for (const auto& pid : programmes) {
    const ProgrammeState* p = State::find(s.programmes(), pid);
    if (!p) continue;
    std::int32_t end = retention_end(*p);
    if (end == 0)
      return Status::rule("retention_period", "programme '" + pid + "' names " + subject +
                                                  " and is still running (no payment, not closed): its retention "
                                                  "has not begun");
    if (today <= end)
      return Status::rule("retention_period", "programme '" + pid + "' names " + subject + " and is kept until " +
                                                  format_date(end) + " (retain_until); erasure on " +
                                                  format_date(today) + " needs a court order");
  }
  return Status::ok();
}

std::int32_t retention_end(const ProgrammeState& p) {
  std::int32_t from = p.last_payment_date ? p.last_payment_date : p.closed_date;
  if (from == 0) return 0;
  int year = std::stoi(format_date(from).substr(0, 4));
  return days_from_civil(year + static_cast<int>(p.rules.retention_years), 12, 31);
}

}  // namespace pl

namespace pl::decide_internal {

Result<Decision> Decider::operator()(const EraseSubject& c) const {
  if (c.subject.empty()) return bad("subject is required");
  PL_RETURN_IF_ERROR(check_text("reason", c.reason));
  if (c.reason.empty()) return bad("reason is required: say why the data is erased");
  if (c.basis == fb::ErasureBasis::court_order && c.court_reference.empty())
    return bad("court_reference is required with the basis court_order");
  if (c.basis != fb::ErasureBasis::court_order && !c.court_reference.empty())
    return bad("court_reference is for the basis court_order only");
  if (!c.court_reference.empty()) PL_RETURN_IF_ERROR(check_text("court_reference", c.court_reference, 512));
  auto programmes = programmes_naming(s, c.subject);
  if (!programmes) return programmes.status();
  const std::int32_t today = day_of(now);
  if (c.basis == fb::ErasureBasis::retention_ended)
    PL_RETURN_IF_ERROR(retention_over(s, *programmes, c.subject, today));
  Out out(c.subject, expected);
  std::vector<std::string> pids(programmes->begin(), programmes->end());
  out.emit(subject_stream(c.subject), fb::Event::SubjectErased, [&](FBB& b) {
    auto ids = fb_strings(b, pids);
    return fb::CreateSubjectErasedDirect(b, c.subject.c_str(), c.basis,
                                         c.court_reference.empty() ? nullptr : c.court_reference.c_str(),
                                         c.reason.c_str(), &ids)
        .Union();
  });
  Decision d = out.take();
  d.erase_subjects.push_back(c.subject);
  return d;
}

}  // namespace pl::decide_internal
