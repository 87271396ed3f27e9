// The route table and the plumbing every handler shares: routing, tokens,
// as-of reads, and commands.
#include "http/routes.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "base/dates.h"
#include "domain/commands.h"
#include "domain/decide.h"
#include "http/api.h"
#include "http/json_commands.h"
#include "read/replay.h"

namespace pl {

using nlohmann::json;

namespace {
constexpr std::size_t kAsOfCacheSize = 4;   // as-of read models kept for reuse
constexpr std::size_t kMaxQueuedAsOf = 64;  // as-of reads waiting; more: 503 busy
// Evidence work waiting (a piece to store, an upload to finish, a document to
// read): each upload has one at a time. More: 503 busy.
constexpr std::size_t kMaxQueuedEvidence = 1024;
}  // namespace

Api::Api(Service& service, Parts parts)
    : s_(service),
      parts_(std::move(parts)),
      asof_models_(std::make_unique<AsOfModels>(*parts_.store, parts_.asof)),
      asof_worker_(std::make_unique<Worker>(kMaxQueuedAsOf)),
      verify_worker_(std::make_unique<Worker>(1)),
      evidence_worker_(std::make_unique<Worker>(kMaxQueuedEvidence)) {
  asof_worker_->post([this] { prepare_snapshots(nullptr, 0); });
  quota_ = std::make_unique<EvidenceQuota>(parts_.quota);
  if (Status st = quota_->load(*parts_.store); !st) spdlog::error("evidence quotas: {}", st.message());
}

Api::~Api() { stop(); }

void Api::stop() {
  asof_worker_->stop();
  verify_worker_->stop();
  evidence_worker_->stop();
}

int http_status(const Status& st) {
  switch (st.kind()) {
    case Kind::ok:
      return 200;
    case Kind::invalid_argument:
      return 400;
    case Kind::not_found:
      return 404;
    case Kind::conflict:
      return 409;
    case Kind::rule:
      return 422;
    case Kind::forbidden:
      return 403;
    case Kind::io_error:
    case Kind::unavailable:
      return 503;
    case Kind::corruption:
    case Kind::internal:
      return 500;
  }
  return 500;
}

HttpResponse json_response(int status, const json& body) {
  HttpResponse r;
  r.status = status;
  r.body = text_of(body);
  return r;
}

HttpResponse text_response(int status, std::string body) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

HttpResponse error_response(int status, const std::string& code, const std::string& message, json details) {
  HttpResponse r =
      json_response(status, {{"error", {{"code", code}, {"message", message}, {"details", std::move(details)}}}});
  // Every 503 busy says when to come back (RFC 9110 §10.2.3), as a full
  // live feed does.
  if (status == 503 && code == "busy") r.headers.emplace_back("Retry-After", kBusyRetryAfter);
  return r;
}

HttpResponse error_response(const Status& st) { return error_response(http_status(st), st.reason(), st.message()); }

int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Percent-decoding; false on a malformed escape.
bool url_decode(std::string_view in, std::string* out, bool plus_is_space) {
  out->clear();
  for (std::size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '%') {
      if (i + 2 >= in.size()) return false;
      int h = hexval(in[i + 1]), l = hexval(in[i + 2]);
      if (h < 0 || l < 0) return false;
      out->push_back(static_cast<char>(h * 16 + l));
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out->push_back(' ');
    } else {
      out->push_back(c);
    }
  }
  return true;
}

bool parse_u64(const std::string& s, std::uint64_t* out) {
  if (s.empty() || s.size() > 19) return false;
  std::uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<std::uint64_t>(c - '0');
  }
  *out = v;
  return true;
}

unsigned role_bit(std::string_view role) {
  if (role == "coordinator") return kCoordinator;
  if (role == "finance") return kFinance;
  if (role == "auditor") return kAuditor;
  if (role == "mentor") return kMentor;
  if (role == "controller") return kController;
  return 0;
}

