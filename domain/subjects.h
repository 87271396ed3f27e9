// The people the ledger names, as subjects (log/vault.h): who each personal
// field belongs to (docs/PRIVACY.md has the table).
//
//   mentee:<mentee id>                       a cluster manager enrolled
//   applicant:<application id>               an applicant, and the mentor they become
//   participant:<tour id>/<participant id>   a tour participant of another kind
//   coordinator:<programme id>               the coordinator a programme names
//   staff:<20 hex digits>                    a member of staff who acts (Vault::staff_id)
//
// Free text belongs to the people of its entity: a pair's (its sessions',
// report's, invoices', findings') to its mentor and its mentee, so that
// forgetting either makes it unreadable; a mentee's or an application's to
// that person. Text about the programme itself (a reason its rules changed,
// a sample's reason) belongs to the member of staff who wrote it.
#pragma once

#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "domain/decision.h"
#include "domain/state.h"

namespace pl {

inline std::string mentee_subject(std::string_view mentee_id) { return "mentee:" + std::string(mentee_id); }
inline std::string applicant_subject(std::string_view application_id) {
  return "applicant:" + std::string(application_id);
}
inline std::string participant_subject(std::string_view tour_id, std::string_view participant_id) {
  return "participant:" + std::string(tour_id) + "/" + std::string(participant_id);
}
inline std::string coordinator_subject(std::string_view programme_id) {
  return "coordinator:" + std::string(programme_id);
}

// The subjects of a mentor (its application's) and of a pair (its mentor's
// and its mentee's), sorted; a mentor unknown to `s` adds none.
std::vector<std::string> mentor_subjects(const State& s, std::string_view mentor_id);
std::vector<std::string> pair_subjects(const State& s, const PairState& p);
std::vector<std::string> invoice_subjects(const State& s, const InvoiceState& inv);

// The day programme `p`'s retention ends (its retain_until): 31 December of
// the year of its last payment plus its retention years (CPR 2021/1060
// Art. 82); without a payment, counted from the year it closed; 0 while it is
// open and has paid nothing (its retention has not begun).
std::int32_t retention_end(const ProgrammeState& p);

// The programmes that name `subject` (a member of staff: every programme, as
// they may have acted in any); not_found when the ledger names no such person.
Result<std::set<std::string>> programmes_naming(const State& s, const std::string& subject);
// ok when the retention of every programme in `programmes` has ended by
// `today` (a day number); otherwise the refusal retention_period, naming the
// first that has not and the day it ends.
Status retention_over(const State& s, const std::set<std::string>& programmes, const std::string& subject,
                      std::int32_t today);

// A personal field of an event: `text` sealed for `subjects` (empty: the
// actor's own).
inline PersonalText personal(std::uint16_t field, std::vector<std::string> subjects, std::string text) {
  return PersonalText{field, std::move(subjects), std::move(text)};
}

}  // namespace pl
