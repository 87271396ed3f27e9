#include "fixtures.h"

#include <doctest/doctest.h>

#include <future>
#include <memory>
#include <thread>

namespace pl::test {

json programme_body(const ProgrammeSpec& spec) {
  return {{"id", spec.id},
          {"name", spec.name},
          {"coordinator", spec.coordinator},
          {"hour_cap_minutes", spec.hour_cap_minutes},
          {"fee_cap_cents", spec.fee_cap_cents},
          {"min_months", spec.min_months},
          {"max_months", spec.max_months},
          {"application_deadline", spec.application_deadline},
          {"cofunding_bp", spec.cofunding_bp},
          {"mentee_countries", spec.mentee_countries},
          {"mentor_countries", spec.mentor_countries},
          {"knowledge_areas", spec.knowledge_areas},
          {"expert_min_years", spec.expert_min_years},
          {"max_tours_per_mentee", spec.max_tours_per_mentee}};
}

json mentee_body(const MenteeSpec& spec) {
  json body = {{"id", spec.id},
               {"name", spec.name},
               {"cluster_name", spec.cluster_name},
               {"sectors", spec.sectors},
               {"country", spec.country}};
  if (!spec.website.empty()) body["website"] = spec.website;
  return body;
}

json application_body(const MentorSpec& spec) {
  return {{"id", spec.application},
          {"applicant_name", spec.applicant_name},
          {"organisation", spec.organisation},
          {"email", spec.email},
          {"country", spec.country},
          {"profile", spec.profile},
          {"years_experience", spec.years_experience},
          {"knowledge_areas", spec.knowledge_areas},
          {"quotation_cents", spec.quotation_cents}};
}

json pair_body(const PairSpec& spec) {
  return {{"id", spec.id},
          {"mentor_id", spec.mentor},
          {"mentee_id", spec.mentee},
          {"start_date", spec.start_date},
          {"end_date", spec.end_date},
          {"agreed_fee_cents", spec.fee_cents},
          {"topics", spec.topics}};
}

json session_body(const SessionSpec& spec) {
  return {{"id", spec.id},         {"date", spec.date},      {"minutes", spec.minutes}, {"mode", "remote"},
          {"format", "bilateral"}, {"topics", {"strategy"}}, {"summary", spec.summary}};
}

namespace {

// Posts `body` as the coordinator and requires it to be taken.
void created(const Server& s, const std::string& target, const json& body) {
  Resp r = s.post(target, body);
  REQUIRE_MESSAGE(r.status == 201, target << ": " << r.body);
}

}  // namespace

void open_programme(const Server& s, const ProgrammeSpec& spec) { created(s, "/v1/programmes", programme_body(spec)); }

void enrol_mentee(const Server& s, const MenteeSpec& spec, const std::string& programme) {
  created(s, "/v1/programmes/" + programme + "/mentees", mentee_body(spec));
}

void accept_mentor(const Server& s, const MentorSpec& spec, const std::string& programme) {
  created(s, "/v1/programmes/" + programme + "/applications", application_body(spec));
  created(s, "/v1/applications/" + spec.application + "/accept", {{"mentor_id", spec.mentor}});
}

void add_pair(const Server& s, const PairSpec& spec, const std::string& programme) {
  created(s, "/v1/programmes/" + programme + "/pairs", pair_body(spec));
}

void set_up_pair(const Server& s, const PairSetup& setup) {
  if (setup.open_programme) open_programme(s, setup.programme);
  enrol_mentee(s, setup.mentee, setup.programme.id);
  accept_mentor(s, setup.mentor, setup.programme.id);
  PairSpec pair = setup.pair;
  pair.mentee = setup.mentee.id;
  pair.mentor = setup.mentor.mentor;
  add_pair(s, pair, setup.programme.id);
}

std::string add_mentor_token(const Server& s, const std::string& name, const std::string& mentor_id) {
  std::string out;
  REQUIRE(run_ledger({"token", "add", "--data", s.data(), "--name", name, "--role", "mentor", "--mentor-id", mentor_id},
                     &out) == 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  return out.substr(0, out.find('\n'));
}

std::optional<HttpResponse> call_service(Service& service, const ServiceCall& call) {
  HttpRequest req;
  req.method = call.method;
  req.target = call.target;
  req.authorization = "Bearer " + call.token;
  req.idempotency_key = call.idempotency_key;
  if (!call.body.is_null()) req.body = call.body.dump();
  auto answer = std::make_shared<std::promise<HttpResponse>>();
  auto got = answer->get_future();
  service.handle(std::move(req), [answer, at_answer = call.at_answer](HttpResponse r) {
    if (at_answer) at_answer(r);
    answer->set_value(std::move(r));
  });
  if (got.wait_for(call.wait) != std::future_status::ready) return std::nullopt;
  return got.get();
}

InProcess::InProcess(ServiceOptions options, const std::vector<Principal>& others) {
  std::string tokens = dir_.sub("tokens.json");
  std::vector<Principal> who = {Principal{"coord", "coordinator", ""}};
  who.insert(who.end(), others.begin(), others.end());
  for (const Principal& p : who) {
    auto token = Tokens::add(tokens, p);
    REQUIRE_MESSAGE(token.is_ok(), token.status().to_string());
    tokens_[p.name] = *token;
  }
  options.data_dir = dir_.sub("data");
  options.tokens_file = tokens;
  auto opened = Service::open(options);
  REQUIRE_MESSAGE(opened.is_ok(), opened.status().to_string());
  service_ = std::move(opened).value();
}

InProcess::~InProcess() {
  if (service_) service_->stop();
}

HttpResponse InProcess::call(ServiceCall call) {
  if (call.token.empty()) call.token = token();
  std::optional<HttpResponse> answer = call_service(*service_, call);
  // An answer that never comes is a failure, not a hung suite.
  if (answer) return std::move(*answer);
  FAIL_CHECK("no answer to " << call.method << " " << call.target);
  HttpResponse none;
  none.status = 0;
  return none;
}

}  // namespace pl::test
