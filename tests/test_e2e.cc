// End to end: the real `ledger serve` driven over HTTP on loopback.
#include <doctest/doctest.h>

#include <atomic>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <random>
#include <set>

#include "base/build_paths.h"
#include "fixtures.h"
#include "log/merkle.h"
#include "log/note.h"

using namespace pl::test;
namespace note = pl::note;
namespace merkle = pl::merkle;
using pl::Hash;

namespace {

// A programme "p" with mentee m1, mentor e1 (from application a1) and the
// active pair p1 between them, 2026-01-01 to 2026-12-31, fee 3,000.00.
void setup(const Server& s) { set_up_pair(s); }

}  // namespace

TEST_CASE("every endpoint answers, over a fresh programme") {
  Server s(false);
  setup(s);
  CHECK(request(s.port, "GET", "/healthz").j()["status"] == "ok");
  CHECK(request(s.port, "GET", "/metrics").body.find("ledger_head_position") != std::string::npos);

  Resp w = s.post("/v1/pairs/p1/sessions", session_body({.id = "s1"}));
  REQUIRE(w.status == 201);
  json ev = w.j()["events"][0];
  CHECK(ev["type"] == "SessionLogged");
  CHECK(ev["stream"] == "pair-p1");
  CHECK(ev["hash"].get<std::string>().size() == 64);
  CHECK(s.post("/v1/pairs/p1/sessions", session_body({.id = "s2", .minutes = 60})).status == 201);
  CHECK(s.post("/v1/pairs/p1/sessions/s2/void", {{"reason", "logged twice"}}).status == 201);
  CHECK(s.post("/v1/pairs/p1/period", {{"end_date", "2026-11-30"}, {"reason", "holidays"}}).status == 201);
  CHECK(s.post("/v1/pairs/p1/invoices",
               {{"id", "i1"},
                {"number", "INV-1"},
                {"issue_date", "2026-04-01"},
                {"net_cents", 150000},
                {"vat_cents", 30000}},
               "finance")
            .status == 201);
  CHECK(s.post("/v1/invoices/i1/payments", {{"paid_date", "2026-04-20"}, {"amount_cents", 100000}}, "finance").status ==
        201);
  CHECK(s.post("/v1/invoices/i1/credit-notes", {{"id", "cn1"}, {"amount_cents", 10000}, {"reason", "discount"}},
               "finance")
            .status == 201);
  CHECK(s.post("/v1/pairs/p1/invoices",
               {{"id", "i2"}, {"number", "INV-2"}, {"issue_date", "2026-04-02"}, {"net_cents", 1000}, {"vat_cents", 0}},
               "finance")
            .status == 201);
  CHECK(s.post("/v1/invoices/i2/cancel", {{"reason", "wrong amount"}}, "finance").status == 201);
  CHECK(s.post("/v1/programmes/p/tours", {{"id", "t1"},
                                          {"region", "Catalonia"},
                                          {"host", "ACCIO"},
                                          {"start_date", "2026-05-01"},
                                          {"end_date", "2026-05-03"},
                                          {"topics", {"strategy"}}})
            .status == 201);
  CHECK(s.post("/v1/tours/t1/participants", {{"mentee_id", "m1"}}).status == 201);
  CHECK(s.post("/v1/programmes/p/joint-meetings", {{"date", "2026-06-01"}, {"title", "Mid-term"}, {"pair_ids", {"p1"}}})
            .status == 201);
  CHECK(s.post("/v1/pairs/p1/report",
               {{"language", "en"}, {"topics", {"strategy"}}, {"progress", "Good."}, {"outcomes", "A plan."}})
            .status == 201);
  CHECK(s.post("/v1/pairs/p1/complete", nullptr).status == 201);
  CHECK(s.post("/v1/programmes/p/applications", {{"id", "a2"},
                                                 {"applicant_name", "Marie"},
                                                 {"organisation", "Pôle"},
                                                 {"email", "m@example.org"},
                                                 {"country", "FR"},
                                                 {"profile", "expert"},
                                                 {"years_experience", 9},
                                                 {"knowledge_areas", {"governance"}},
                                                 {"quotation_cents", 250000}})
            .status == 201);
  CHECK(s.post("/v1/applications/a2/reject", {{"reason", "no mentee left"}}).status == 201);

  // Reads.
  CHECK(s.get("/v1/programmes").j()["programmes"].size() == 1);
  CHECK(s.get("/v1/programmes/p").j()["counts"]["pairs"] == 1);
  CHECK(s.get("/v1/programmes/p/mentees").j()["mentees"][0]["id"] == "m1");
  CHECK(s.get("/v1/mentees/m1").j()["minutes_used"] == 120);
  json caps = s.get("/v1/mentees/m1/caps").j();
  CHECK(caps["hours"]["cap_minutes"] == 1920);
  CHECK(caps["hours"]["used_minutes"] == 120);
  CHECK(caps["hours"]["left_minutes"] == 1800);
  CHECK(caps["fee"]["invoiced_cents"] == 150000);
  CHECK(caps["fee"]["credited_cents"] == 10000);
  CHECK(caps["fee"]["paid_cents"] == 100000);
  CHECK(caps["fee"]["left_cents"] == 310000 - 140000);
  json apps = s.get("/v1/programmes/p/applications").j()["applications"];
  REQUIRE(apps.size() == 2);
  CHECK(apps[0]["status"] == "accepted");
  CHECK(apps[1]["status"] == "rejected");
  json pairs = s.get("/v1/programmes/p/pairs").j()["pairs"];
  REQUIRE(pairs.size() == 1);
  CHECK(pairs[0]["status"] == "completed");
  CHECK(pairs[0]["minutes_used"] == 120);
  CHECK(pairs[0]["report"] == "submitted");
  CHECK(pairs[0]["fee_left_cents"] == 300000 - 140000);
  json pair = s.get("/v1/pairs/p1").j();
  CHECK(pair["sessions"].size() == 2);
  CHECK(pair["sessions"][1]["voided"] == true);
  CHECK(pair["sessions"][1]["void_reason"] == "logged twice");
  CHECK(pair["sessions"][0]["summary"] == "Worked on the plan.");
  CHECK(pair["invoices"].size() == 2);
  json inv = s.get("/v1/invoices/i1").j();
  CHECK(inv["due_cents"] == 150000 - 10000 - 100000);
  CHECK(inv["payments"].size() == 1);
  CHECK(inv["credit_notes"].size() == 1);
  json budget = s.get("/v1/programmes/p/budget?explain=1").j();
  CHECK(budget["totals"]["net_invoiced_cents"] == 140000);
  CHECK(budget["totals"]["eu_share_cents"] == 126000);
  CHECK(budget["totals"]["own_share_cents"] == 14000);
  CHECK(budget["totals"]["explain"]["invoiced_cents"].size() == 3);  // i1, i2, i2 cancelled
  CHECK(s.get("/v1/programmes/p/hours?group_by=month").j()["groups"][0]["key"] == "2026-03");
  CHECK(s.get("/v1/programmes/p/hours?group_by=mode").j()["total_minutes"] == 120);
  CHECK(s.get("/v1/programmes/p/tours").j()["tours"][0]["participants"][0] == "m1");
  CHECK(s.get("/v1/programmes/p/joint-meetings").j()["joint_meetings"].size() == 1);
  CHECK(s.get("/v1/applications/a2").j()["rejection_reason"] == "no mentee left");

  // The log.
  json page = s.get("/v1/events?from=1&limit=5").j();
  CHECK(page["events"].size() == 5);
  CHECK(page["next"] == 6);
  json one = page["events"][0];
  for (const char* k : {"specversion", "id", "source", "type", "subject", "time", "datacontenttype", "data", "position",
                        "streamversion", "actor", "prevhash", "hash"})
    CHECK_MESSAGE(one.contains(k), k);
  CHECK(one["specversion"] == "1.0");
  CHECK(one["id"] == "1");
  CHECK(one["source"] == "/programmes/p");
  CHECK(one["type"] == "eu.programme-ledger.ProgrammeOpened");
  CHECK(one["actor"] == "coordinator:t-coordinator");
  CHECK(one["time"].get<std::string>().back() == 'Z');
  CHECK(one["data"]["rules"]["hour_cap_minutes"] == 1920);
  CHECK(s.get("/v1/events?type=SessionVoided").j()["events"].size() == 1);
  CHECK(s.get("/v1/events?stream=invoice-i1").j()["events"].size() == 3);
  json stream = s.get("/v1/streams/pair-p1").j()["events"];
  CHECK(stream[0]["type"] == "eu.programme-ledger.PairAssigned");
  for (std::size_t i = 0; i < stream.size(); ++i) CHECK(stream[i]["streamversion"] == i + 1);
  json head = s.get("/v1/audit/head").j();
  CHECK(head["position"] == s.head());
  json ver = s.get("/v1/audit/verify").j();
  CHECK(ver["ok"] == true);
  CHECK(ver["checked"] == head["position"]);
  Resp nd = s.get("/v1/audit/export?format=ndjson");
  CHECK(nd.status == 200);
  CHECK(static_cast<std::uint64_t>(std::count(nd.body.begin(), nd.body.end(), '\n')) ==
        head["position"].get<std::uint64_t>());
  Resp csv = s.get("/v1/audit/export?format=csv");
  CHECK(csv.headers["content-type"].find("text/csv") == 0);
  CHECK(csv.body.rfind("position,stream,version,type", 0) == 0);
}

