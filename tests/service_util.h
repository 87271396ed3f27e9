// What the tests that drive the service in process share.
#pragma once

#include <nlohmann/json.hpp>

namespace pl::test {

// The body of POST /v1/programmes for programme "p": Tunisian mentees, French
// mentors, the caps of the Cluster Booster Track, a deadline far ahead.
inline nlohmann::json small_programme_body() {
  return {{"id", "p"},
          {"name", "P"},
          {"coordinator", "C"},
          {"hour_cap_minutes", 1920},
          {"fee_cap_cents", 310000},
          {"min_months", 6},
          {"max_months", 12},
          {"application_deadline", "2030-12-31T23:59:59Z"},
          {"cofunding_bp", 9000},
          {"mentee_countries", {"TN"}},
          {"mentor_countries", {"FR"}},
          {"knowledge_areas", {"strategy"}},
          {"expert_min_years", 5},
          {"max_tours_per_mentee", 2}};
}

}  // namespace pl::test
