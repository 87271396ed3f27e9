// A programme decided: opened with its rules, the rules amended, the
// programme closed; the joint meetings held in it.
#include <algorithm>

#include "base/assert.h"
#include "domain/decide_internal.h"

namespace pl::decide_internal {
namespace {

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
    if (twice(list, i)) return bad("evidence_required names '" + e + "' twice");
  }
  return Status::ok();
}

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

}  // namespace

Result<Decision> Decider::operator()(const OpenProgramme& c) const {
  PL_RETURN_IF_ERROR(check_id("programme", c.id));
  PL_RETURN_IF_ERROR(check_text("name", c.name, 512));
  PL_RETURN_IF_ERROR(check_text("coordinator", c.coordinator, 512));
  PL_RETURN_IF_ERROR(check_rules(c.rules));
  if (State::find(s.programmes(), c.id)) return exists("programme", c.id);
  Out out(c.id, expected);
  out.emit(programme_stream(c.id), fb::Event::ProgrammeOpened,
           [&](FBB& b) {
             auto id = b.CreateString(c.id), name = b.CreateString(c.name);
             auto rules = c.rules.pack(b);
             return fb::CreateProgrammeOpened(b, id, name, 0, rules).Union();
           },
           {personal(fb::ProgrammeOpened::VT_COORDINATOR, {coordinator_subject(c.id)}, c.coordinator)});
  Decision d = out.take();
  d.programme_id = c.id;
  d.rules_version = 1;
  return d;
}

Result<Decision> Decider::operator()(const AmendRules& given) const {
  auto p = open_programme(s, given.programme_id);
  if (!p) return p.status();
  AmendRules c = given;
  if (!c.kept.empty()) {
    std::vector<RuleValue> values = rule_values(c.rules), in_force = rule_values((*p)->rules);
    const auto& fields = rule_fields();
    PL_ASSERT(values.size() == fields.size() && in_force.size() == fields.size());  // one value a rule
    for (std::size_t i = 0; i < fields.size(); ++i)
      if (fields[i].optional() && std::find(c.kept.begin(), c.kept.end(), fields[i].name) != c.kept.end())
        values[i] = in_force[i];
    c.rules = rules_from_values(values);
  }
  PL_RETURN_IF_ERROR(check_rules(c.rules));
  PL_RETURN_IF_ERROR(check_text("reason", c.reason));
  Out out(c.programme_id, expected);
  out.emit(programme_stream(c.programme_id), fb::Event::ProgrammeRulesAmended,
           [&](FBB& b) {
             auto id = b.CreateString(c.programme_id);
             auto rules = c.rules.pack(b);
             return fb::CreateProgrammeRulesAmended(b, id, rules).Union();
           },
           {personal(fb::ProgrammeRulesAmended::VT_REASON, {}, c.reason)});
  Decision d = out.take();
  d.programme_id = c.programme_id;
  d.rules_version = (*p)->rules_version + 1;  // the rules this event puts in force
  return d;
}

Result<Decision> Decider::operator()(const CloseProgramme& c) const {
  auto p = open_programme(s, c.programme_id);
  if (!p) return p.status();
  for (const auto& [id, pair] : s.pairs())
    if (pair.programme_id == c.programme_id && pair.status == PairStatus::active)
      return Status::conflict("conflict", "pair '" + id + "' is still active; complete or terminate it first");
  return one_event(c.programme_id, **p, programme_stream(c.programme_id), fb::Event::ProgrammeClosed,
                   [&](FBB& b) { return fb::CreateProgrammeClosedDirect(b, c.programme_id.c_str(), c.date).Union(); },
                   {personal(fb::ProgrammeClosed::VT_REASON, {}, c.reason)});
}

Result<Decision> Decider::operator()(const HoldJointMeeting& c) const {
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
  return one_event(id, **p, programme_stream(c.programme_id), fb::Event::JointMeetingHeld, [&](FBB& b) {
    auto pairs = fb_strings(b, c.pair_ids);
    return fb::CreateJointMeetingHeldDirect(b, c.programme_id.c_str(), id.c_str(), c.date, c.title.c_str(), &pairs)
        .Union();
  });
}

}  // namespace pl::decide_internal