TEST_CASE("bad input: the status and code of API.md, nothing written, the server keeps serving") {
  Server s(false, {"--idle-timeout", "1"});
  setup(s);
  std::uint64_t head = s.head();
  auto refused = [&](const Resp& r, int status, const std::string& code) {
    CHECK_MESSAGE(r.status == status, r.body);
    CHECK_MESSAGE(r.code() == code, r.body);
    CHECK(s.head() == head);
    CHECK(request(s.port, "GET", "/healthz").status == 200);
  };
  std::string auth = "Bearer " + s.tokens.at("coordinator");
  auto raw_post = [&](const std::string& path, const std::string& body, const std::string& role = "coordinator") {
    return request(s.port, "POST", path, body, {{"Authorization", "Bearer " + s.tokens.at(role)}});
  };
  refused(raw_post("/v1/pairs/p1/sessions", "{\"id\": \"s1\", "), 400, "bad_request");
  refused(raw_post("/v1/pairs/p1/sessions", "{\"minutes\": 1e999}"), 400, "bad_request");
  json b = session_body({.id = "s1"});
  b["minutes"] = "120";
  refused(s.post("/v1/pairs/p1/sessions", b), 400, "bad_request");
  b = session_body({.id = "s1"});
  b.erase("date");
  refused(s.post("/v1/pairs/p1/sessions", b), 400, "bad_request");
  b = session_body({.id = "s1"});
  b["mode"] = "telepathy";
  refused(s.post("/v1/pairs/p1/sessions", b), 400, "bad_request");
  refused(
      raw_post("/v1/pairs/p1/invoices",
               R"({"id":"i9","number":"N","issue_date":"2026-04-01","net_cents":99999999999999999999,"vat_cents":0})",
               "finance"),
      400, "bad_request");
  refused(s.post("/v1/pairs/p1/sessions", session_body({.id = "s1", .minutes = 0})), 400, "bad_request");
  refused(s.post("/v1/pairs/p1/sessions", session_body({.id = "s1", .minutes = -30})), 400, "bad_request");
  refused(s.post("/v1/pairs/p1/sessions", session_body({.id = "s1", .minutes = 60, .date = "2021-02-30"})), 400,
          "bad_request");
  json app = {{"id", "a9"},
              {"applicant_name", "X"},
              {"organisation", "Y"},
              {"email", "x@example.org"},
              {"country", "FR"},
              {"profile", "expert"},
              {"years_experience", 9},
              {"knowledge_areas", {"strategy"}},
              {"quotation_cents", 1000},
              {"received_at", "2026-01-05T10:00:00"}};
  refused(s.post("/v1/programmes/p/applications", app), 400, "bad_request");
  refused(raw_post("/v1/pairs/p1/sessions",
                   "{\"id\":\"s\xff\xfe\",\"date\":\"2026-03-10\",\"minutes\":60,\"mode\":\"remote\","
                   "\"format\":\"bilateral\",\"topics\":[],\"summary\":\"x\"}"),
          400, "bad_request");
  refused(raw_post("/v1/pairs/p1/sessions", std::string(1024 * 1024 + 10, ' ')), 413, "payload_too_large");
  refused(s.get("/v1/nothing/here"), 404, "not_found");
  refused(request(s.port, "DELETE", "/v1/programmes/p", "", {{"Authorization", auth}}), 405, "method_not_allowed");
  refused(request(s.port, "POST", "/v1/pairs/p1/sessions", session_body({.id = "s1"}).dump()), 401, "unauthorized");
  refused(request(s.port, "GET", "/v1/programmes", "", {{"Authorization", "Bearer not-a-token"}}), 401, "unauthorized");
  // Rules refused with their codes and figures.
  Resp cap = s.post("/v1/pairs/p1/sessions", session_body({.id = "s1", .minutes = 1921}));
  refused(cap, 422, "hour_cap_exceeded");
  CHECK(cap.j()["error"]["message"].get<std::string>().find("32h00") != std::string::npos);
  refused(
      s.post("/v1/pairs/p1/invoices",
             {{"id", "i9"}, {"number", "N9"}, {"issue_date", "2026-04-01"}, {"net_cents", 310001}, {"vat_cents", 0}},
             "finance"),
      422, "fee_cap_exceeded");
  refused(s.post("/v1/pairs/p1/sessions", session_body({.id = "s1", .minutes = 60, .date = "2027-03-10"})), 422,
          "outside_pair_period");

  // An idle connection is closed after the timeout (1 s here).
  int fd = connect_to(s.port);
  REQUIRE(fd >= 0);
  bool closed = false;
  recv_for(fd, 3000, &closed);
  CHECK(closed);
  ::close(fd);
  CHECK(request(s.port, "GET", "/healthz").status == 200);
}

