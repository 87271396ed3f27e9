// Samples against the real `ledger serve` and `ledger audit sample`: the seed
// is not known when a sample is asked for (it is the hash of the first event
// after the request), the draw cannot be made again or before that event, a
// second request for the same population is shown beside the first, and the
// draw is made again offline from an auditor's pack.
#include <doctest/doctest.h>

#include <fstream>
#include <string>

#include "fixtures.h"

using namespace pl::test;

namespace {

const std::string kSamples = "/v1/programmes/tnst-2019/samples";

json request_body(const std::string& id, const std::string& reason = "") {
  json body = {{"id", id}, {"population", "invoices_paid"}, {"method", "monetary_unit"}, {"size", 3}};
  if (!reason.empty()) body["reason"] = reason;
  return body;
}

// The event at `position`, as /v1/events serves it.
json event_at(const Server& s, std::uint64_t position) {
  Resp r = s.get("/v1/events?from=" + std::to_string(position) + "&limit=1");
  REQUIRE_MESSAGE(r.status == 200, r.body);
  REQUIRE(r.j()["events"].size() == 1);
  return r.j()["events"][0];
}

std::vector<std::string> request_ids(const json& sample) {
  std::vector<std::string> ids;
  for (const json& r : sample["population_requests"]["requests"]) ids.push_back(r["id"]);
  return ids;
}

}  // namespace

TEST_CASE(
    "a sample's seed is the hash of the first event after its request; a request again is shown; the pack "
    "draws it again") {
  Server s;  // the demonstration: tnst-2019-s1, invoices paid, requested and drawn
  const std::string head_before = s.get("/v1/audit/head").j()["hash"];

  // The request: recorded, nothing drawn, no seed yet. The head's hash the
  // controller could read before asking is not the seed, and nothing from
  // which the seed is made exists yet: the request is the last event.
  Resp asked = s.post(kSamples, request_body("again-1"), "controller");
  REQUIRE_MESSAGE(asked.status == 201, asked.body);
  const std::uint64_t at = s.head();
  json requested = s.get(kSamples + "/again-1").j();
  CHECK(requested["status"] == "requested");
  CHECK(requested["seed"].is_null());
  CHECK(requested["seed_position"].is_null());
  CHECK(requested["items"].empty());
  CHECK(requested["request"]["position"] == at);
  CHECK(requested["request"]["recorded_by"] == "demo-controller");
  CHECK(requested["reason"] == "");
  CHECK(event_at(s, at)["type"] == "eu.programme-ledger.SampleRequested");
  CHECK(s.get("/v1/events?from=" + std::to_string(at + 1)).j()["events"].empty());

  // No draw before an event follows the request.
  Resp early = s.post(kSamples + "/again-1/draw", json::object(), "controller");
  CHECK(early.status == 409);
  CHECK(early.code() == "seed_pending");
  CHECK(s.head() == at);

  // A second request for the same population: it is the event after the
  // first request, so it fixes that one's seed; and each request lists the
  // other.
  Resp again = s.post(kSamples, request_body("again-2", "the same population, asked again"), "controller");
  REQUIRE_MESSAGE(again.status == 201, again.body);
  json seeded = s.get(kSamples + "/again-1").j();
  CHECK(seeded["status"] == "seeded");
  CHECK(seeded["seed_position"] == at + 1);
  CHECK(seeded["seed"] == event_at(s, at + 1)["hash"]);
  CHECK(seeded["seed"] != head_before);
  CHECK(seeded["seed"] != event_at(s, at)["hash"]);

  Resp drawn = s.post(kSamples + "/again-1/draw", json::object(), "controller");
  REQUIRE_MESSAGE(drawn.status == 201, drawn.body);
  json one = s.get(kSamples + "/again-1").j();
  CHECK(one["status"] == "drawn");
  CHECK_FALSE(one["items"].empty());
  CHECK(one["seed"] == seeded["seed"]);
  CHECK(one["population_sha256"] == requested["population_sha256"]);
  // Every request for invoices paid in the programme: the demonstration's,
  // and both of these, the same listing each time.
  CHECK(one["population_requests"]["count"] == 3);
  CHECK(request_ids(one) == std::vector<std::string>{"tnst-2019-s1", "again-1", "again-2"});
  for (const json& r : one["population_requests"]["requests"]) CHECK(r["same_listing"] == true);
  json two = s.get(kSamples + "/again-2").j();
  CHECK(two["status"] == "seeded");  // the draw of again-1 followed it
  CHECK(two["reason"] == "the same population, asked again");
  CHECK(two["population_requests"] == one["population_requests"]);
  CHECK(one["population_requests"]["requests"][1]["drawn_position"] == s.head());
  CHECK(one["population_requests"]["requests"][2]["drawn_position"].is_null());
  // The list answers the same.
  json list = s.get(kSamples).j()["samples"];
  REQUIRE(list.size() == 3);
  CHECK(list[1] == one);

  // Drawn once only.
  Resp twice = s.post(kSamples + "/again-1/draw", json::object(), "controller");
  CHECK(twice.status == 409);
  CHECK(twice.code() == "sample_drawn");

  // Offline: the pack of the log, and `ledger audit sample` draws again-1
  // from the events, with the same seed and selection, and lists the
  // requests of its population (again-2 not drawn).
  Resp pack = request(s.port, "GET", "/v1/audit/pack", "", {{"Authorization", "Bearer " + s.tokens.at("auditor")}});
  REQUIRE(pack.status == 200);
  std::string file = s.dir().sub("pack.tar");
  {
    std::ofstream out(file, std::ios::binary);
    out << pack.body;
  }
  std::string out;
  REQUIRE_MESSAGE(
      run_ledger({"audit", "sample", file, "--key", current_verifier(s.port), "--sample", "again-1"}, &out, true) == 0,
      out);
  json redrawn = json::parse(out);
  REQUIRE(redrawn.size() == 1);
  CHECK(redrawn[0]["matches_the_event"] == true);
  CHECK(redrawn[0]["seed"] == one["seed"]);
  CHECK(redrawn[0]["seed_position"] == at + 1);
  CHECK(redrawn[0]["request_position"] == at);
  CHECK(redrawn[0]["selection"] == one["items"]);
  CHECK(redrawn[0]["population_requests"]["count"] == 3);
  CHECK(redrawn[0]["population_requests"]["requests"][2]["id"] == "again-2");
  CHECK(redrawn[0]["population_requests"]["requests"][2]["drawn_position"].is_null());
}

TEST_CASE("a sample request is refused as a draw was: size, population, method, an id taken") {
  Server s;
  auto refused = [&](const json& body, const std::string& code) {
    Resp r = s.post(kSamples, body, "controller");
    CHECK_MESSAGE(r.code() == code, r.body);
  };
  json big = request_body("x-1");
  big["size"] = 100000;
  refused(big, "sample_too_large");
  json sessions = request_body("x-2");
  sessions["population"] = "sessions";
  refused(sessions, "method_not_applicable");
  refused(request_body("tnst-2019-s1"), "conflict");
  CHECK(s.post(kSamples + "/nope/draw", json::object(), "controller").status == 404);
  CHECK(s.post(kSamples, request_body("x-3"), "finance").status == 403);
}
