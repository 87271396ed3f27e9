#include "http/json_commands.h"

#include <set>

#include "base/dates.h"
#include "http/json_reader.h"

namespace pl {
namespace {

using json = nlohmann::json;

// The rules' fields, as the schema lists them (domain/rules.h): each read by
// its unit, an instant under its name less _us.
Rules read_rules(BodyReader& r) {
  std::vector<RuleValue> values;
  for (const RuleField& f : rule_fields()) {
    RuleValue v;
    std::string key(f.json_name);
    switch (f.unit) {
      case RuleUnit::minutes:
        v.number = r.minutes(key.c_str());
        break;
      case RuleUnit::cents:
        v.number = r.cents(key.c_str());
        break;
      case RuleUnit::instant:
        v.number = r.instant(key.c_str()).value_or(0);
        break;
      case RuleUnit::strings:
        v.strings = r.strings(key.c_str(), !f.optional());  // an optional list: empty unless given
        break;
      case RuleUnit::boolean:  // optional: false unless given
        v.number = r.boolean(key.c_str()) ? 1 : 0;
        break;
      case RuleUnit::basis_points:
      case RuleUnit::count:  // optional when the schema gives a default
        v.number =
            !f.optional() || r.has(key.c_str()) ? (f.wide ? r.integer(key.c_str()) : r.int32(key.c_str())) : f.fallback;
        break;
    }
    values.push_back(std::move(v));
  }
  return rules_from_values(values);
}

// ---- one reader per command: path ids from `p`, body fields from `b`
OpenProgramme read_open_programme(BodyReader& b, BodyReader& /*p: no path ids*/) {
  OpenProgramme c;
  c.id = b.text("id");
  c.name = b.text("name");
  c.coordinator = b.text("coordinator");
  c.rules = read_rules(b);
  return c;
}

AmendRules read_amend_rules(BodyReader& b, BodyReader& p) {
  AmendRules c;
  c.programme_id = p.text("pid");
  c.rules = read_rules(b);
  c.reason = b.text("reason");
  for (const RuleField& f : rule_fields())
    if (f.optional() && !b.has(std::string(f.json_name).c_str())) c.kept.emplace_back(f.name);
  return c;
}

CloseProgramme read_close_programme(BodyReader& b, BodyReader& p) {
  CloseProgramme c;
  c.programme_id = p.text("pid");
  c.date = b.date("date");
  c.reason = b.text("reason", false);
  return c;
}

HoldJointMeeting read_hold_joint_meeting(BodyReader& b, BodyReader& p) {
  HoldJointMeeting c;
  c.programme_id = p.text("pid");
  c.id = b.text("id", false);
  c.date = b.date("date");
  c.title = b.text("title");
  c.pair_ids = b.strings("pair_ids");
  return c;
}

EnrolMentee read_enrol_mentee(BodyReader& b, BodyReader& p) {
  EnrolMentee c;
  c.programme_id = p.text("pid");
  c.id = b.text("id");
  c.name = b.text("name");
  c.cluster_name = b.text("cluster_name");
  c.sectors = b.text("sectors");
  c.country = b.text("country");
  c.website = b.text("website", false);
  return c;
}

WithdrawMentee read_withdraw_mentee(BodyReader& b, BodyReader& p) {
  WithdrawMentee c;
  c.mentee_id = p.text("mid");
  c.date = b.date("date");
  c.reason = b.text("reason");
  return c;
}

SubmitApplication read_submit_application(BodyReader& b, BodyReader& p) {
  SubmitApplication c;
  c.programme_id = p.text("pid");
  c.id = b.text("id");
  c.applicant_name = b.text("applicant_name");
  c.organisation = b.text("organisation");
  c.email = b.text("email");
  c.country = b.text("country");
  c.profile =
      b.one_of("profile", {"cluster_manager", "expert"}) == 1 ? fb::Profile::expert : fb::Profile::cluster_manager;
  c.years_experience = b.int32("years_experience");
  c.knowledge_areas = b.strings("knowledge_areas");
  c.quotation_cents = b.cents("quotation_cents");
  c.received_at_us = b.instant("received_at", false);
  return c;
}

AcceptApplication read_accept_application(BodyReader& b, BodyReader& p) {
  AcceptApplication c;
  c.application_id = p.text("aid");
  c.mentor_id = b.text("mentor_id");
  return c;
}

RejectApplication read_reject_application(BodyReader& b, BodyReader& p) {
  RejectApplication c;
  c.application_id = p.text("aid");
  c.reason = b.text("reason");
  return c;
}

AssignPair read_assign_pair(BodyReader& b, BodyReader& p) {
  AssignPair c;
  c.programme_id = p.text("pid");
  c.id = b.text("id");
  c.mentor_id = b.text("mentor_id");
  c.mentee_id = b.text("mentee_id");
  c.start_date = b.date("start_date");
  c.end_date = b.date("end_date");
  c.agreed_fee_cents = b.cents("agreed_fee_cents");
  c.topics = b.strings("topics");
  c.override_reason = b.text("override_reason", false);
  return c;
}

ChangePairPeriod read_change_pair_period(BodyReader& b, BodyReader& p) {
  ChangePairPeriod c;
  c.pair_id = p.text("pair");
  c.end_date = b.date("end_date");
  c.reason = b.text("reason");
  return c;
}

LogSession read_log_session(BodyReader& b, BodyReader& p) {
  LogSession c;
  c.pair_id = p.text("pair");
  c.id = b.text("id");
  c.date = b.date("date");
  c.minutes = b.minutes("minutes");
  c.mode = b.one_of("mode", {"remote", "in_person"}) == 1 ? fb::Mode::in_person : fb::Mode::remote;
  c.format = b.one_of("format", {"bilateral", "group"}) == 1 ? fb::Format::group : fb::Format::bilateral;
  c.topics = b.strings("topics");
  c.summary = b.text("summary");
  return c;
}

VoidSession read_void_session(BodyReader& b, BodyReader& p) {
  VoidSession c;
  c.pair_id = p.text("pair");
  c.session_id = p.text("sid");
  c.reason = b.text("reason");
  return c;
}

SubmitReport read_submit_report(BodyReader& b, BodyReader& p) {
  SubmitReport c;
  c.pair_id = p.text("pair");
  c.language = b.text("language");
  c.topics = b.strings("topics");
  c.progress = b.text("progress", true, kMaxReportField);
  c.outcomes = b.text("outcomes", true, kMaxReportField);
  return c;
}

CompletePair read_complete_pair(BodyReader& /*b: no body fields*/, BodyReader& p) {
  CompletePair c;
  c.pair_id = p.text("pair");
  return c;
}

TerminatePair read_terminate_pair(BodyReader& b, BodyReader& p) {
  TerminatePair c;
  c.pair_id = p.text("pair");
  c.reason = b.text("reason");
  return c;
}

IssueInvoice read_issue_invoice(BodyReader& b, BodyReader& p) {
  IssueInvoice c;
  c.pair_id = p.text("pair");
  c.id = b.text("id");
  c.number = b.text("number");
  c.issue_date = b.date("issue_date");
  c.net_cents = b.cents("net_cents");
  c.vat_cents = b.cents("vat_cents");
  return c;
}

PayInvoice read_pay_invoice(BodyReader& b, BodyReader& p) {
  PayInvoice c;
  c.invoice_id = p.text("iid");
  c.paid_date = b.date("paid_date");
  c.amount_cents = b.cents("amount_cents");
  c.vat_cents = b.cents("vat_cents", false);
  return c;
}

CancelInvoice read_cancel_invoice(BodyReader& b, BodyReader& p) {
  CancelInvoice c;
  c.invoice_id = p.text("iid");
  c.reason = b.text("reason");
  return c;
}

IssueCreditNote read_issue_credit_note(BodyReader& b, BodyReader& p) {
  IssueCreditNote c;
  c.invoice_id = p.text("iid");
  c.id = b.text("id");
  c.amount_cents = b.cents("amount_cents");
  c.vat_cents = b.cents("vat_cents", false);
  c.reason = b.text("reason");
  return c;
}

ScheduleTour read_schedule_tour(BodyReader& b, BodyReader& p) {
  ScheduleTour c;
  c.programme_id = p.text("pid");
  c.id = b.text("id");
  c.region = b.text("region");
  c.host = b.text("host");
  c.start_date = b.date("start_date");
  c.end_date = b.date("end_date");
  c.topics = b.strings("topics", false);
  return c;
}

RegisterTourParticipant read_register_tour_participant(BodyReader& b, BodyReader& p) {
  RegisterTourParticipant c;
  c.tour_id = p.text("tid");
  c.kind = b.text("kind", false);
  c.mentee_id = b.text("mentee_id", c.kind.empty() || c.kind == "cluster_manager");
  c.participant_id = b.text("participant_id", false);
  c.name = b.text("name", false);
  c.organisation = b.text("organisation", false);
  c.country = b.text("country", false);
  return c;
}

CancelTourParticipant read_cancel_tour_participant(BodyReader& b, BodyReader& p) {
  CancelTourParticipant c;
  c.tour_id = p.text("tid");
  c.mentee_id = b.text("mentee_id", false);
  c.participant_id = b.text("participant_id", false);
  c.reason = b.text("reason");
  return c;
}

DiagnoseNeeds read_diagnose_needs(BodyReader& b, BodyReader& p) {
  DiagnoseNeeds c;
  c.mentee_id = p.text("mid");
  c.areas = b.strings("areas");
  c.note = b.text("note", false);
  return c;
}

// ---- control of spending
// The document's file name, type and size are the store's: Api::command
// fills them in from the hash.
AttachEvidence read_attach(BodyReader& b, std::string entity, std::string id) {
  AttachEvidence c;
  c.entity = std::move(entity);
  c.entity_id = std::move(id);
  c.sha256 = b.text("sha256", true, 64);
  c.kind = b.text("kind");
  c.note = b.text("note", false);
  return c;
}
AttachEvidence read_attach_invoice_evidence(BodyReader& b, BodyReader& p) {
  return read_attach(b, "invoice", p.text("iid"));
}
AttachEvidence read_attach_pair_evidence(BodyReader& b, BodyReader& p) {
  return read_attach(b, "pair", p.text("pair"));
}
AttachEvidence read_attach_session_evidence(BodyReader& b, BodyReader& p) {
  AttachEvidence c = read_attach(b, "session", p.text("pair"));
  c.session_id = p.text("sid");
  return c;
}
AttachEvidence read_attach_application_evidence(BodyReader& b, BodyReader& p) {
  return read_attach(b, "application", p.text("aid"));
}

RequestSample read_request_sample(BodyReader& b, BodyReader& p) {
  RequestSample c;
  c.programme_id = p.text("pid");
  c.id = b.text("id");
  c.population = b.text("population");
  c.method = b.text("method");
  c.size = b.integer("size");
  c.reason = b.text("reason", false);
  return c;
}
EraseSubject read_erase_subject(BodyReader& b, BodyReader& p) {
  EraseSubject c;
  c.subject = p.text("subject");
  c.basis = b.one_of("basis", {"retention_ended", "court_order"}) == 1 ? fb::ErasureBasis::court_order
                                                                       : fb::ErasureBasis::retention_ended;
  c.court_reference = b.text("court_reference", false);
  c.reason = b.text("reason");
  return c;
}
DrawSample read_draw_sample(BodyReader& /*b: no body fields*/, BodyReader& p) {
  return DrawSample{p.text("pid"), p.text("sid")};
}

VerifyExpenditure read_verify_expenditure(BodyReader& b, BodyReader& p) {
  VerifyExpenditure c;
  c.invoice_id = p.text("iid");
  c.certified_cents = b.cents("certified_cents");
  c.deducted_cents = b.cents("deducted_cents");
  c.error_type = b.text("error_type", false);
  c.note = b.text("note", false);
  c.sample_id = b.text("sample_id", false);
  return c;
}

RecordFinding read_record_finding(BodyReader& b, BodyReader& p) {
  RecordFinding c;
  c.programme_id = p.text("pid");
  c.id = b.text("id");
  c.source = b.text("source");
  c.invoice_id = b.text("invoice_id");
  c.positions = b.positions("positions");
  c.error_type = b.text("error_type");
  c.amount_cents = b.cents("amount_cents");
  c.description = b.text("description");
  return c;
}

ApplyCorrection read_apply_correction(BodyReader& b, BodyReader& p) {
  ApplyCorrection c;
  c.finding_id = p.text("fid");
  c.id = b.text("id");
  c.amount_cents = b.cents("amount_cents");
  c.reason = b.text("reason");
  return c;
}

template <class T, T (*Read)(BodyReader&, BodyReader&)>
Result<AnyCommand> parse_with(const json& params, const json& body) {
  static const json kEmpty = json::object();
  BodyReader b(body.is_null() ? kEmpty : body, "request body");
  BodyReader p(params.is_null() ? kEmpty : params, "path");
  T command = Read(b, p);
  PL_RETURN_IF_ERROR(p.finish());
  PL_RETURN_IF_ERROR(b.finish());
  return AnyCommand(std::move(command));
}

}  // namespace

Result<nlohmann::json> parse_json(std::string_view text) {
  // The keys of each object being read: a key given twice is refused, not
  // taken as its last value.
  std::vector<std::set<std::string>> keys;
  std::string twice;
  auto watch = [&](int, json::parse_event_t event, json& parsed) {
    if (event == json::parse_event_t::object_start) {
      keys.emplace_back();
    } else if (event == json::parse_event_t::object_end) {
      if (!keys.empty()) keys.pop_back();
    } else if (event == json::parse_event_t::key && !keys.empty()) {
      const auto& key = parsed.get_ref<const std::string&>();
      if (!keys.back().insert(key).second && twice.empty()) twice = key.substr(0, 100);
    }
    return true;
  };
  try {
    json parsed = json::parse(text.begin(), text.end(), watch);
    if (!twice.empty()) return Status::invalid("the body gives \"" + twice + "\" twice in one object");
    return parsed;
  } catch (const json::exception& e) {
    // parse_error, and also out_of_range for a number beyond a double
    // (1e999): found by fuzzing, it used to end the process.
    return Status::invalid(std::string("the body is not valid JSON: ") + e.what());
  }
}

Status unknown_evidence(const std::string& sha256) {
  return Status::rule("unknown_evidence", "no document with SHA-256 " + sha256.substr(0, 64) +
                                              " that you may read is stored: upload it first (POST /v1/evidence)");
}

Status complete_command(const Store& store, AnyCommand& command) {
  if (auto* finding = std::get_if<RecordFinding>(&command)) {
    // A finding names events of its own programme. (Positions past the head
    // are refused by the rules, with the range.)
    std::uint64_t head = store.head().position;
    for (std::uint64_t pos : finding->positions) {
      if (pos < 1 || pos > head) continue;
      auto stored = store.read_one(pos);
      if (!stored) return stored.status();
      std::string_view of = stored->view().programme_id();
      if (of != finding->programme_id)
        return Status::invalid("position " + std::to_string(pos) + " is an event of " +
                               (of.empty() ? std::string("no programme") : "programme '" + std::string(of) + "'") +
                               ", not of programme '" + finding->programme_id + "'");
    }
    return Status::ok();
  }
  auto* attach = std::get_if<AttachEvidence>(&command);
  if (!attach) return Status::ok();
  Hash sha{};
  if (attach->sha256.size() != 64 || !from_hex(attach->sha256, &sha))
    return Status::invalid("sha256 must be 64 lower-case hexadecimal digits");
  auto meta = store.evidence_meta(sha);
  if (!meta) {
    if (meta.status().is(Kind::not_found)) return unknown_evidence(attach->sha256);
    return meta.status();
  }
  attach->filename = meta->filename;
  attach->content_type = meta->content_type;
  attach->size = static_cast<std::int64_t>(meta->size);
  return Status::ok();
}

namespace commands {
const CommandSpec open_programme{"open_programme", &parse_with<OpenProgramme, read_open_programme>};
const CommandSpec amend_rules{"amend_rules", &parse_with<AmendRules, read_amend_rules>};
const CommandSpec close_programme{"close_programme", &parse_with<CloseProgramme, read_close_programme>};
const CommandSpec hold_joint_meeting{"hold_joint_meeting", &parse_with<HoldJointMeeting, read_hold_joint_meeting>};
const CommandSpec enrol_mentee{"enrol_mentee", &parse_with<EnrolMentee, read_enrol_mentee>};
const CommandSpec withdraw_mentee{"withdraw_mentee", &parse_with<WithdrawMentee, read_withdraw_mentee>};
const CommandSpec submit_application{"submit_application", &parse_with<SubmitApplication, read_submit_application>};
const CommandSpec accept_application{"accept_application", &parse_with<AcceptApplication, read_accept_application>};
const CommandSpec reject_application{"reject_application", &parse_with<RejectApplication, read_reject_application>};
const CommandSpec assign_pair{"assign_pair", &parse_with<AssignPair, read_assign_pair>};
const CommandSpec change_pair_period{"change_pair_period", &parse_with<ChangePairPeriod, read_change_pair_period>};
const CommandSpec log_session{"log_session", &parse_with<LogSession, read_log_session>};
const CommandSpec void_session{"void_session", &parse_with<VoidSession, read_void_session>};
const CommandSpec submit_report{"submit_report", &parse_with<SubmitReport, read_submit_report>};
const CommandSpec complete_pair{"complete_pair", &parse_with<CompletePair, read_complete_pair>};
const CommandSpec terminate_pair{"terminate_pair", &parse_with<TerminatePair, read_terminate_pair>};
const CommandSpec issue_invoice{"issue_invoice", &parse_with<IssueInvoice, read_issue_invoice>};
const CommandSpec pay_invoice{"pay_invoice", &parse_with<PayInvoice, read_pay_invoice>};
const CommandSpec cancel_invoice{"cancel_invoice", &parse_with<CancelInvoice, read_cancel_invoice>};
const CommandSpec issue_credit_note{"issue_credit_note", &parse_with<IssueCreditNote, read_issue_credit_note>};
const CommandSpec schedule_tour{"schedule_tour", &parse_with<ScheduleTour, read_schedule_tour>};
const CommandSpec register_tour_participant{"register_tour_participant",
                                            &parse_with<RegisterTourParticipant, read_register_tour_participant>};
const CommandSpec cancel_tour_participant{"cancel_tour_participant",
                                          &parse_with<CancelTourParticipant, read_cancel_tour_participant>};
const CommandSpec diagnose_needs{"diagnose_needs", &parse_with<DiagnoseNeeds, read_diagnose_needs>};
const CommandSpec attach_invoice_evidence{"attach_invoice_evidence",
                                          &parse_with<AttachEvidence, read_attach_invoice_evidence>};
const CommandSpec attach_pair_evidence{"attach_pair_evidence", &parse_with<AttachEvidence, read_attach_pair_evidence>};
const CommandSpec attach_session_evidence{"attach_session_evidence",
                                          &parse_with<AttachEvidence, read_attach_session_evidence>};
const CommandSpec attach_application_evidence{"attach_application_evidence",
                                              &parse_with<AttachEvidence, read_attach_application_evidence>};
const CommandSpec request_sample{"request_sample", &parse_with<RequestSample, read_request_sample>};
const CommandSpec draw_sample{"draw_sample", &parse_with<DrawSample, read_draw_sample>};
const CommandSpec verify_expenditure{"verify_expenditure", &parse_with<VerifyExpenditure, read_verify_expenditure>};
const CommandSpec record_finding{"record_finding", &parse_with<RecordFinding, read_record_finding>};
const CommandSpec apply_correction{"apply_correction", &parse_with<ApplyCorrection, read_apply_correction>};
const CommandSpec erase_subject{"erase_subject", &parse_with<EraseSubject, read_erase_subject>};
}  // namespace commands

const std::vector<const CommandSpec*>& command_specs() {
  static const std::vector<const CommandSpec*> all = {
      &commands::open_programme,
      &commands::amend_rules,
      &commands::close_programme,
      &commands::hold_joint_meeting,
      &commands::enrol_mentee,
      &commands::withdraw_mentee,
      &commands::submit_application,
      &commands::accept_application,
      &commands::reject_application,
      &commands::assign_pair,
      &commands::change_pair_period,
      &commands::log_session,
      &commands::void_session,
      &commands::submit_report,
      &commands::complete_pair,
      &commands::terminate_pair,
      &commands::issue_invoice,
      &commands::pay_invoice,
      &commands::cancel_invoice,
      &commands::issue_credit_note,
      &commands::schedule_tour,
      &commands::register_tour_participant,
      &commands::cancel_tour_participant,
      &commands::diagnose_needs,
      &commands::attach_invoice_evidence,
      &commands::attach_pair_evidence,
      &commands::attach_session_evidence,
      &commands::attach_application_evidence,
      &commands::request_sample,
      &commands::draw_sample,
      &commands::verify_expenditure,
      &commands::record_finding,
      &commands::apply_correction,
      &commands::erase_subject,
  };
  return all;
}

const CommandSpec* find_command(std::string_view name) {
  for (const CommandSpec* c : command_specs())
    if (c->name == name) return c;
  return nullptr;
}

Result<AnyCommand> parse_command(std::string_view name, const json& params, const json& body) {
  const CommandSpec* c = find_command(name);
  if (!c) return Status::invalid("unknown command '" + std::string(name) + "'");
  return c->parse(params, body);
}

}  // namespace pl
