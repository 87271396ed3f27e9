// A test programme's rules, named field by field: the one description both
// the programme's HTTP body (fixtures.h) and its Rules come from. Header only,
// so that code built outside the tests (the replay benchmark's history) needs
// nothing more than the ledger.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/dates.h"
#include "domain/rules.h"

namespace pl::test {

// The defaults open "Test programme": 32 hours and EUR 3,100 per mentee, 6 to
// 12 months, 90% co-funding, mentees from TN and MA, mentors from FR and IT,
// five years of expertise, two study tours per mentee.
struct ProgrammeSpec {
  std::string id = "p";
  std::string name = "Test programme";
  std::string coordinator = "France Clusters";
  std::int64_t hour_cap_minutes = 32 * 60;
  std::int64_t fee_cap_cents = 310000;
  std::int32_t min_months = 6;
  std::int32_t max_months = 12;
  std::string application_deadline = "2030-12-31T23:59:59+01:00";  // empty: none (0)
  std::int32_t cofunding_bp = 9000;
  std::vector<std::string> mentee_countries = {"TN", "MA"};
  std::vector<std::string> mentor_countries = {"FR", "IT"};
  std::vector<std::string> knowledge_areas = {"strategy", "governance"};
  std::int32_t expert_min_years = 5;
  std::int32_t max_tours_per_mentee = 2;
};

// The programme "p" of the tests that drive the service in process: Tunisian
// mentees, French mentors, the caps of the Cluster Booster Track, a deadline
// far ahead.
inline ProgrammeSpec small_programme() {
  return {.name = "P",
          .coordinator = "C",
          .application_deadline = "2030-12-31T23:59:59Z",
          .mentee_countries = {"TN"},
          .mentor_countries = {"FR"},
          .knowledge_areas = {"strategy"}};
}

// The rules of the Cluster Booster Track's 2019 call: mentees from seven
// countries of the southern Mediterranean, mentors from seven of the EU, three
// knowledge areas, applications until 15 March 2019.
inline ProgrammeSpec booster_track_2019() {
  return {.application_deadline = "2019-03-15T23:59:59+01:00",
          .mentee_countries = {"DZ", "EG", "JO", "LB", "MA", "PS", "TN"},
          .mentor_countries = {"FR", "IT", "ES", "BE", "DE", "PT", "GR"},
          .knowledge_areas = {"strategy", "governance", "service portfolio"}};
}

// The rules `spec` describes (the deadline parsed as an instant).
inline Rules programme_rules(const ProgrammeSpec& spec) {
  Rules r;
  r.hour_cap_minutes = spec.hour_cap_minutes;
  r.fee_cap_cents = spec.fee_cap_cents;
  r.min_months = spec.min_months;
  r.max_months = spec.max_months;
  r.application_deadline_us = spec.application_deadline.empty() ? 0 : parse_instant(spec.application_deadline).value();
  r.cofunding_bp = spec.cofunding_bp;
  r.mentee_countries = spec.mentee_countries;
  r.mentor_countries = spec.mentor_countries;
  r.knowledge_areas = spec.knowledge_areas;
  r.expert_min_years = spec.expert_min_years;
  r.max_tours_per_mentee = spec.max_tours_per_mentee;
  return r;
}

}  // namespace pl::test
