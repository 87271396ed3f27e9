// The route table: one row per endpoint, and the names and schemas derived
// from it.
#include "http/route_table.h"

#include "http/api.h"
#include "http/json_commands.h"

namespace pl {

using nlohmann::json;

unsigned role_bit(std::string_view role) {
  if (role == "coordinator") return kCoordinator;
  if (role == "finance") return kFinance;
  if (role == "auditor") return kAuditor;
  if (role == "mentor") return kMentor;
  if (role == "controller") return kController;
  if (role == "dpo") return kDpo;
  return 0;
}

std::vector<std::string> role_names(unsigned roles) {
  std::vector<std::string> out;
  for (const char* r : {"coordinator", "finance", "auditor", "controller", "mentor", "dpo"})
    if (roles & role_bit(r)) out.emplace_back(r);
  return out;
}

std::string request_schema(std::string_view command) {
  std::string out;
  bool upper = true;
  for (char ch : command) {
    if (ch == '_') {
      upper = true;
      continue;
    }
    out.push_back(upper ? static_cast<char>(ch - 'a' + 'A') : ch);
    upper = false;
  }
  return out + "Request";
}

namespace {

using M = MentorLimit;

Route read(std::string_view pattern, std::string_view operation, std::string_view summary, std::string_view tag,
           unsigned roles, M mentor, bool as_of, Api::Handler h, std::string_view response,
           std::vector<std::string_view> query = {}) {
  Route r;
  r.method = "GET";
  r.pattern = pattern;
  r.operation = operation;
  r.summary = summary;
  r.tag = tag;
  r.roles = roles;
  r.mentor = mentor;
  r.as_of = as_of;
  r.read = h;
  r.response = response;
  r.query = std::move(query);
  return r;
}

Route write(std::string_view pattern, std::string_view summary, std::string_view tag, unsigned roles,
            const CommandSpec& command) {
  Route r;
  r.method = "POST";
  r.pattern = pattern;
  r.operation = command.name;
  r.summary = summary;
  r.tag = tag;
  r.roles = roles;
  r.mentor = (roles & kMentor) ? M::own : M::none;
  r.command = &command;
  r.response = "CommandOutcome";
  return r;
}

// A POST whose body is read as a stream (Route::streamed).
Route streamed(std::string_view pattern, std::string_view operation, std::string_view summary, std::string_view tag,
               unsigned roles, Api::Opener open, std::string_view response, std::size_t body_limit) {
  Route r;
  r.method = "POST";
  r.pattern = pattern;
  r.operation = operation;
  r.summary = summary;
  r.tag = tag;
  r.roles = roles;
  r.open = open;
  r.response = response;
  r.streamed = true;
  r.body_limit = body_limit;
  return r;
}

// A read whose answer is a file, not JSON.
Route with_body(Route r, Body body) {
  r.body = body;
  return r;
}

Route other(std::string_view pattern, std::string_view operation, std::string_view summary, std::string_view tag,
            unsigned roles, Api::Handler h, Body body, std::string_view response = {},
            std::vector<std::string_view> query = {}) {
  Route r = read(pattern, operation, summary, tag, roles, M::none, false, h, response, std::move(query));
  r.body = body;
  if (roles & kMentor) r.mentor = M::scoped;
  return r;
}

std::vector<Route> make_table() {
  namespace c = commands;
  constexpr unsigned kCoord = kCoordinator;
  // Who sees the control's results: every role but mentors.
  constexpr unsigned kControlReaders = kCoordinator | kFinance | kAuditor | kController;
  std::vector<Route> t = {
      // ---- outside /v1
      other("/healthz", "healthz", "Whether the ledger is serving and its reads are sound", "site", kNoToken,
            &Api::healthz, Body::json, "Health"),
      other("/metrics", "metrics", "Prometheus metrics", "site", kNoToken, &Api::metrics, Body::text),
      other("/openapi.json", "openapi", "This document", "site", kNoToken, &Api::openapi, Body::openapi),
      other("/", "dashboard", "The dashboard", "site", kNoToken, &Api::index, Body::html),
      other("/assets/{file}", "asset", "A file of the dashboard", "site", kNoToken, &Api::asset, Body::asset),
      read("/v1/me", "me", "Who the token is", "site", kAnyRole, M::none, false, &Api::me, "Me"),

      // ---- programmes
      read("/v1/programmes", "programmes", "Every programme", "programmes", kAnyRole, M::none, true, &Api::programmes,
           "ProgrammeList"),
      write("/v1/programmes", "Open a programme with its rules", "programmes", kCoord, c::open_programme),
      read("/v1/programmes/{pid}", "programme", "A programme, its rules and counts", "programmes", kAnyRole, M::none,
           true, &Api::programme, "Programme"),
      write("/v1/programmes/{pid}/rules", "Amend a programme's rules", "programmes", kCoord, c::amend_rules),
      write("/v1/programmes/{pid}/close", "Close a programme", "programmes", kCoord, c::close_programme),
      read("/v1/programmes/{pid}/joint-meetings", "joint_meetings", "A programme's joint meetings", "programmes",
           kAnyRole, M::scoped, true, &Api::meetings, "JointMeetingList"),
      write("/v1/programmes/{pid}/joint-meetings", "Record a joint meeting of several pairs", "programmes", kCoord,
            c::hold_joint_meeting),

      // ---- mentees
      read("/v1/programmes/{pid}/mentees", "mentees", "A programme's mentees", "mentees", kAnyRole, M::scoped, true,
           &Api::mentees, "MenteeList"),
      write("/v1/programmes/{pid}/mentees", "Enrol a mentee", "mentees", kCoord, c::enrol_mentee),
      read("/v1/mentees/{mid}", "mentee", "A mentee", "mentees", kAnyRole, M::own, true, &Api::mentee, "Mentee"),
      read("/v1/mentees/{mid}/caps", "caps", "A mentee's hours and fee against the caps", "mentees", kAnyRole, M::own,
           true, &Api::caps, "Caps"),
      write("/v1/mentees/{mid}/withdraw", "Withdraw a mentee", "mentees", kCoord, c::withdraw_mentee),
      write("/v1/mentees/{mid}/needs", "Record a mentee's needs diagnosis: the areas pairs are matched on", "mentees",
            kCoord, c::diagnose_needs),
      read("/v1/mentees/{mid}/mentor-suggestions", "mentor_suggestions",
           "Accepted mentors ranked for a mentee: needs they offer, their load, country; every score's parts",
           "mentees", kControlReaders, M::none, true, &Api::mentor_suggestions, "MentorSuggestions"),

      // ---- applications
      read("/v1/programmes/{pid}/applications", "applications", "A programme's mentor applications", "applications",
           kAnyRole, M::scoped, true, &Api::applications, "ApplicationList", {"application_status"}),
      write("/v1/programmes/{pid}/applications", "Record a mentor's application", "applications", kCoord,
            c::submit_application),
      read("/v1/applications/{aid}", "application", "An application", "applications", kAnyRole, M::own, true,
           &Api::application, "Application"),
      write("/v1/applications/{aid}/accept", "Accept an application: the applicant becomes a mentor", "applications",
            kCoord, c::accept_application),
      write("/v1/applications/{aid}/reject", "Reject an application", "applications", kCoord, c::reject_application),

      // ---- pairs and sessions
      read("/v1/programmes/{pid}/pairs", "pairs", "A programme's pairs", "pairs", kAnyRole, M::scoped, true,
           &Api::pairs, "PairList", {"pair_status", "mentor_id", "mentee_id", "country"}),
      write("/v1/programmes/{pid}/pairs", "Assign a mentor to a mentee", "pairs", kCoord, c::assign_pair),
      read("/v1/pairs/{pair}", "pair", "A pair with its sessions and invoices", "pairs", kAnyRole, M::own, true,
           &Api::pair, "PairDetail", {"explain"}),
      write("/v1/pairs/{pair}/sessions", "Log a mentoring session", "pairs", kCoord | kMentor, c::log_session),
      write("/v1/pairs/{pair}/sessions/{sid}/void", "Void a session, with a reason", "pairs", kCoord, c::void_session),
      write("/v1/pairs/{pair}/report", "Submit the pair's final report", "pairs", kCoord | kMentor, c::submit_report),
      write("/v1/pairs/{pair}/period", "Change a pair's end date", "pairs", kCoord, c::change_pair_period),
      write("/v1/pairs/{pair}/complete", "Complete a pair", "pairs", kCoord, c::complete_pair),
      write("/v1/pairs/{pair}/terminate", "End a pair early, with a reason", "pairs", kCoord, c::terminate_pair),

      // ---- invoices
      write("/v1/pairs/{pair}/invoices", "Record a mentor's invoice", "invoices", kFinance, c::issue_invoice),
      read("/v1/invoices/{iid}", "invoice", "An invoice with its payments and credit notes", "invoices", kAnyRole,
           M::own, true, &Api::invoice, "Invoice"),
      write("/v1/invoices/{iid}/payments", "Record a payment", "invoices", kFinance, c::pay_invoice),
      write("/v1/invoices/{iid}/cancel", "Cancel an invoice", "invoices", kFinance, c::cancel_invoice),
      write("/v1/invoices/{iid}/credit-notes", "Issue a credit note", "invoices", kFinance, c::issue_credit_note),

      // ---- the control of spending (docs/CONTROL.md)
      write("/v1/invoices/{iid}/evidence", "Attach a stored document to an invoice", "control", kFinance,
            c::attach_invoice_evidence),
      write("/v1/pairs/{pair}/evidence", "Attach a stored document to a pair", "control", kCoord | kMentor,
            c::attach_pair_evidence),
      write("/v1/pairs/{pair}/sessions/{sid}/evidence", "Attach a stored document to a session", "control",
            kCoord | kMentor, c::attach_session_evidence),
      write("/v1/applications/{aid}/evidence", "Attach a stored document to an application", "control", kCoord,
            c::attach_application_evidence),
      read("/v1/programmes/{pid}/audit/evidence-gaps", "evidence_gaps",
           "The evidence the rules require that no attached document gives", "control", kControlReaders, M::none, true,
           &Api::evidence_gaps, "EvidenceGaps"),
      read("/v1/programmes/{pid}/samples", "samples", "The samples requested and drawn in a programme", "control",
           kControlReaders, M::none, true, &Api::samples, "SampleList"),
      write("/v1/programmes/{pid}/samples", "Request a sample: the seed is the hash of the next event", "control",
            kController, c::request_sample),
      write("/v1/programmes/{pid}/samples/{sid}/draw", "Draw a requested sample once an event has followed the request",
            "control", kController, c::draw_sample),
      read("/v1/programmes/{pid}/samples/{sid}", "sample",
           "A sample with its selection and the other requests of its population", "control", kControlReaders, M::none,
           true, &Api::sample, "Sample"),
      write("/v1/invoices/{iid}/verification", "Verify an invoice: certified and deducted (four eyes)", "control",
            kController, c::verify_expenditure),
      read("/v1/programmes/{pid}/findings", "findings", "The findings register with the corrections", "control",
           kControlReaders, M::none, true, &Api::findings, "FindingList"),
      write("/v1/programmes/{pid}/findings", "Record a finding on an invoice's expenditure", "control", kController,
            c::record_finding),
      write("/v1/findings/{fid}/corrections", "Apply a financial correction answering a finding (four eyes)", "control",
            kFinance, c::apply_correction),
      read("/v1/programmes/{pid}/audit/late-entries", "late_entries",
           "Entries recorded late or dated oddly: late sessions, applications, payments before invoices", "control",
           kControlReaders, M::none, true, &Api::late_entries, "LateEntries", {"days"}),

      // ---- personal data (docs/PRIVACY.md): the data protection officer alone erases
      write("/v1/subjects/{subject}/erasure",
            "Erase a person's personal data: their data key is destroyed with the event, the proofs still hold",
            "privacy", kDpo, c::erase_subject),
      read("/v1/subjects/{subject}", "subject_access",
           "Everything the ledger holds about a person, opened: each event that names them, with its position, and "
           "their documents (GDPR Art. 15)",
           "privacy", kDpo, M::none, false, &Api::subject_access, "SubjectAccess"),

      // ---- evidence documents: whoever may write an entity may upload for it
      streamed("/v1/evidence", "upload_evidence",
               "Store a document (PDF, PNG, JPEG or plain text, at most 20 MiB): the body is the document, read as a "
               "stream",
               "evidence", kCoord | kFinance | kController | kMentor, &Api::upload_evidence, "EvidenceStored",
               kMaxEvidenceBytes),
      // Whoever may read an entity it is attached to; unattached, its uploaders, controllers and auditors.
      with_body(read("/v1/evidence/{sha256}", "evidence_document",
                     "A stored document, as an attachment; its hash is checked on every read", "evidence", kAnyRole,
                     M::scoped, false, &Api::evidence_document, "EvidenceDocument"),
                Body::document),
      read("/v1/evidence/{sha256}/meta", "evidence_meta", "A stored document's type, name, size and attachments",
           "evidence", kAnyRole, M::scoped, false, &Api::evidence_meta, "EvidenceMeta"),

      // ---- figures and tours
      read("/v1/programmes/{pid}/budget", "budget", "Budget: agreed, invoiced, paid, EU and own shares", "figures",
           kAnyRole, M::scoped, true, &Api::budget_view, "Budget", {"explain"}),
      // Personal data and every invoice: not for mentors. Written on the as-of thread.
      with_body(read("/v1/programmes/{pid}/budget.xlsx", "budget_xlsx",
                     "The budget per mentee, the invoices, payments and credit notes as an Excel workbook", "figures",
                     kControlReaders, M::none, true, &Api::budget_xlsx, "BudgetWorkbook"),
                Body::xlsx),
      read("/v1/programmes/{pid}/hours", "hours", "Hours by mentee, mentor, pair, month, topic, mode or format",
           "figures", kAnyRole, M::scoped, true, &Api::hours_view, "Hours", {"group_by", "explain"}),
      read("/v1/programmes/{pid}/tours", "tours", "A programme's benchmarking tours", "tours", kAnyRole, M::scoped,
           true, &Api::tours, "TourList"),
      write("/v1/programmes/{pid}/tours", "Schedule a benchmarking tour", "tours", kCoord, c::schedule_tour),
      write("/v1/tours/{tid}/participants", "Register a participant for a tour: a mentee or another kind", "tours",
            kCoord, c::register_tour_participant),
      write("/v1/tours/{tid}/participants/cancel", "Cancel a place on a tour: a mentee's or another participant's",
            "tours", kCoord, c::cancel_tour_participant),

      // ---- the log and audit
      read("/v1/events", "events", "Events in position order, a page at a time", "log", kAnyRole, M::scoped, false,
           &Api::events, "EventPage", {"from", "limit", "stream", "type"}),
      other("/v1/events/live", "live", "Events as they are published (Server-Sent Events)", "log", kAnyRole, &Api::live,
            Body::event_stream, {}, {"from", "last_event_id"}),
      read("/v1/streams/{stream}", "stream", "One stream's events in version order", "log", kAnyRole, M::own, false,
           &Api::stream, "StreamEvents"),
      read("/v1/audit/head", "head", "The last event's position and hash: a receipt to keep", "audit", kAnyRole,
           M::none, false, &Api::head, "Head"),
      read("/v1/audit/verify", "verify", "Check every event's hash and link", "audit", kCoord | kAuditor | kController,
           M::none, false, &Api::verify, "Verification"),
      other("/v1/audit/export", "export", "Every event, streamed as NDJSON or CSV", "audit", kAnyRole, &Api::export_log,
            Body::export_log, {}, {"export_format"}),

      // ---- the verifiable log: hashes only, so open like a public log
      other("/v1/audit/checkpoint", "checkpoint", "The signed checkpoint (C2SP) of the tree now, or of size N",
            "proofs", kNoToken, &Api::checkpoint, Body::signed_note, {}, {"size"}),
      other("/v1/audit/proof/inclusion", "inclusion_proof", "RFC 6962 inclusion proof of an event in a tree", "proofs",
            kNoToken, &Api::inclusion_proof, Body::json, "InclusionProof", {"position", "size"}),
      other("/v1/audit/proof/consistency", "consistency_proof", "RFC 6962 consistency proof between two trees",
            "proofs", kNoToken, &Api::consistency_proof, Body::json, "ConsistencyProof",
            {"consistency_from", "consistency_to"}),
      other("/v1/audit/key", "audit_key", "The verifier keys of the signed checkpoints", "proofs", kNoToken,
            &Api::audit_key, Body::json, "AuditKeys"),
      // Personal data: coordinators, auditors and controllers, in the verify lane.
      other("/v1/audit/pack", "audit_pack",
            "The auditor's pack: events 1..at, the signed checkpoint, the totals, to check offline (a tar)", "audit",
            kCoord | kAuditor | kController, &Api::audit_pack, Body::tar, {}, {"pack_at"}),
  };
  for (Route& r : t) {
    std::string_view p = r.pattern;
    std::size_t i = 1;
    while (i <= p.size()) {
      std::size_t j = p.find('/', i);
      if (j == std::string_view::npos) j = p.size();
      r.segments.emplace_back(p.substr(i, j - i));
      i = j + 1;
    }
  }
  return t;
}

}  // namespace

const std::vector<Route>& route_table() {
  static const std::vector<Route> table = make_table();
  return table;
}

}  // namespace pl
