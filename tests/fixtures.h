// What the tests set up, written once: the bodies of the commands that open a
// programme, enrol a mentee, accept a mentor, open a pair and log a session,
// each with named fields whose defaults are the usual test values; the steps
// that send them to a real server (server_process.h), each required to
// succeed; and a call to the service's HTTP handler in process.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "http/service.h"
#include "programme_spec.h"
#include "server_process.h"

namespace pl::test {

// The body of POST /v1/programmes.
json programme_body(const ProgrammeSpec& spec = {});

// A mentee of Olive Cluster in Tunisia.
struct MenteeSpec {
  std::string id = "m1";
  std::string name = "Amina";
  std::string cluster_name = "Olive Cluster";
  std::string sectors = "agrifood";
  std::string country = "TN";
  std::string website = "https://example.org";  // empty: not sent
};
json mentee_body(const MenteeSpec& spec = {});

// An application (accepted, it makes mentor `mentor`): a cluster manager from
// Italy with eight years of strategy, quoting EUR 3,000.
struct MentorSpec {
  std::string application = "a1";
  std::string mentor = "e1";
  std::string applicant_name = "Luca";
  std::string organisation = "Cluster Italia";
  std::string email = "l@example.org";
  std::string country = "IT";
  std::string profile = "cluster_manager";
  int years_experience = 8;
  std::vector<std::string> knowledge_areas = {"strategy"};
  std::int64_t quotation_cents = 300000;
};
json application_body(const MentorSpec& spec = {});

// A pair over 2026 on strategy, for a fee of EUR 3,000.
struct PairSpec {
  std::string id = "p1";
  std::string mentor = "e1";
  std::string mentee = "m1";
  std::string start_date = "2026-01-01";
  std::string end_date = "2026-12-31";
  std::int64_t fee_cents = 300000;
  std::vector<std::string> topics = {"strategy"};
};
json pair_body(const PairSpec& spec = {});

// A remote bilateral session on strategy.
struct SessionSpec {
  std::string id = "s1";
  int minutes = 120;
  std::string date = "2026-03-10";
  std::string summary = "Worked on the plan.";
};
json session_body(const SessionSpec& spec = {});

// The steps over HTTP, as the coordinator; each REQUIREs its 201.
void open_programme(const Server& s, const ProgrammeSpec& spec = {});
void enrol_mentee(const Server& s, const MenteeSpec& spec = {}, const std::string& programme = "p");
// Submits the application and accepts it.
void accept_mentor(const Server& s, const MentorSpec& spec = {}, const std::string& programme = "p");
void add_pair(const Server& s, const PairSpec& spec = {}, const std::string& programme = "p");

// A pair from nothing: the programme (unless it is there already), a mentee, a
// mentor, and the active pair between the two (its `mentee` and `mentor` are
// those enrolled and accepted here).
struct PairSetup {
  ProgrammeSpec programme = {};
  bool open_programme = true;
  MenteeSpec mentee = {};
  MentorSpec mentor = {};
  PairSpec pair = {};
};
// By default: programme "p", mentee m1, mentor e1 (application a1) and the
// pair p1, 2026-01-01 to 2026-12-31, fee EUR 3,000.
void set_up_pair(const Server& s, const PairSetup& setup = {});

// A token for another mentor, `mentor_id`, named `name`; waits until the
// running server has read it (it looks at the tokens file once a second).
std::string add_mentor_token(const Server& s, const std::string& name, const std::string& mentor_id);

// One request to a service's HTTP handler, in process.
struct ServiceCall {
  std::string method = "GET";
  std::string target = "/";
  json body = nullptr;     // null: no body
  std::string token = {};  // sent as "Bearer <token>"
  std::string idempotency_key = {};
  std::chrono::seconds wait{30};
  // Runs where the answer is given, before the caller sees it.
  std::function<void(const HttpResponse&)> at_answer = nullptr;
};
// The answer, or none if it did not come within `call.wait`.
std::optional<HttpResponse> call_service(Service& service, const ServiceCall& call);

// A service in process over a new data directory (DIR/data), with the token
// of a coordinator ("coord") in DIR/tokens.json: what the tests that call
// the service's HTTP handler without a socket start from. Stopped when it
// goes.
class InProcess {
 public:
  // `options` as given (the store's environment, sync, as-of options...),
  // with the data directory and the tokens file set here; a token for each
  // of `others` too.
  explicit InProcess(ServiceOptions options = {}, const std::vector<Principal>& others = {});
  ~InProcess();
  InProcess(const InProcess&) = delete;
  InProcess& operator=(const InProcess&) = delete;
  Service& service() { return *service_; }
  // The token of `name`: "coord", or one of `others`.
  const std::string& token(const std::string& name = "coord") const { return tokens_.at(name); }
  // A call with the coordinator's token unless `call.token` gives one. An
  // answer that does not come within `call.wait` fails the test case
  // (FAIL_CHECK) and is given as status 0: not for calls on other threads.
  HttpResponse call(ServiceCall call);

 private:
  TempDir dir_;
  std::map<std::string, std::string> tokens_;
  std::unique_ptr<Service> service_;
};

}  // namespace pl::test