// A second pair "p2": mentee m2 and mentor e2 (from application a2), the
// mentor token's not being e1's.
void second_pair(const Server& s) {
  set_up_pair(s, {.open_programme = false,
                  .mentee = {.id = "m2", .name = "Omar", .cluster_name = "Argan", .sectors = "agri", .country = "MA"},
                  .mentor = {.application = "a2",
                             .mentor = "e2",
                             .applicant_name = "Jean",
                             .organisation = "Pôle",
                             .email = "j@example.org",
                             .country = "FR",
                             .years_experience = 4,
                             .quotation_cents = 200000},
                  .pair = {.id = "p2", .fee_cents = 200000}});
}

// The path of an operation with its parameters filled from `ids`.
std::string fill(std::string path, const std::map<std::string, std::string>& ids) {
  for (auto& [k, v] : ids) {
    std::string key = "{" + k + "}";
    for (auto at = path.find(key); at != std::string::npos; at = path.find(key)) path.replace(at, key.size(), v);
  }
  return path;
}

TEST_CASE(
    "the route table drives the router: every operation of /openapi.json against every role, a mentor's reach, as-of") {
  Server s(false);
  setup(s);
  second_pair(s);
  REQUIRE(s.post("/v1/pairs/p1/sessions", session_body({.id = "s1"})).status == 201);
  REQUIRE(s.post("/v1/pairs/p1/invoices", invoice_body("i1", "E1-1"), "finance").status == 201);
  REQUIRE(s.post("/v1/pairs/p2/invoices", invoice_body("i2", "E2-1"), "finance").status == 201);
  REQUIRE(s.post("/v1/programmes/p/tours", tour_body()).status == 201);
  std::uint64_t head = s.head();

  // The document is served without a token, and it is the one committed.
  Resp served = request(s.port, "GET", "/openapi.json");
  REQUIRE(served.status == 200);
  json doc = served.j();
  CHECK(doc == json::parse(read_file(std::string(pl::build_paths::source_dir) + "/docs/openapi.json")));
  REQUIRE(doc["paths"].size() > 30);

  // The mentor token is e1's: p1, m1, a1, i1 are its own; p2, m2, a2, i2 are not.
  const std::map<std::string, std::string> own = {{"pid", "p"},   {"mid", "m1"},           {"aid", "a1"},
                                                  {"pair", "p1"}, {"sid", "s1"},           {"iid", "i1"},
                                                  {"tid", "t1"},  {"stream", "pair-p1"},   {"file", "index.html"},
                                                  {"fid", "f1"},  {"subject", "mentee:m1"}};
  std::map<std::string, std::string> other = own;
  other["mid"] = "m2", other["aid"] = "a2", other["pair"] = "p2", other["iid"] = "i2", other["stream"] = "pair-p2";

  const std::vector<std::string> roles = {"coordinator", "finance", "auditor", "controller", "mentor", "dpo"};
  int operations = 0, refused = 0, reached = 0, guarded = 0;
  for (auto& [path, item] : doc["paths"].items()) {
    for (const char* method : {"get", "post"}) {
      if (!item.contains(method)) continue;
      const json& op = item[method];
      ++operations;
      std::string m = method == std::string("get") ? "GET" : "POST";
      // Commands get a body with a field no command has: refused with 400
      // after the role check, so nothing is written.
      std::string body = m == "POST" ? R"({"no_such_field": 1})" : "";
      int timeout =
          op["responses"]["200"].contains("content") && op["responses"]["200"]["content"].contains("text/event-stream")
              ? 300
              : 10000;
      auto call = [&](const std::string& target, const std::string& role) {
        std::vector<std::pair<std::string, std::string>> h;
        if (!role.empty()) h.emplace_back("Authorization", "Bearer " + s.tokens.at(role));
        return request(s.port, m, target, body, h, timeout);
      };
      std::string target = fill(path, own);
      CAPTURE(m);
      CAPTURE(target);
      if (!op.contains("x-roles")) {
        CHECK(op["security"] == json::array());
        Resp r = call(target, "");
        CHECK(r.status != 401);
        CHECK(r.status != 403);
        continue;
      }
      std::set<std::string> may;
      for (auto& r : op["x-roles"]) may.insert(r.get<std::string>());
      CHECK(call(target, "").status == 401);
      for (auto& role : roles) {
        CAPTURE(role);
        Resp r = call(target, role);
        if (!may.count(role)) {
          CHECK(r.status == 403);
          CHECK(r.code() == "forbidden");
          ++refused;
        } else {
          CHECK(r.status != 401);
          CHECK(r.status != 403);
          if (m == "POST") CHECK(r.status == 400);
          ++reached;
        }
      }
      if (op.value("x-mentor", "") == "own") {
        Resp r = call(fill(path, other), "mentor");
        CHECK(r.status == 403);
        CHECK(r.code() == "forbidden");
        ++guarded;
      }
      // as_of and at: checked where the route takes them, ignored elsewhere.
      bool as_of = false;
      bool own_at = false;  // a route whose `at` is its own (the pack's last position)
      for (auto& p : op.value("parameters", json::array())) {
        as_of |= p.value("$ref", "") == "#/components/parameters/at";
        own_at |= p.value("$ref", "") == "#/components/parameters/pack_at";
      }
      if (m == "GET" && timeout > 300 && !own_at) {
        Resp r = call(target + (target.find('?') == std::string::npos ? "?at=0" : "&at=0"), "coordinator");
        if (as_of)
          CHECK(r.status == 400);
        else
          CHECK(r.status != 400);
      }
    }
  }
  CHECK(operations == 76);  // with the erasure of a person's data
  // pair, invoice, mentee, caps, application, stream reads; session, report and evidence writes
  CHECK(guarded == 10);
  MESSAGE("operations " << operations << ", refused " << refused << ", reached " << reached);
  CHECK(s.head() == head);
}

