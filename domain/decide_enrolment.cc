// Who takes part, decided: mentees enrolled, withdrawn and their needs
// diagnosed; the applications of mentors submitted, accepted (the mentor
// taken on) or rejected.
#include "base/dates.h"
#include "domain/decide_internal.h"
#include "domain/eligibility.h"

namespace pl::decide_internal {
namespace {

// An application is accepted or rejected once.
Status not_decided(const ApplicationState& a, const std::string& id) {
  if (a.status != ApplicationStatus::submitted)
    return Status::conflict("conflict", "application '" + id + "' is already " +
                                            (a.status == ApplicationStatus::accepted ? "accepted" : "rejected"));
  return Status::ok();
}

}  // namespace

Result<Decision> Decider::operator()(const EnrolMentee& c) const {
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
  return one_event(c.id, **p, mentee_stream(c.id), fb::Event::MenteeEnrolled,
                   [&](FBB& b) {
                     return fb::CreateMenteeEnrolledDirect(b, c.programme_id.c_str(), c.id.c_str(), nullptr, nullptr,
                                                           c.sectors.c_str(), c.country.c_str())
                         .Union();
                   },
                   {personal(fb::MenteeEnrolled::VT_NAME, {mentee_subject(c.id)}, c.name),
                    personal(fb::MenteeEnrolled::VT_CLUSTER_NAME, {mentee_subject(c.id)}, c.cluster_name),
                    personal(fb::MenteeEnrolled::VT_WEBSITE, {mentee_subject(c.id)}, c.website)});
}

Result<Decision> Decider::operator()(const WithdrawMentee& c) const {
  const auto* m = State::find(s.mentees(), c.mentee_id);
  if (!m) return missing("mentee", c.mentee_id);
  if (m->withdrawn) return Status::conflict("conflict", "mentee '" + c.mentee_id + "' is already withdrawn");
  if (!m->active_pair.empty())
    return Status::conflict("conflict", "mentee '" + c.mentee_id + "' has the active pair '" + m->active_pair +
                                            "'; complete or terminate it first");
  PL_RETURN_IF_ERROR(check_text("reason", c.reason));
  auto p = open_programme(s, m->programme_id);
  if (!p) return p.status();
  return one_event(c.mentee_id, **p, mentee_stream(c.mentee_id), fb::Event::MenteeWithdrawn,
                   [&](FBB& b) { return fb::CreateMenteeWithdrawnDirect(b, c.mentee_id.c_str(), c.date).Union(); },
                   {personal(fb::MenteeWithdrawn::VT_REASON, {mentee_subject(c.mentee_id)}, c.reason)});
}

Result<Decision> Decider::operator()(const DiagnoseNeeds& c) const {
  const auto* m = State::find(s.mentees(), c.mentee_id);
  if (!m) return missing("mentee", c.mentee_id);
  auto p = open_programme(s, m->programme_id);
  if (!p) return p.status();
  if (m->withdrawn) return Status::rule("not_eligible", "mentee '" + c.mentee_id + "' has withdrawn");
  if (c.areas.empty()) return bad("areas must name at least one knowledge area");
  for (std::size_t i = 0; i < c.areas.size(); ++i)
    if (twice(c.areas, i)) return bad("areas names '" + c.areas[i] + "' twice");
  PL_RETURN_IF_ERROR(check_topics((*p)->rules, c.areas));
  if (c.note.size() > 16384) return bad("note is longer than 16384 bytes");
  return one_event(c.mentee_id, **p, mentee_stream(c.mentee_id), fb::Event::NeedsDiagnosed,
                   [&](FBB& b) {
                     auto areas = fb_strings(b, c.areas);
                     return fb::CreateNeedsDiagnosedDirect(b, c.mentee_id.c_str(), &areas).Union();
                   },
                   {personal(fb::NeedsDiagnosed::VT_NOTE, {mentee_subject(c.mentee_id)}, c.note)});
}

Result<Decision> Decider::operator()(const SubmitApplication& c) const {
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
  return one_event(c.id, **p, application_stream(c.id), fb::Event::ApplicationSubmitted,
                   [&](FBB& b) {
                     auto areas = fb_strings(b, c.knowledge_areas);
                     return fb::CreateApplicationSubmittedDirect(
                                b, c.programme_id.c_str(), c.id.c_str(), nullptr, nullptr, nullptr, c.country.c_str(),
                                c.profile, c.years_experience, &areas, c.quotation_cents, received)
                         .Union();
                   },
                   {personal(fb::ApplicationSubmitted::VT_APPLICANT_NAME, {applicant_subject(c.id)}, c.applicant_name),
                    personal(fb::ApplicationSubmitted::VT_ORGANISATION, {applicant_subject(c.id)}, c.organisation),
                    personal(fb::ApplicationSubmitted::VT_EMAIL, {applicant_subject(c.id)}, c.email)});
}

Result<Decision> Decider::operator()(const AcceptApplication& c) const {
  const auto* a = State::find(s.applications(), c.application_id);
  if (!a) return missing("application", c.application_id);
  auto p = open_programme(s, a->programme_id);
  if (!p) return p.status();
  PL_RETURN_IF_ERROR(check_id("mentor", c.mentor_id));
  PL_RETURN_IF_ERROR(not_decided(*a, c.application_id));
  if (State::find(s.mentors(), c.mentor_id)) return exists("mentor", c.mentor_id);
  return one_event(
      c.application_id, **p, application_stream(c.application_id), fb::Event::ApplicationAccepted, [&](FBB& b) {
        return fb::CreateApplicationAcceptedDirect(b, c.application_id.c_str(), c.mentor_id.c_str()).Union();
      });
}

Result<Decision> Decider::operator()(const RejectApplication& c) const {
  const auto* a = State::find(s.applications(), c.application_id);
  if (!a) return missing("application", c.application_id);
  auto p = open_programme(s, a->programme_id);
  if (!p) return p.status();
  PL_RETURN_IF_ERROR(check_text("reason", c.reason));
  PL_RETURN_IF_ERROR(not_decided(*a, c.application_id));
  return one_event(c.application_id, **p, application_stream(c.application_id), fb::Event::ApplicationRejected,
                   [&](FBB& b) { return fb::CreateApplicationRejectedDirect(b, c.application_id.c_str()).Union(); },
                   {personal(fb::ApplicationRejected::VT_REASON, {applicant_subject(c.application_id)}, c.reason)});
}

}  // namespace pl::decide_internal
