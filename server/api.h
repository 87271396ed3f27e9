// The HTTP API inside the service: the request context, the route table
// (server/routes.cc) and the handlers, one file per resource:
//   routes.cc          the table of every endpoint, the router, as-of reads, commands
//   api_site.cc        outside /v1: health, metrics, the dashboard's files, /v1/me
//   api_programmes.cc  programmes, mentees, applications, budget, hours, tours, meetings
//   api_pairs.cc       pairs and invoices
//   api_audit.cc       the log, streams, the live feed, head, verify, export
// Internal to server/: the Service is its only user.
#pragma once

#include <functional>
#include <initializer_list>
#include <map>
#include <optional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "server/service.h"
#include "server/views_json.h"

namespace pl {

// The HTTP status of a failure kind (400, 404, 409, 422, 500, 503).
int http_status(const Status& st);
HttpResponse json_response(int status, const nlohmann::json& body);
// {"error": {"code", "message", "details"}}
HttpResponse error_response(int status, const std::string& code, const std::string& message,
                            nlohmann::json details = nlohmann::json::object());
HttpResponse error_response(const Status& st);
// Percent-decoding; false on a malformed escape.
bool url_decode(std::string_view in, std::string* out, bool plus_is_space);
// A decimal whole number of at most 19 digits; false otherwise.
bool parse_u64(const std::string& s, std::uint64_t* out);

class Api {
 public:
  explicit Api(Service& s) : s_(s) {}

  struct Ctx {
    HttpRequest req;
    std::string path;
    std::map<std::string, std::string> query;
    std::map<std::string, std::string> params;
    Principal who;
    std::string route;
    std::function<void(HttpResponse)> done;
    Service* svc = nullptr;

    void reply(HttpResponse r) {
      r.route = route;
      done(std::move(r));
    }
    void fail(const Status& st) {
      // A read that failed under the ledger makes /healthz say so.
      // (A command refused by a failing disk is not: the writer reopens the
      // store and says so in its answer.)
      bool read = req.method == "GET" || req.method == "HEAD";
      if (svc && (st.is(Kind::corruption) || (read && st.is(Kind::io_error)))) svc->mark_unhealthy(st.message());
      reply(error_response(st));
    }
    bool is_mentor() const { return who.role == "mentor"; }
    // What a mentor may see in `rm`; nullopt for every other role (no limit).
    std::optional<MentorScope> mentor_scope(const ReadModels& rm) const {
      if (!is_mentor()) return std::nullopt;
      return MentorScope(rm, who.mentor_id);
    }
    // The mentor a stream is cut for ("-": a mentor token without an id sees
    // nothing); empty for every other role.
    std::string stream_mentor() const {
      if (!is_mentor()) return {};
      return who.mentor_id.empty() ? "-" : who.mentor_id;
    }
    void forbid_mentor(const std::string& what) {
      reply(error_response(403, "forbidden", "mentor " + who.mentor_id + " may read its own pairs and what belongs to them only; " + what + " is not"));
    }
    void fail(int status, const std::string& code, const std::string& message) {
      reply(error_response(status, code, message));
    }
    std::string q(const std::string& k) const {
      auto it = query.find(k);
      return it == query.end() ? std::string() : it->second;
    }
    bool has(const std::string& k) const { return query.count(k) > 0; }
  };
  using Handler = void (Api::*)(Ctx&);
  struct Route {
    std::string method;
    std::vector<std::string> segments;
    std::string pattern;
    Handler handler;
    bool open = false;  // no token needed
  };

  void add(std::string method, std::string pattern, Handler h, bool open = false) {
    Route r;
    r.method = std::move(method);
    r.pattern = pattern;
    std::size_t i = 1;
    while (i <= pattern.size()) {
      std::size_t j = pattern.find('/', i);
      if (j == std::string::npos) j = pattern.size();
      r.segments.push_back(pattern.substr(i, j - i));
      i = j + 1;
    }
    r.handler = h;
    r.open = open;
    routes_.push_back(std::move(r));
  }