TEST_CASE("roles: a mentor writes to its own pairs only") {
  Server s(false);
  setup(s);
  second_pair(s);
  std::uint64_t head = s.head();

  // The mentor token is bound to e1: its own pair p1, not p2.
  Resp own = s.post("/v1/pairs/p1/sessions", session_body({.id = "s-own"}), "mentor");
  CHECK(own.status == 201);
  Resp other = s.post("/v1/pairs/p2/sessions", session_body({.id = "s-other"}), "mentor");
  CHECK(other.status == 403);
  CHECK(other.code() == "forbidden");
  CHECK(s.post("/v1/pairs/p2/report",
               {{"language", "en"}, {"topics", {"strategy"}}, {"progress", "x"}, {"outcomes", "y"}}, "mentor")
            .status == 403);
  CHECK(s.head() == head + 1);
  // And reads only its own pairs.
  CHECK(s.get("/v1/pairs/p2", "mentor").status == 403);
  CHECK(s.get("/v1/pairs/p1", "mentor").status == 200);
  json listed = s.get("/v1/programmes/p/pairs", "mentor").j()["pairs"];
  REQUIRE(listed.size() == 1);
  CHECK(listed[0]["id"] == "p1");
  // The actor is recorded with the event.
  json ev = s.get("/v1/events?type=SessionLogged").j()["events"][0];
  CHECK(ev["actor"] == "mentor:t-mentor");
}

