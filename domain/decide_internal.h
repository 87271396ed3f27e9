// What the files of deciding share, inside domain/ only. The Decider has an
// operator a command, each defined in the file of its family:
//
//   decide.cc            decide(), make_command, the checks and lookups below
//   decide_programme.cc  a programme opened, its rules amended, closed; joint meetings
//   decide_enrolment.cc  mentees enrolled, withdrawn, diagnosed; mentors' applications
//   decide_pairs.cc      pairs assigned, their period, sessions, report, end
//   decide_invoices.cc   invoices issued, paid, cancelled, credited
//   decide_tours.cc      tours scheduled, their participants
//   decide_control.cc    the control of spending: evidence, samples
//                        (decide_samples.cc), verifications, findings, corrections
//
// Each operator checks the rules of its command in order, one refusal each,
// and returns the decision: the events of the command.
#pragma once

#include <algorithm>
#include <cstdint>
#include <iterator>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/assert.h"
#include "domain/commands.h"
#include "domain/decision.h"
#include "domain/subjects.h"

namespace pl::decide_internal {

using FBB = flatbuffers::FlatBufferBuilder;

// Refusals: bad_request, not_found (what 'id' does not exist), conflict (what
// 'id' already exists).
Status bad(std::string m);
Status missing(std::string_view what, const std::string& id);
Status exists(std::string_view what, const std::string& id);

// An id: 1 to 128 letters, digits, '-', '_' or '.'.
Status check_id(std::string_view what, const std::string& id);
// A text: not empty, at most `max` bytes.
Status check_text(std::string_view what, const std::string& s, std::size_t max = 4096);
// An ISO 3166-1 alpha-2 code: two capital letters.
bool valid_country(const std::string& c);
// Every topic one of the programme's knowledge areas.
Status check_topics(const Rules& rules, const std::vector<std::string>& topics);
bool add_overflows(std::int64_t a, std::int64_t b);

// Whether `x` is one of `list` (an array of C strings), and the list
// written out, comma separated.
bool one_of(const std::string& x, const auto& list) {
  return std::find_if(std::begin(list), std::end(list), [&](const char* v) { return x == v; }) != std::end(list);
}
std::string listed(const auto& list) {
  std::string out;
  for (const char* v : list) out += (out.empty() ? "" : ", ") + std::string(v);
  return out;
}
// Whether `list[i]` stands before position i already.
template <typename T>
bool twice(const std::vector<T>& list, std::size_t i) {
  PL_ASSERT(i < list.size());
  auto at = list.begin() + static_cast<std::ptrdiff_t>(i);
  return std::find(list.begin(), at, *at) != at;
}

std::vector<flatbuffers::Offset<flatbuffers::String>> fb_strings(FBB& b, const std::vector<std::string>& v);

// Looks up the open programme `id`.
Result<const ProgrammeState*> open_programme(const State& s, const std::string& id);
// Looks up the programme `id`, closed or not: the control of spending goes
// on after a programme closes (findings come years later; the documents are
// kept until retain_until).
Result<const ProgrammeState*> any_programme(const State& s, const std::string& id);

// Collects the events of one decision. The first carries the expected
// version of its stream.
class Out {
 public:
  Out(std::string id, std::optional<std::uint64_t> expected) : expected_(expected) { d_.id = std::move(id); }
  void programme(const ProgrammeState& p) {
    d_.programme_id = p.id;
    d_.rules_version = p.rules_version;
  }
  // An event of `type` built by `build`, without its personal fields, which
  // are `personal` (domain/subjects.h), in increasing field order.
  template <typename BuildFn>
  void emit(std::string stream, fb::Event type, BuildFn&& build, std::vector<PersonalText> personal = {}) {
    PL_ASSERT(type != fb::Event::NONE);
    d_.events.push_back(
        {std::move(stream), first_ ? expected_ : std::nullopt, type, make_payload(type, build), std::move(personal)});
    first_ = false;
  }
  Decision take() {
    PL_ASSERT(!d_.events.empty());  // a decision appends at least one event
    return std::move(d_);
  }

 private:
  Decision d_;
  std::optional<std::uint64_t> expected_;
  bool first_ = true;
};

using PairOf = std::pair<const PairState*, const ProgrammeState*>;
using InvoiceOf = std::pair<const InvoiceState*, const ProgrammeState*>;

struct Decider {
  const State& s;
  std::int64_t now;
  std::optional<std::uint64_t> expected;
  const Actor& actor;

  // A decision of one event, checked against the rules of programme `p`.
  template <typename BuildFn>
  Decision one_event(std::string id, const ProgrammeState& p, std::string stream, fb::Event type, BuildFn&& build,
                     std::vector<PersonalText> personal = {}) const {
    Out out(std::move(id), expected);
    out.programme(p);
    out.emit(std::move(stream), type, build, std::move(personal));
    return out.take();
  }

  // decide_programme.cc
  Result<Decision> operator()(const OpenProgramme& c) const;
  Result<Decision> operator()(const AmendRules& given) const;
  Result<Decision> operator()(const CloseProgramme& c) const;
  Result<Decision> operator()(const HoldJointMeeting& c) const;

  // decide_enrolment.cc
  Result<Decision> operator()(const EnrolMentee& c) const;
  Result<Decision> operator()(const WithdrawMentee& c) const;
  Result<Decision> operator()(const DiagnoseNeeds& c) const;
  Result<Decision> operator()(const SubmitApplication& c) const;
  Result<Decision> operator()(const AcceptApplication& c) const;
  Result<Decision> operator()(const RejectApplication& c) const;

  // decide_pairs.cc
  // The pair, its open programme, and that the pair is still active.
  Result<PairOf> active_pair(const std::string& id) const;
  Result<Decision> operator()(const AssignPair& c) const;
  Result<Decision> operator()(const ChangePairPeriod& c) const;
  Result<Decision> operator()(const LogSession& c) const;
  Result<Decision> operator()(const VoidSession& c) const;
  Result<Decision> operator()(const SubmitReport& c) const;
  Result<Decision> operator()(const CompletePair& c) const;
  Result<Decision> operator()(const TerminatePair& c) const;

  // decide_invoices.cc
  // The invoice `id`, of an open programme, not cancelled.
  Result<InvoiceOf> invoice(const std::string& id) const;
  // The invoice `id` and its programme, closed or not, cancelled or not: for
  // the control of spending.
  Result<InvoiceOf> invoice_any(const std::string& id) const;
  // Four eyes: who verified an invoice does not pay or credit it after.
  Status not_its_verifier(const InvoiceState& inv, std::string_view what) const;
  Result<Decision> operator()(const IssueInvoice& c) const;
  Result<Decision> operator()(const PayInvoice& c) const;
  Result<Decision> operator()(const CancelInvoice& c) const;
  Result<Decision> operator()(const IssueCreditNote& c) const;

  // decide_tours.cc
  Result<Decision> operator()(const ScheduleTour& c) const;
  Result<Decision> operator()(const RegisterTourParticipant& c) const;
  Result<Decision> operator()(const CancelTourParticipant& c) const;

  // decide_control.cc
  Result<Decision> operator()(const AttachEvidence& c) const;
  Result<Decision> operator()(const RequestSample& c) const;
  Result<Decision> operator()(const DrawSample& c) const;
  Result<Decision> operator()(const VerifyExpenditure& c) const;
  Result<Decision> operator()(const RecordFinding& c) const;
  Result<Decision> operator()(const ApplyCorrection& c) const;

  // decide_privacy.cc
  Result<Decision> operator()(const EraseSubject& c) const;
};

}  // namespace pl::decide_internal
