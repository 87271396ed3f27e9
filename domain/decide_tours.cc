// Tours decided: a study tour scheduled, its participants registered (a
// mentee within the programme's limit of tours, or a person of another
// kind) and cancelled.
#include "domain/decide_internal.h"

namespace pl::decide_internal {

Result<Decision> Decider::operator()(const ScheduleTour& c) const {
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
  return one_event(c.id, **p, tour_stream(c.id), fb::Event::TourScheduled, [&](FBB& b) {
    auto topics = fb_strings(b, c.topics);
    return fb::CreateTourScheduledDirect(b, c.programme_id.c_str(), c.id.c_str(), c.region.c_str(), c.host.c_str(),
                                         c.start_date, c.end_date, &topics)
        .Union();
  });
}

Result<Decision> Decider::operator()(const RegisterTourParticipant& c) const {
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
    return one_event(
        c.tour_id, **p, tour_stream(c.tour_id), fb::Event::TourParticipantRegistered,
        [&](FBB& b) {
          return fb::CreateTourParticipantRegisteredDirect(b, c.tour_id.c_str(), nullptr, c.kind.c_str(),
                                                           c.participant_id.c_str(), nullptr, nullptr,
                                                           c.country.c_str())
              .Union();
        },
        {personal(fb::TourParticipantRegistered::VT_NAME, {participant_subject(c.tour_id, c.participant_id)}, c.name),
         personal(fb::TourParticipantRegistered::VT_ORGANISATION, {participant_subject(c.tour_id, c.participant_id)},
                  c.organisation)});
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
  return one_event(c.tour_id, **p, tour_stream(c.tour_id), fb::Event::TourParticipantRegistered, [&](FBB& b) {
    return fb::CreateTourParticipantRegisteredDirect(b, c.tour_id.c_str(), c.mentee_id.c_str()).Union();
  });
}

Result<Decision> Decider::operator()(const CancelTourParticipant& c) const {
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
  return one_event(
      c.tour_id, **p, tour_stream(c.tour_id), fb::Event::TourParticipantCancelled,
      [&](FBB& b) {
        return fb::CreateTourParticipantCancelledDirect(b, c.tour_id.c_str(), c.mentee_id.c_str(), nullptr,
                                                        c.participant_id.empty() ? nullptr : c.participant_id.c_str())
            .Union();
      },
      {personal(fb::TourParticipantCancelled::VT_REASON,
                {c.mentee_id.empty() ? participant_subject(c.tour_id, c.participant_id) : mentee_subject(c.mentee_id)},
                c.reason)});
}

}  // namespace pl::decide_internal