TEST_CASE("idempotent retries, If-Match, and as-of answers") {
  Server s(false);
  setup(s);
  std::vector<std::pair<std::string, std::string>> key = {{"Idempotency-Key", "k-1"}};
  Resp first = s.post("/v1/pairs/p1/sessions", session_body({.id = "s1"}), "coordinator", key);
  REQUIRE(first.status == 201);
  std::uint64_t head = s.head();
  Resp again = s.post("/v1/pairs/p1/sessions", session_body({.id = "s1"}), "coordinator", key);
  CHECK(again.status == 201);
  CHECK(again.body == first.body);
  CHECK(s.head() == head);
  Resp other = s.post("/v1/pairs/p1/sessions", session_body({.id = "s2"}), "coordinator", key);
  CHECK(other.status == 409);
  CHECK(other.code() == "idempotency_key_reused");
  CHECK(s.head() == head);

  // If-Match: the pair's stream is at version 2 (assigned, one session).
  std::uint64_t version = s.get("/v1/pairs/p1").j()["stream_version"];
  CHECK(version == 2);
  Resp stale = s.post("/v1/pairs/p1/sessions", session_body({.id = "s3"}), "coordinator", {{"If-Match", "\"1\""}});
  CHECK(stale.status == 409);
  CHECK(stale.code() == "version_conflict");
  CHECK(s.head() == head);
  Resp fresh = s.post("/v1/pairs/p1/sessions", session_body({.id = "s3"}), "coordinator", {{"If-Match", "\"2\""}});
  CHECK(fresh.status == 201);

  // As of a position and of a time, before and after the last session.
  std::uint64_t before = head;
  CHECK(s.get("/v1/pairs/p1?at=" + std::to_string(before)).j()["minutes_used"] == 120);
  CHECK(s.get("/v1/pairs/p1").j()["minutes_used"] == 240);
  CHECK(s.get("/v1/mentees/m1/caps?at=" + std::to_string(before)).j()["hours"]["used_minutes"] == 120);
  std::string t = s.get("/v1/events?from=" + std::to_string(before) + "&limit=1").j()["events"][0]["time"];
  CHECK(s.get("/v1/mentees/m1?as_of=" + t).j()["minutes_used"] == 120);
  CHECK(s.get("/v1/programmes/p/pairs?as_of=2000-01-01T00:00:00Z").status == 404);  // the programme did not exist yet
  CHECK(s.get("/v1/pairs/p1?at=abc").code() == "bad_request");
  CHECK(s.get("/v1/pairs/p1?as_of=2026-01-01").code() == "bad_request");
}

TEST_CASE("the live feed: Server-Sent Events, resumed from Last-Event-ID") {
  Server s(false);
  setup(s);
  std::uint64_t head = s.head();
  int fd = connect_to(s.port);
  REQUIRE(fd >= 0);
  send_all(fd, "GET /v1/events/live?from=1 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + s.tokens.at("auditor") +
                   "\r\n\r\n");
  std::string got = recv_for(fd, 500);
  CHECK(got.find("text/event-stream") != std::string::npos);
  CHECK(got.find("id: 1\n") != std::string::npos);
  CHECK(got.find("id: " + std::to_string(head) + "\n") != std::string::npos);
  // A write from another client arrives without asking.
  REQUIRE(s.post("/v1/pairs/p1/sessions", session_body({.id = "s1"})).status == 201);
  got = recv_for(fd, 500);
  CHECK(got.find("id: " + std::to_string(head + 1) + "\n") != std::string::npos);
  CHECK(got.find("\"type\":\"eu.programme-ledger.SessionLogged\"") != std::string::npos);
  ::close(fd);

  // Disconnected; two more events; resume after the last one seen.
  REQUIRE(s.post("/v1/pairs/p1/sessions", session_body({.id = "s2"})).status == 201);
  REQUIRE(s.post("/v1/pairs/p1/sessions", session_body({.id = "s3"})).status == 201);
  fd = connect_to(s.port);
  send_all(fd, "GET /v1/events/live HTTP/1.1\r\nHost: x\r\nLast-Event-ID: " + std::to_string(head + 1) +
                   "\r\nAuthorization: Bearer " + s.tokens.at("auditor") + "\r\n\r\n");
  got = recv_for(fd, 500);
  ::close(fd);
  CHECK(got.find("id: " + std::to_string(head + 1) + "\n") == std::string::npos);
  CHECK(got.find("id: " + std::to_string(head + 2) + "\n") != std::string::npos);
  CHECK(got.find("id: " + std::to_string(head + 3) + "\n") != std::string::npos);
}

