#include "domain/eligibility.h"

#include "base/dates.h"

namespace pl {

std::vector<Ineligibility> eligibility(const Rules& rules, const ApplicationFacts& a) {
  std::vector<Ineligibility> out;
  if (a.received_at_us > rules.application_deadline_us)
    out.push_back({"deadline_passed", "the application was received at " + format_instant(a.received_at_us) +
                                          ", after the deadline " + format_instant(rules.application_deadline_us)});
  if (!rules.mentor_country_ok(a.country))
    out.push_back({"not_eligible", "mentor country " + a.country + " is not among the programme's mentor countries"});
  if (a.profile == fb::Profile::expert && a.years_experience < rules.expert_min_years)
    out.push_back({"not_eligible", "an expert needs at least " + std::to_string(rules.expert_min_years) +
                                       " years of experience; the applicant has " +
                                       std::to_string(a.years_experience)});
  if (a.quotation_cents > rules.fee_cap_cents)
    out.push_back({"fee_cap_exceeded", "the quotation " + format_cents(a.quotation_cents) +
                                           " is above the fee cap of " + format_cents(rules.fee_cap_cents)});
  return out;
}

}  // namespace pl
