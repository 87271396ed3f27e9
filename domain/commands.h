// The commands of the mentoring programme and their decisions.
//
// Each command is a plain struct; decide(state, now, command) returns the
// events it produces or the refusal, with the machine code of API.md and a
// sentence with the figures. Every limit comes from the programme's rules
// (ProgrammeOpened, or the last ProgrammeRulesAmended); no programme figure
// is written here. Each decision names the programme and the version of its
// rules it was checked against; the writer records both in the envelope.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "domain/state.h"

namespace pl {

struct OpenProgramme {
  std::string id, name, coordinator;
  Rules rules;
};
struct AmendRules {
  std::string programme_id;
  Rules rules;
  std::string reason;
  // The optional rules (RuleField::optional: lists, yes-or-no rules, numbers
  // with a default) the amendment does not give, by schema name: they keep
  // the value in force, so a client that predates such a rule does not
  // change it.
  std::vector<std::string> kept{};
};
struct CloseProgramme {
  std::string programme_id;
  std::int32_t date = 0;
  std::string reason;
};
struct HoldJointMeeting {
  std::string programme_id, id;
  std::int32_t date = 0;
  std::string title;
  std::vector<std::string> pair_ids;
};
struct EnrolMentee {
  std::string programme_id, id, name, cluster_name, sectors, country, website;
};
struct WithdrawMentee {
  std::string mentee_id;
  std::int32_t date = 0;
  std::string reason;
};
struct SubmitApplication {
  std::string programme_id, id, applicant_name, organisation, email, country;
  fb::Profile profile = fb::Profile::cluster_manager;
  std::int32_t years_experience = 0;
  std::vector<std::string> knowledge_areas;
  std::int64_t quotation_cents = 0;
  std::optional<std::int64_t> received_at_us;  // default: now
};
struct AcceptApplication {
  std::string application_id, mentor_id;
};
struct RejectApplication {
  std::string application_id, reason;
};
struct AssignPair {
  std::string programme_id, id, mentor_id, mentee_id;
  std::int32_t start_date = 0, end_date = 0;
  std::int64_t agreed_fee_cents = 0;
  std::vector<std::string> topics;
  std::string override_reason{};  // required when the topics do not match the mentee's diagnosis
};
struct ChangePairPeriod {
  std::string pair_id;
  std::int32_t end_date = 0;
  std::string reason;
};
struct LogSession {
  std::string pair_id, id;
  std::int32_t date = 0;
  std::int64_t minutes = 0;
  fb::Mode mode = fb::Mode::remote;
  fb::Format format = fb::Format::bilateral;
  std::vector<std::string> topics;
  std::string summary;
};
struct VoidSession {
  std::string pair_id, session_id, reason;
};
struct SubmitReport {
  std::string pair_id, language;
  std::vector<std::string> topics;
  std::string progress, outcomes;
};
struct CompletePair {
  std::string pair_id;
};
struct TerminatePair {
  std::string pair_id, reason;
};
struct IssueInvoice {
  std::string pair_id, id, number;
  std::int32_t issue_date = 0;
  std::int64_t net_cents = 0, vat_cents = 0;
};
struct PayInvoice {
  std::string invoice_id;
  std::int32_t paid_date = 0;
  std::int64_t amount_cents = 0;  // the VAT-excluded part
  std::int64_t vat_cents = 0;     // the VAT part
};
struct CancelInvoice {
  std::string invoice_id, reason;
};
struct IssueCreditNote {
  std::string invoice_id, id;
  std::int64_t amount_cents = 0;  // the VAT-excluded part
  std::string reason;
  std::int64_t vat_cents = 0;  // the VAT part
};
struct ScheduleTour {
  std::string programme_id, id, region, host;
  std::int32_t start_date = 0, end_date = 0;
  std::vector<std::string> topics;
};
// A mentee (a South-Med cluster manager: the tour limit applies), or a
// person of another kind (cluster_representative, network_manager) named by
// participant_id, name, organisation and country.
struct RegisterTourParticipant {
  std::string tour_id, mentee_id;
  std::string kind{};  // empty or cluster_manager: mentee_id; else the other fields
  std::string participant_id{}, name{}, organisation{}, country{};
};
struct CancelTourParticipant {
  std::string tour_id, mentee_id, reason;
  std::string participant_id{};  // instead of mentee_id, for another kind
};
// The mentee's needs of support, from its diagnosis: pairs are matched on them.
struct DiagnoseNeeds {
  std::string mentee_id;
  std::vector<std::string> areas;
  std::string note;
};

// ---- control of spending (docs/CONTROL.md)
// A stored document attached to an entity. The caller (the API) has found
// the document in the store and gives its file name, type and size.
struct AttachEvidence {
  std::string entity;  // invoice, pair, session, application
  std::string entity_id, session_id, sha256, kind, note;
  std::string filename{}, content_type{};
  std::int64_t size = 0;
};
// A sample asked for: the population is listed now, the seed is the hash of
// the first event after the request (docs/CONTROL.md, domain/sampling.h).
struct RequestSample {
  std::string programme_id, id, population, method;
  std::int64_t size = 0;
  std::string reason{};
};
// The draw of a requested sample, once its seed is fixed: nothing in it is
// chosen, whoever sends it.
struct DrawSample {
  std::string programme_id, id;
};
struct VerifyExpenditure {
  std::string invoice_id;
  std::int64_t certified_cents = 0, deducted_cents = 0;
  std::string error_type, note, sample_id;
};
struct RecordFinding {
  std::string programme_id, id, source, invoice_id;
  std::vector<std::uint64_t> positions;
  std::string error_type;
  std::int64_t amount_cents = 0;
  std::string description;
};
struct ApplyCorrection {
  std::string finding_id, id;
  std::int64_t amount_cents = 0;
  std::string reason;
};

// Erases a person's personal data (docs/PRIVACY.md): their data key is
// destroyed with the event. `subject` is their subject id (domain/subjects.h).
struct EraseSubject {
  std::string subject;
  fb::ErasureBasis basis = fb::ErasureBasis::retention_ended;
  std::string court_reference;  // required with court_order
  std::string reason;
};

using AnyCommand =
    std::variant<OpenProgramme, AmendRules, CloseProgramme, HoldJointMeeting, EnrolMentee, WithdrawMentee,
                 SubmitApplication, AcceptApplication, RejectApplication, AssignPair, ChangePairPeriod, LogSession,
                 VoidSession, SubmitReport, CompletePair, TerminatePair, IssueInvoice, PayInvoice, CancelInvoice,
                 IssueCreditNote, ScheduleTour, RegisterTourParticipant, CancelTourParticipant, DiagnoseNeeds,
                 AttachEvidence, DrawSample, VerifyExpenditure, RecordFinding, ApplyCorrection, RequestSample,
                 EraseSubject>;

// The stream each entity lives in.
inline std::string programme_stream(const std::string& id) { return "programme-" + id; }
inline std::string mentee_stream(const std::string& id) { return "mentee-" + id; }
inline std::string application_stream(const std::string& id) { return "application-" + id; }
inline std::string pair_stream(const std::string& id) { return "pair-" + id; }
inline std::string invoice_stream(const std::string& id) { return "invoice-" + id; }
inline std::string tour_stream(const std::string& id) { return "tour-" + id; }
inline std::string finding_stream(const std::string& id) { return "finding-" + id; }
inline std::string subject_stream(const std::string& subject) { return "subject-" + subject; }

// The kinds of evidence, the steps that may need them (Rules::evidence_required
// lists "step:kind"), who reports a finding, and the types of error a
// deduction or a finding names.
inline constexpr const char* kEvidenceKinds[] = {"invoice",     "proof_of_payment", "attendance", "report",
                                                 "application", "vat_statement",    "other"};
inline constexpr const char* kEvidenceSteps[] = {"invoice", "payment", "completion", "session", "application"};
inline constexpr const char* kFindingSources[] = {"controller", "audit_authority", "commission", "court_of_auditors",
                                                  "olaf"};
inline constexpr const char* kErrorTypes[] = {"ineligible_cost", "missing_evidence", "calculation",
                                              "double_funding",  "outside_period",   "other"};

}  // namespace pl