TEST_CASE("graceful shutdown with requests in flight; a restart keeps everything") {
  Server s(false);
  setup(s);
  // Eight clients log sessions until the server stops answering.
  std::mutex mu;
  std::vector<std::uint64_t> acknowledged;  // positions answered 201
  std::atomic<int> refused{0}, unanswered{0};
  std::atomic<bool> go{true};
  std::vector<std::thread> clients;
  for (int c = 0; c < 8; ++c)
    clients.emplace_back([&, c] {
      for (int i = 0; go; ++i) {
        Resp r = s.post("/v1/pairs/p1/sessions",
                        session_body({.id = "c" + std::to_string(c) + "-" + std::to_string(i), .minutes = 1}));
        if (r.status == 201) {
          std::lock_guard lock(mu);
          acknowledged.push_back(r.j()["events"][0]["position"]);
        } else if (r.status == 503 || (r.status == 422 && r.code() == "hour_cap_exceeded")) {
          ++refused;  // nothing written
        } else if (r.status == 0) {
          ++unanswered;
          return;  // the server is gone
        } else {
          FAIL("unexpected answer " << r.status << " " << r.body);
        }
      }
    });
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  CHECK(s.stop(SIGTERM) == 0);
  go = false;
  for (auto& t : clients) t.join();
  REQUIRE(!acknowledged.empty());

  s.start();
  std::uint64_t head = s.head();
  // Every acknowledged session is in the log, and nothing else was written.
  std::set<std::uint64_t> positions(acknowledged.begin(), acknowledged.end());
  CHECK(positions.size() == acknowledged.size());
  CHECK(*positions.rbegin() <= head);
  json pair = s.get("/v1/pairs/p1").j();
  CHECK(pair["sessions"].size() == acknowledged.size());
  CHECK(pair["minutes_used"] == static_cast<int>(acknowledged.size()));
  CHECK(s.get("/v1/audit/verify").j()["ok"] == true);
  MESSAGE(acknowledged.size() << " acknowledged, " << refused.load() << " refused during shutdown, head " << head);
}

TEST_CASE("command line: no tokens no server, token add, replay, export, backup while serving") {
  TempDir dir;
  std::string data = dir.sub("data");
  std::string out;
  CHECK(run_ledger({"serve", "--data", data, "--listen", "127.0.0.1:0"}, &out) == 1);
  CHECK(run_ledger({"token", "add", "--data", data, "--name", "x", "--role", "pilot"}, &out) == 1);
  CHECK(run_ledger({"token", "add", "--data", data, "--name", "x", "--role", "mentor"}, &out) == 1);

  Server s(true);
  std::uint64_t head = s.head();
  REQUIRE(head > 600);
  // A token added while the server runs is taken without a restart.
  CHECK(run_ledger({"token", "add", "--data", s.data(), "--name", "late", "--role", "auditor"}, &out) == 0);
  std::string late = out.substr(0, out.find('\n'));
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  CHECK(request(s.port, "GET", "/v1/me", "", {{"Authorization", "Bearer " + late}}).j()["name"] == "late");
  std::string backup = s.dir().sub("backup");
  CHECK(run_ledger({"backup", "--data", s.data(), "--to", backup}, &out) == 0);
  json b = json::parse(out);
  CHECK(b["ok"] == true);
  CHECK(b["checked"] == head);
  // Without --with-key, neither key goes with the copy, and it says what the
  // copy means for erasure.
  CHECK(b["master_key"] == "not copied (give --with-key to copy it)");
  CHECK_FALSE(std::filesystem::exists(backup + "/master.key"));
  CHECK(b["personal_data"].get<std::string>().find("erased") != std::string::npos);
  CHECK(run_ledger({"verify", "--data", backup}, &out) == 0);
  CHECK(run_ledger({"backup", "--data", s.data(), "--to", backup}, &out) == 1);  // not over an existing directory

  CHECK(run_ledger({"export", "--data", s.data(), "--format", "ndjson"}, &out) == 0);
  CHECK(static_cast<std::uint64_t>(std::count(out.begin(), out.end(), '\n')) == head);
  CHECK(run_ledger({"replay", "--data", s.data(), "--at", "100"}, &out) == 0);
  json r = json::parse(out);
  CHECK(r["position"] == 100);
  CHECK(run_ledger({"replay", "--data", s.data(), "--as-of", "2019-06-30T00:00:00Z"}, &out) == 0);
  json early = json::parse(out);
  CHECK(early["programmes"].size() == 1);  // the 2021 edition had not begun
  // The demo's pairs agree with the API.
  json api = s.get("/v1/programmes/tnst-2019/pairs?as_of=2019-06-30T00:00:00Z").j()["pairs"];
  CHECK(api.size() == early["programmes"][0]["pairs"].size());
  CHECK(api[0]["minutes_used"] == early["programmes"][0]["pairs"][0]["minutes_used"]);
}

