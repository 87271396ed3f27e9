#include "domain/subjects.h"

#include "log/vault.h"

namespace pl {

std::vector<std::string> mentor_subjects(const State& s, std::string_view mentor_id) {
  auto it = s.mentors().find(mentor_id);
  if (it == s.mentors().end()) return {};
  return {applicant_subject(it->second.application_id)};
}

std::vector<std::string> pair_subjects(const State& s, const PairState& p) {
  auto out = mentor_subjects(s, p.mentor_id);
  out.push_back(mentee_subject(p.mentee_id));
  return subject_set(std::move(out));
}

std::vector<std::string> invoice_subjects(const State& s, const InvoiceState& inv) {
  auto it = s.pairs().find(inv.pair_id);
  if (it == s.pairs().end()) {
    auto out = mentor_subjects(s, inv.mentor_id);
    out.push_back(mentee_subject(inv.mentee_id));
    return subject_set(std::move(out));
  }
  return pair_subjects(s, it->second);
}

}  // namespace pl
