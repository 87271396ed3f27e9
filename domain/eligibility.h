// Who may be a mentor: the one definition of an application's eligibility,
// used where the application is decided (domain/decide_enrolment.cc: the
// first reason refuses it) and where it is shown (projections: every reason
// is listed).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "domain/state.h"

namespace pl {

// One reason an application is not eligible: a stable code (as the API's
// error codes) and a sentence with the figures.
struct Ineligibility {
  std::string code;  // deadline_passed, not_eligible, fee_cap_exceeded
  std::string message;
};

// What an application is, as far as its eligibility goes.
struct ApplicationFacts {
  std::string country;
  fb::Profile profile = fb::Profile::cluster_manager;
  std::int32_t years_experience = 0;
  std::int64_t quotation_cents = 0;
  std::int64_t received_at_us = 0;
};

// Every reason `a` is not eligible under `rules`, in a fixed order (deadline,
// mentor country, an expert's years, the quotation against the fee cap);
// empty when it is eligible. Pure; thread safe.
std::vector<Ineligibility> eligibility(const Rules& rules, const ApplicationFacts& a);

}  // namespace pl