TEST_CASE(
    "a flipped byte in a stored event: verify names its position, reading it is an error, the server will not serve "
    "it") {
  Server s(true);
  std::uint64_t head = s.head();
  REQUIRE(s.stop() == 0);
  // Past the store's checks, change one byte of a session's sealed summary.
  std::uint64_t damaged = 0;
  {
    auto store = pl::Store::open(s.data() + "/ledger");
    REQUIRE(store.is_ok());
    for (std::uint64_t pos = head / 2; pos <= head && damaged == 0; ++pos) {
      auto ev = (*store)->read_one(pos);
      REQUIRE(ev.is_ok());
      if (ev->view().type() != pl::fb::Event::SessionLogged) continue;
      const auto* sealed = ev->view().env->sealed();
      REQUIRE(sealed != nullptr);
      REQUIRE(sealed->size() >= 2);  // the actor's name, then the summary
      const auto* box = sealed->Get(sealed->size() - 1)->box();
      std::string summary(reinterpret_cast<const char*>(box->data()), box->size());
      std::string v = raw_get(**store, pos);
      auto at = v.find(summary);
      REQUIRE(at != std::string::npos);
      v[at] = static_cast<char>(v[at] ^ 0x20);
      REQUIRE(raw_put(**store, pos, v));
      damaged = pos;
    }
  }
  REQUIRE(damaged > 0);
  std::string out;
  CHECK(run_ledger({"verify", "--data", s.data()}, &out) == 2);
  json rep = json::parse(out);
  CHECK(rep["ok"] == false);
  CHECK(rep["first_bad_position"] == damaged);
  CHECK(rep["problem"] == "hash_mismatch");
  CHECK(rep["checked"] == damaged - 1);
  // Reading it is an error with its position, never a crash (exit 1, not a signal).
  CHECK(run_ledger({"export", "--data", s.data(), "--format", "ndjson"}, &out, true) == 1);
  CHECK_MESSAGE(out.find(std::to_string(damaged)) != std::string::npos, out);
  CHECK(run_ledger({"replay", "--data", s.data(), "--at", std::to_string(damaged - 1)}, &out) == 0);
  CHECK(json::parse(out)["position"] == damaged - 1);
  CHECK(run_ledger({"replay", "--data", s.data(), "--at", std::to_string(damaged)}, &out, true) == 1);
  CHECK_MESSAGE(out.find(std::to_string(damaged)) != std::string::npos, out);
  // The server refuses to serve (and to write after) a ledger whose chain is
  // broken, and says where.
  CHECK(run_ledger({"serve", "--data", s.data(), "--listen", "127.0.0.1:0"}, &out, true) == 1);
  CHECK_MESSAGE(out.find(std::to_string(damaged)) != std::string::npos, out);
  CHECK_MESSAGE(out.find("ledger verify") != std::string::npos, out);
}

TEST_CASE(
    "kill -9 under load, ten times: every acknowledged command is there exactly once, verify passes, and every "
    "checkpoint signed before a kill is consistent with the tree after it") {
  Server s(false);
  setup(s);
  auto key = note::parse_verifier(current_verifier(s.port));
  REQUIRE(key);
  std::vector<note::Checkpoint> signed_before;  // checkpoints taken while the clients write
  std::mutex mu;
  std::map<std::string, std::uint64_t> acknowledged;  // session id -> position
  std::mt19937 rng(2026);
  int next_id = 0;
  for (int round = 0; round < 10; ++round) {
    std::atomic<bool> go{true};
    std::vector<std::thread> clients;
    for (int c = 0; c < 4; ++c)
      clients.emplace_back([&, c] {
        while (go) {
          std::string sid;
          {
            std::lock_guard lock(mu);
            sid = "k" + std::to_string(next_id++);
          }
          Resp r = s.post("/v1/pairs/p1/sessions", session_body({.id = sid, .minutes = 1}));
          if (r.status == 201) {
            std::lock_guard lock(mu);
            acknowledged[sid] = r.j()["events"][0]["position"];
          } else if (r.status == 0) {
            return;  // killed
          }
        }
        (void)c;
      });
    // A checkpoint or two while the clients write, the last just before the kill.
    for (int look = 0; look < 2; ++look) {
      std::this_thread::sleep_for(std::chrono::milliseconds(std::uniform_int_distribution<int>(15, 75)(rng)));
      Resp cp = request(s.port, "GET", "/v1/audit/checkpoint");
      if (cp.status != 200) continue;
      auto body = note::open(cp.body, {*key});
      REQUIRE_MESSAGE(body, cp.body);
      signed_before.push_back(note::parse_checkpoint(*body).value());
    }
    s.stop(SIGKILL);
    go = false;
    for (auto& t : clients) t.join();
    s.start();
    // Every checkpoint signed so far is a prefix of the tree after the restart.
    Resp now_cp = request(s.port, "GET", "/v1/audit/checkpoint");
    REQUIRE(now_cp.status == 200);
    auto now = note::parse_checkpoint(note::open(now_cp.body, {*key}).value()).value();
    for (const note::Checkpoint& before : signed_before) {
      CAPTURE(before.size);
      REQUIRE(before.size <= now.size);
      json proof =
          request(s.port, "GET",
                  "/v1/audit/proof/consistency?from=" + std::to_string(before.size) + "&to=" + std::to_string(now.size))
              .j();
      std::vector<Hash> hashes;
      for (auto& h : proof["hashes"]) {
        auto raw = note::unbase64(h.get<std::string>()).value();
        Hash x;
        std::memcpy(x.data(), raw.data(), 32);
        hashes.push_back(x);
      }
      CHECK(merkle::verify_consistency(before.size, now.size, before.root, now.root, hashes));
    }
  }
  REQUIRE(acknowledged.size() > 10);
  REQUIRE(signed_before.size() >= 10);
  json pair = s.get("/v1/pairs/p1").j();
  std::map<std::string, int> seen;
  for (auto& sess : pair["sessions"]) ++seen[sess["id"].get<std::string>()];
  for (auto& entry : acknowledged) {
    const auto& sid = entry.first;
    const auto& pos = entry.second;
    CAPTURE(sid);
    CHECK(seen[sid] == 1);
    json ev = s.get("/v1/events?from=" + std::to_string(pos) + "&limit=1").j()["events"][0];
    CHECK(ev["data"]["session_id"] == sid);
  }
  for (auto& [sid, n] : seen) CHECK(n == 1);
  // Sessions written but not acknowledged (killed before the answer) may be
  // there too, each whole; nothing else is.
  CHECK(seen.size() >= acknowledged.size());
  CHECK(s.get("/v1/audit/verify").j()["ok"] == true);
  MESSAGE(acknowledged.size() << " acknowledged over 10 kills; " << seen.size() - acknowledged.size()
                              << " written but not acknowledged");
}