  void init();
  void handle(HttpRequest req, std::function<void(HttpResponse)> done);

 private:
  // --- plumbing
  void with_models(Ctx& c, std::function<void(Ctx&, const ReadModels&, std::int32_t today)> fn);
  void command(Ctx& c, const std::string& name, std::initializer_list<const char*> roles, bool own_mentor = false);
  bool mentor_may_read(Ctx& c, const ReadModels& rm, const PairState& p);
  static const MenteeState* readable_mentee(Ctx& c, const ReadModels& rm);

  // --- outside /v1
  void healthz(Ctx& c);
  void metrics(Ctx& c);
  void index(Ctx& c);
  void asset(Ctx& c);
  void me(Ctx& c);
  // --- reads
  void programmes(Ctx& c);
  void programme(Ctx& c);
  void mentees(Ctx& c);
  void mentee(Ctx& c);
  void caps(Ctx& c);
  void applications(Ctx& c);
  void application(Ctx& c);
  void pairs(Ctx& c);
  void pair(Ctx& c);
  void invoice(Ctx& c);
  void budget_view(Ctx& c);
  void hours_view(Ctx& c);
  void tours(Ctx& c);
  void meetings(Ctx& c);
  void events(Ctx& c);
  void stream(Ctx& c);
  void live(Ctx& c);
  void head(Ctx& c);
  void verify(Ctx& c);
  void export_log(Ctx& c);
  // --- writes
  void open_programme(Ctx& c) { command(c, "open_programme", {"coordinator"}); }
  void amend_rules(Ctx& c) { command(c, "amend_rules", {"coordinator"}); }
  void close_programme(Ctx& c) { command(c, "close_programme", {"coordinator"}); }
  void hold_joint_meeting(Ctx& c) { command(c, "hold_joint_meeting", {"coordinator"}); }
  void enrol_mentee(Ctx& c) { command(c, "enrol_mentee", {"coordinator"}); }
  void withdraw_mentee(Ctx& c) { command(c, "withdraw_mentee", {"coordinator"}); }
  void submit_application(Ctx& c) { command(c, "submit_application", {"coordinator"}); }
  void accept_application(Ctx& c) { command(c, "accept_application", {"coordinator"}); }
  void reject_application(Ctx& c) { command(c, "reject_application", {"coordinator"}); }
  void assign_pair(Ctx& c) { command(c, "assign_pair", {"coordinator"}); }
  void change_pair_period(Ctx& c) { command(c, "change_pair_period", {"coordinator"}); }
  void log_session(Ctx& c) { command(c, "log_session", {"coordinator"}, true); }
  void void_session(Ctx& c) { command(c, "void_session", {"coordinator"}); }
  void submit_report(Ctx& c) { command(c, "submit_report", {"coordinator"}, true); }
  void complete_pair(Ctx& c) { command(c, "complete_pair", {"coordinator"}); }
  void terminate_pair(Ctx& c) { command(c, "terminate_pair", {"coordinator"}); }
  void issue_invoice(Ctx& c) { command(c, "issue_invoice", {"finance"}); }
  void pay_invoice(Ctx& c) { command(c, "pay_invoice", {"finance"}); }
  void cancel_invoice(Ctx& c) { command(c, "cancel_invoice", {"finance"}); }
  void issue_credit_note(Ctx& c) { command(c, "issue_credit_note", {"finance"}); }
  void schedule_tour(Ctx& c) { command(c, "schedule_tour", {"coordinator"}); }
  void register_tour_participant(Ctx& c) { command(c, "register_tour_participant", {"coordinator"}); }
  void cancel_tour_participant(Ctx& c) { command(c, "cancel_tour_participant", {"coordinator"}); }

  Service& s_;
  std::vector<Route> routes_;
};

}  // namespace pl