std::vector<std::string> role_names(unsigned roles) {
  std::vector<std::string> out;
  for (const char* r : {"coordinator", "finance", "auditor", "controller", "mentor"})
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

void Api::handle(HttpRequest req, std::function<void(HttpResponse)> done) {
  Ctx c;
  c.svc = &s_;
  c.done = std::move(done);
  c.req = std::move(req);
  const Route* match = route(c);
  if (!match || !authorize(c)) return;
  if (match->streamed) return stream_whole(c);
  if (match->command) return command(c);
  // A mentor's reach on a read without as-of (as-of reads check it against
  // the models they read, in with_models).
  if (c.is_mentor() && match->mentor == MentorLimit::own && !match->as_of &&
      !mentor_owns(c, *parts_.projector->snapshot()))
    return;
  (this->*(match->read))(c);
}

std::optional<StreamedBody> Api::open_stream(const HttpRequest& head) {
  std::optional<HttpResponse> answered;
  Ctx c;
  c.svc = &s_;
  c.done = [&answered](HttpResponse r) { answered = std::move(r); };
  c.req = head;
  const Route* match = route(c);
  // A path the table does not have, or a route that takes its body whole:
  // handle() answers it, with its body.
  if (!match || !match->streamed) return std::nullopt;
  StreamedBody out;
  out.body_limit = match->body_limit;
  if (authorize(c)) {
    out = (this->*(match->open))(c);
    out.body_limit = match->body_limit;
  }
  if (!out.sink) out.refusal = answered ? std::move(*answered) : error_response(500, "internal", "no answer");
  out.refusal.route = c.route;
  return out;
}

void Api::stream_whole(Ctx& c) {
  // A streamed route's request with its body read whole (a caller without
  // the HTTP layer): the same sink, given the body in one piece.
  StreamedBody sb = (this->*(c.spec->open))(c);
  if (!sb.sink) return;  // the opener answered
  if (c.req.body.size() > c.spec->body_limit)
    return c.fail(413, "payload_too_large",
                  "the body is larger than " + std::to_string(c.spec->body_limit >> 20) + " MiB");
  std::shared_ptr<BodySink> sink = std::move(sb.sink);
  auto done = c.done;
  sink->write(std::move(c.req.body), [sink, done](std::optional<HttpResponse> refused) {
    if (refused) return done(std::move(*refused));
    sink->finish([sink, done](HttpResponse r) { done(std::move(r)); });
  });
}

const Route* Api::route(Ctx& c) {
  std::string_view target = c.req.target;
  std::size_t qpos = target.find('?');
  std::string_view raw_path = target.substr(0, qpos);
  if (qpos != std::string_view::npos) {
    std::string_view qs = target.substr(qpos + 1);
    while (!qs.empty()) {
      std::size_t amp = qs.find('&');
      std::string_view kv = qs.substr(0, amp);
      std::size_t eq = kv.find('=');
      std::string k, v;
      if (!url_decode(kv.substr(0, eq), &k, true) ||
          !url_decode(eq == std::string_view::npos ? std::string_view() : kv.substr(eq + 1), &v, true))
        return c.fail(400, "bad_request", "the query string has a malformed percent escape"), nullptr;
      if (!k.empty()) c.query[k] = v;
      if (amp == std::string_view::npos) break;
      qs = qs.substr(amp + 1);
    }
  }
  // Split and decode the path.
  std::vector<std::string> segs;
  if (raw_path.empty() || raw_path[0] != '/')
    return c.fail(400, "bad_request", "the request target must start with /"), nullptr;
  std::size_t i = 1;
  while (i <= raw_path.size()) {
    std::size_t j = raw_path.find('/', i);
    if (j == std::string_view::npos) j = raw_path.size();
    std::string seg;
    if (!url_decode(raw_path.substr(i, j - i), &seg, false))
      return c.fail(400, "bad_request", "the path has a malformed percent escape"), nullptr;
    segs.push_back(std::move(seg));
    i = j + 1;
  }
  if (segs.size() > 1 && segs.back().empty()) segs.pop_back();  // a trailing slash
  c.path = std::string(raw_path);

  const Route* match = nullptr;
  std::vector<std::string> allowed;
  auto is_param = [](const std::string& p) { return p.size() > 2 && p.front() == '{' && p.back() == '}'; };
  for (const Route& r : route_table()) {
    if (r.segments.size() != segs.size()) continue;
    bool ok = true;
    for (std::size_t k = 0; k < segs.size() && ok; ++k) {
      const std::string& p = r.segments[k];
      ok = is_param(p) ? !segs[k].empty() : p == segs[k];
    }
    if (!ok) continue;
    if (r.method != c.req.method && !(r.method == "GET" && c.req.method == "HEAD")) {
      allowed.emplace_back(r.method);
      continue;
    }
    match = &r;
    // The path's values are taken for the matching row only.
    for (std::size_t k = 0; k < segs.size(); ++k)
      if (is_param(r.segments[k])) c.params[r.segments[k].substr(1, r.segments[k].size() - 2)] = std::move(segs[k]);
    break;
  }
  if (!match) {
    if (!allowed.empty()) {
      c.route = "method_not_allowed";
      std::string allow;
      for (auto& m : allowed) allow += (allow.empty() ? "" : ", ") + m;
      HttpResponse r =
          error_response(405, "method_not_allowed", c.req.method + " is not allowed on " + c.path + "; use " + allow);
      r.headers.emplace_back("Allow", allow);
      c.reply(std::move(r));
      return nullptr;
    }
    c.route = "not_found";
    c.fail(404, "not_found", "no such path: " + c.path);
    return nullptr;
  }
  c.spec = match;
  c.route = std::string(match->method) + " " + std::string(match->pattern);
  return match;
}

bool Api::authorize(Ctx& c) {
  const Route* match = c.spec;
  if (match->roles != kNoToken) {
    std::string_view auth = c.req.authorization;
    constexpr std::string_view kBearer = "Bearer ";
    if (auth.size() <= kBearer.size() || auth.substr(0, kBearer.size()) != kBearer) {
      HttpResponse r = error_response(401, "unauthorized", "a token is needed: Authorization: Bearer <token>");
      r.headers.emplace_back("WWW-Authenticate", "Bearer");
      c.reply(std::move(r));
      return false;
    }
    auto who = s_.authenticate(auth.substr(kBearer.size()));
    if (!who) {
      HttpResponse r = error_response(401, "unauthorized", "the token is not known");
      r.headers.emplace_back("WWW-Authenticate", "Bearer error=\"invalid_token\"");
      c.reply(std::move(r));
      return false;
    }
    c.who = std::move(*who);
    if (!(match->roles & role_bit(c.who.role))) {
      std::string may;
      for (auto& r : role_names(match->roles & ~kMentor)) may += (may.empty() ? "" : ", ") + r;
      if (match->roles & kMentor) may += match->mentor == MentorLimit::own ? ", or the pair's own mentor" : ", mentor";
      if (match->command) parts_.metrics->command("forbidden");
      c.fail(403, "forbidden",
             "the role " + c.who.role + " may not " + std::string(match->operation) + " (" + may + ")");
      return false;
    }
  }
  return true;
}

// Answers from the published read models, or, for ?as_of=<instant> or
// ?at=<position> before them, from a replay up to that point (on the
// background thread; the latest few are cached).
void Api::with_models(Ctx& c, std::function<void(Ctx&, const ReadModels&, std::int32_t)> fn, AsOfFirst first) {
  AsOf at;
  bool asked = false;
  // A mentor reaches what the path names only if it is its own, as of the
  // models the answer is read from.
  auto answer = [this](Ctx& c2, const ReadModels& rm, std::int32_t today, auto& then) {
    if (c2.is_mentor() && c2.spec->mentor == MentorLimit::own && c2.spec->as_of && !mentor_owns(c2, rm)) return;
    then(c2, rm, today);
  };
  if (!c.spec->as_of) return answer(c, *parts_.projector->snapshot(), day_of(parts_.clock()), fn);
  if (c.has("at")) {
    if (!parse_u64(c.q("at"), &at.position) || at.position == 0)
      return c.fail(400, "bad_request", "at must be a position, a whole number from 1");
    asked = true;
  }
  if (c.has("as_of")) {
    if (asked) return c.fail(400, "bad_request", "give as_of or at, not both");
    auto t = parse_instant(c.q("as_of"));
    if (!t)
      return c.fail(400, "bad_request",
                    "as_of must be an RFC 3339 instant with an offset, as 2019-03-15T23:59:59+01:00");
    at.recorded_at_us = *t;
    at.has_time = true;
    asked = true;
  }
  auto snap = parts_.projector->snapshot();
  std::int32_t now_day = day_of(parts_.clock());
  if (!asked) return answer(c, *snap, now_day, fn);
  std::int32_t today = at.has_time ? day_of(at.recorded_at_us) : now_day;
  bool latest = at.has_time ? at.recorded_at_us >= snap->recorded_at_us() && snap->position() == s_.published_position()
                            : at.position >= snap->position();
  if (latest) return answer(c, *snap, at.has_time ? today : day_of(snap->recorded_at_us()), fn);

  // The programme the path names, directly or through its entity: its views
  // are answered from that programme's models alone (read/asof.h).
  std::string programme = programme_of(c, *snap);
  auto shared = std::make_shared<Ctx>(std::move(c));
  auto job = [this, shared, at, today, answer, programme, fn = std::move(fn), first = std::move(first)]() mutable {
    std::shared_ptr<const ReadModels> rm;
    if (!programme.empty()) {
      std::uint64_t position = at.position;
      if (at.has_time) {
        auto p = parts_.store->position_at(at.recorded_at_us);
        if (!p) return shared->fail(p.status());
        position = at.position ? std::min(at.position, *p) : *p;
      }
      if (first) {
        // The day the answer is of: the instant asked, or the recording time
        // of the event at the position asked (as the models would give it).
        std::int32_t day = today;
        if (!at.has_time) {
          auto ev = parts_.store->read_one(position);
          if (!ev) return shared->fail(ev.status());
          day = day_of(ev->view().recorded_at_us());
        }
        if (first(*shared, programme, position, day)) return;
      }
      if (position == 0) {
        rm = std::make_shared<const ReadModels>();
      } else {
        auto r = asof_models_->at(programme, position);
        // A programme index not complete (a store not yet back-filled):
        // the replay of the whole log below answers.
        if (!r && !r.status().is(Kind::unavailable)) return shared->fail(r.status());
        if (r) rm = std::move(r).value();
      }
      if (rm) return answer(*shared, *rm, at.has_time ? today : day_of(rm->recorded_at_us()), fn);
    }
    std::uint64_t key = at.has_time ? 0 : at.position;
    if (key) {
      std::lock_guard lock(asof_mu_);
      for (auto& [k, v] : asof_cache_)
        if (k == key) rm = v;
    }
    if (!rm) {
      auto r = replay<ReadModels>(*parts_.store, at);
      if (!r) return shared->fail(r.status());
      rm = std::make_shared<const ReadModels>(std::move(r).value());
      std::lock_guard lock(asof_mu_);
      asof_cache_.emplace_back(rm->position(), rm);
      if (asof_cache_.size() > kAsOfCacheSize) asof_cache_.erase(asof_cache_.begin());
    }
    answer(*shared, *rm, at.has_time ? today : day_of(rm->recorded_at_us()), fn);
  };
  if (!asof_worker_->post(std::move(job)))
    shared->fail(503, "busy", "too many as-of reads are waiting; retry in a moment");
}

void Api::prepare_snapshots(std::shared_ptr<std::vector<std::string>> programmes, std::size_t i) {
  if (!programmes) {
    auto list = asof_models_->worth_preparing();
    if (!list) return spdlog::warn("as-of snapshots not prepared: {}", list.status().to_string());
    programmes = std::make_shared<std::vector<std::string>>(std::move(list).value());
  }
  if (i >= programmes->size()) return;
  if (Status st = asof_models_->prepare_one((*programmes)[i]); !st)
    return spdlog::warn("as-of snapshots of {} not prepared: {}", (*programmes)[i], st.to_string());
  spdlog::info("as-of budget timeline and snapshots of programme {} ready ({} of {})", (*programmes)[i], i + 1,
               programmes->size());
  asof_worker_->post([this, programmes, i] { prepare_snapshots(programmes, i + 1); });
}

std::string Api::programme_of(const Ctx& c, const ReadModels& rm) {
  // An entity never leaves its programme, so the latest models say which it is.
  const std::string* id = nullptr;
  if ((id = c.param("pid"))) return *id;
  if ((id = c.param("mid"))) {
    const MenteeState* m = State::find(rm.core().mentees(), *id);
    return m ? m->programme_id : std::string();
  }
  if ((id = c.param("aid"))) {
    const ApplicationState* a = State::find(rm.core().applications(), *id);
    return a ? a->programme_id : std::string();
  }
  const PairState* pair = nullptr;
  if ((id = c.param("pair"))) pair = State::find(rm.core().pairs(), *id);
  if ((id = c.param("iid")))
    if (const InvoiceState* inv = State::find(rm.core().invoices(), *id))
      pair = State::find(rm.core().pairs(), inv->pair_id);
  return pair ? pair->programme_id : std::string();
}

bool Api::mentor_owns(Ctx& c, const ReadModels& rm) {
  const std::string& me = c.who.mentor_id;
  // What is not there is not refused here: the handler answers 404.
  bool own = true;
  std::string what;
  if (const std::string* id = c.param("pair")) {
    const PairState* p = State::find(rm.core().pairs(), *id);
    own = !p || p->mentor_id == me, what = "pair " + *id;
  } else if (const std::string* iid = c.param("iid")) {
    const InvoiceState* inv = State::find(rm.core().invoices(), *iid);
    own = !inv || inv->mentor_id == me, what = "invoice " + *iid;
  } else if (const std::string* mid = c.param("mid")) {
    own = !State::find(rm.core().mentees(), *mid) || MentorScope(rm, me).mentees.count(*mid) > 0;
    what = "mentee " + *mid;
  } else if (const std::string* aid = c.param("aid")) {
    const ApplicationState* a = State::find(rm.core().applications(), *aid);
    own = !a || a->mentor_id == me, what = "application " + *aid;
  } else if (const std::string* stream = c.param("stream")) {
    own = Service::mentor_sees_stream(rm, me, *stream), what = "stream " + *stream;
  }
  if (!own) c.forbid_mentor(what);
  return own;
}

void Api::command(Ctx& c) {
  // A mentor's reach first: a body is not looked at for whom it may not write.
  if (c.is_mentor() && c.spec->mentor == MentorLimit::own && !mentor_owns(c, *parts_.projector->snapshot())) {
    parts_.metrics->command("forbidden");
    return;
  }
  if (c.req.body.size() > kMaxBodyBytes) return c.fail(413, "payload_too_large", "the body is larger than 1 MiB");
  json body = json::object();
  std::string_view text = c.req.body;
  if (text.find_first_not_of(" \t\r\n") != std::string_view::npos) {
    auto parsed = parse_json(text);
    if (!parsed) return c.fail(parsed.status());
    body = std::move(parsed).value();
    if (!body.is_object()) return c.fail(400, "bad_request", "the request body must be a JSON object");
  }
  json params = json::object();
  for (auto& [k, v] : c.params) params[k] = v;
  auto cmd = c.spec->command->parse(params, body);
  if (!cmd) {
    parts_.metrics->command(cmd.status().reason());
    return c.fail(cmd.status());
  }
  Status completed = complete_command(*parts_.store, *cmd);
  // A document is attached only by someone who may read it.
  if (auto* attach = std::get_if<AttachEvidence>(&*cmd); completed && attach) completed = may_attach(c, *attach);
  if (!completed) {
    parts_.metrics->command(completed.reason());
    return c.fail(completed);
  }
  std::optional<std::uint64_t> expected;
  if (!c.req.if_match.empty()) {
    std::string v = c.req.if_match;
    if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
    std::uint64_t n = 0;
    if (!parse_u64(v, &n)) return c.fail(400, "bad_request", "If-Match must be a stream version, as \"3\"");
    expected = n;
  }
  const std::string& key = c.req.idempotency_key;
  if (!key.empty() && key.size() > 128)
    return c.fail(400, "bad_request", "Idempotency-Key must be 1 to 128 characters");

  Command command = make_command(std::move(cmd).value(), Actor{c.who.name, c.who.role}, expected);
  command.idempotency_key = key;
  command.fingerprint = sha256(c.req.method + " " + c.path + "\n" + c.req.body);
  command.correlation_id = c.req.request_id;

  // The read models stopped for good: a command would be written but never
  // shown, and its answer would wait for ever. Nothing is written.
  if (auto stopped = s_.publication_failed()) {
    parts_.metrics->command("read_models_stopped");
    return c.fail(503, "read_models_stopped",
                  "the read models stopped at position " + std::to_string(s_.published_position()) + " (" +
                      stopped->message() +
                      "): no command is taken until the ledger is restarted (ledger verify first)");
  }

  auto shared = std::make_shared<Ctx>(std::move(c));
  // Called on the writer's thread (WriterOptions::answer_inline): it only
  // registers the wait; the answer is made once the read models cover it.
  parts_.writer->submit(std::move(command), [this, shared](Result<CommandOutcome> r) {
    std::uint64_t first = 0, last = 0;
    if (r)
      for (auto& e : r->events) {
        first = first == 0 ? e.position : std::min(first, e.position);
        last = std::max(last, e.position);
      }
    // Answer once reads see the write: a client that reads after a 201 sees it.
    // (A refusal wrote nothing: position 0 is covered at once.)
    auto result = std::make_shared<Result<CommandOutcome>>(std::move(r));
    s_.when_published(last, [this, shared, result, first, last](const Status& published) {
      const Result<CommandOutcome>& out = *result;
      if (!published) {
        // Durable, but the read models stopped before they covered it: say
        // so, with its positions, rather than let the client wait (or retry
        // and write it twice).
        parts_.metrics->command("committed_not_visible");
        return shared->fail(503, "committed_not_visible",
                            "committed at position" +
                                (first == last ? " " + std::to_string(last)
                                               : "s " + std::to_string(first) + " to " + std::to_string(last)) +
                                ", durable, but the read models stopped before they showed it (" + published.message() +
                                "): do not send it again");
      }
      if (!out) {
        parts_.metrics->command(out.status().reason());
        return shared->fail(out.status());
      }
      parts_.metrics->command(out->replayed ? "replayed" : "accepted");
      HttpResponse resp;
      resp.status = 201;
      resp.body = outcome_text(*out);
      if (out->replayed) resp.headers.emplace_back("Idempotent-Replayed", "true");
      shared->reply(std::move(resp));
    });
  });
}

}  // namespace pl