TEST_CASE("four eyes over HTTP: one person with two tokens may not verify what it recorded") {
  Server s(false);
  setup(s);
  // `ledger token add` takes a second token for the same name, with another role.
  std::string out;
  REQUIRE(run_ledger({"token", "add", "--data", s.data(), "--name", "carla", "--role", "finance"}, &out) == 0);
  std::string carla_finance = out.substr(0, out.find('\n'));
  REQUIRE(run_ledger({"token", "add", "--data", s.data(), "--name", "carla", "--role", "controller"}, &out) == 0);
  std::string carla_controller = out.substr(0, out.find('\n'));
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));  // the tokens file is reread at most once a second
  auto as = [&](const std::string& token, const std::string& target, const json& body) {
    return request(s.port, "POST", target, body.dump(), {{"Authorization", "Bearer " + token}});
  };
  REQUIRE(as(carla_finance, "/v1/pairs/p1/invoices", invoice_body("i1", "E1-1")).status == 201);
  json net = s.get("/v1/invoices/i1").j()["net_cents"];
  std::uint64_t head = s.head();
  Resp refused =
      as(carla_controller, "/v1/invoices/i1/verification", {{"certified_cents", net}, {"deducted_cents", 0}});
  CHECK(refused.status == 403);
  CHECK(refused.code() == "four_eyes");
  CHECK(s.head() == head);
  // Another controller may.
  Resp ok = s.post("/v1/invoices/i1/verification", {{"certified_cents", net}, {"deducted_cents", 0}}, "controller");
  CHECK(ok.status == 201);
  json inv = s.get("/v1/invoices/i1").j();
  CHECK(inv["verification"]["certified_cents"] == net);
  CHECK(inv["verification"]["recorded_by"] == "t-controller");
  // The finding's recorder may not apply its correction, whatever the token.
  REQUIRE(s.post("/v1/programmes/p/findings",
                 {{"id", "f1"},
                  {"source", "commission"},
                  {"invoice_id", "i1"},
                  {"positions", {head}},
                  {"error_type", "calculation"},
                  {"amount_cents", 100},
                  {"description", "a rounding"}},
                 "controller")
              .status == 201);
  REQUIRE(run_ledger({"token", "add", "--data", s.data(), "--name", "t-controller", "--role", "finance"}, &out) == 0);
  std::string same_person = out.substr(0, out.find('\n'));
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  Resp own = as(same_person, "/v1/findings/f1/corrections", {{"id", "c1"}, {"amount_cents", 100}, {"reason", "r"}});
  CHECK(own.status == 403);
  CHECK(own.code() == "four_eyes");
  CHECK(
      s.post("/v1/findings/f1/corrections", {{"id", "c1"}, {"amount_cents", 100}, {"reason", "r"}}, "finance").status ==
      201);
  json budget = s.get("/v1/programmes/p/budget?explain=1").j();
  CHECK(budget["totals"]["certified_cents"] == net.get<std::int64_t>() - 100);
  CHECK(budget["totals"]["corrected_cents"] == 100);
  CHECK(budget["totals"]["explain"]["certified_cents"].size() == 2);
  json findings = s.get("/v1/programmes/p/findings", "controller").j();
  CHECK(findings["findings"][0]["corrections"][0]["recorded_by"] == "t-finance");
  // A mentor sees none of the control's registers.
  CHECK(s.get("/v1/programmes/p/findings", "mentor").status == 403);
  // A finding names events of its own programme only, and no more than its
  // invoice's net; a token's name is kept trimmed, and its case does not make
  // another person.
  open_programme(s, {.id = "q"});
  std::uint64_t foreign = s.head();
  json finding = {{"id", "f2"},
                  {"source", "commission"},
                  {"invoice_id", "i1"},
                  {"positions", {foreign}},
                  {"error_type", "calculation"},
                  {"amount_cents", 100},
                  {"description", "a rounding"}};
  Resp other = s.post("/v1/programmes/p/findings", finding, "controller");
  CHECK(other.status == 400);
  CHECK(other.code() == "bad_request");
  CHECK_MESSAGE(other.body.find("is an event of programme 'q', not of programme 'p'") != std::string::npos, other.body);
  finding["positions"] = {head};
  finding["amount_cents"] = net.get<std::int64_t>() + 1;
  CHECK(s.post("/v1/programmes/p/findings", finding, "controller").code() == "finding_exceeds_invoice");
  CHECK(s.head() == foreign);  // nothing written
  REQUIRE(run_ledger({"token", "add", "--data", s.data(), "--name", "  T-Controller ", "--role", "finance"}, &out) ==
          0);
  std::string shouted = out.substr(0, out.find('\n'));
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  Resp loud = as(shouted, "/v1/findings/f1/corrections", {{"id", "c2"}, {"amount_cents", 1}, {"reason", "r"}});
  CHECK(loud.status == 403);
  CHECK(loud.code() == "four_eyes");
  CHECK_MESSAGE(loud.body.find("'T-Controller' recorded finding f1") != std::string::npos, loud.body);
}
