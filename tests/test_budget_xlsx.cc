// The finance workbook (GET /v1/programmes/{pid}/budget.xlsx) end to end: the
// real binary on loopback, a history with invoices, payments, credit notes
// and a cancelled invoice, then the workbook read back by an independent
// reader (tests/check_budget_xlsx.py, openpyxl) and every cell compared with
// the JSON API at the same point: now, as of an instant, and at a position.
#include <doctest/doctest.h>

#include <cstdlib>
#include <fstream>

#include "base/build_paths.h"
#include "fixtures.h"

using namespace pl::test;

namespace {

// Mentor `mentor_id` from `country`, by its accepted application `aid`.
void mentor(const Server& s, const std::string& aid, const std::string& mentor_id, const std::string& country) {
  accept_mentor(s, {.application = aid,
                    .mentor = mentor_id,
                    .applicant_name = "Expert " + mentor_id,
                    .organisation = "Cluster " + country,
                    .email = mentor_id + "@example.org",
                    .country = country});
}

void invoice(const Server& s, const std::string& pair_id, const std::string& id, const std::string& number,
             const std::string& date, std::int64_t net, std::int64_t vat) {
  Resp r =
      s.post("/v1/pairs/" + pair_id + "/invoices",
             {{"id", id}, {"number", number}, {"issue_date", date}, {"net_cents", net}, {"vat_cents", vat}}, "finance");
  REQUIRE_MESSAGE(r.status == 201, r.body);
}

void pay(const Server& s, const std::string& iid, const std::string& date, std::int64_t cents, std::int64_t vat = 0) {
  Resp r = s.post("/v1/invoices/" + iid + "/payments",
                  {{"paid_date", date}, {"amount_cents", cents}, {"vat_cents", vat}}, "finance");
  REQUIRE_MESSAGE(r.status == 201, r.body);
}

void credit(const Server& s, const std::string& iid, const std::string& id, std::int64_t cents, std::int64_t vat,
            const std::string& reason) {
  Resp r = s.post("/v1/invoices/" + iid + "/credit-notes",
                  {{"id", id}, {"amount_cents", cents}, {"vat_cents", vat}, {"reason", reason}}, "finance");
  REQUIRE_MESSAGE(r.status == 201, r.body);
}

std::string with_query(const std::string& path, const std::string& query) {
  return query.empty() ? path : path + "?" + query;
}

// Downloads the workbook and the API's answers for the point `query` names
// ("", "as_of=...", "at=..."), hands both to the checker, and gives the
// budget's JSON.
json check_workbook(const Server& s, const std::string& query, const std::string& as_of_text,
                    const std::string& role = "finance") {
  CAPTURE(query);
  Resp x = s.get(with_query("/v1/programmes/p/budget.xlsx", query), role);
  REQUIRE(x.status == 200);
  CHECK(x.complete);
  CHECK(x.headers["content-type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
  CHECK(x.headers["content-disposition"] == "attachment; filename=\"p-budget.xlsx\"");
  REQUIRE(x.body.size() > 4);
  CHECK(x.body.substr(0, 4) == std::string("PK\x03\x04", 4));  // a zip: Office Open XML

  json api;
  api["programme"] = s.get(with_query("/v1/programmes/p", query), role).j();
  api["budget"] = s.get(with_query("/v1/programmes/p/budget", query), role).j();
  api["mentees"] = s.get(with_query("/v1/programmes/p/mentees", query), role).j()["mentees"];
  // Every invoice of every pair, each read on its own.
  api["invoices"] = json::array();
  json pairs = s.get(with_query("/v1/programmes/p/pairs", query), role).j()["pairs"];
  for (auto& p : pairs) {
    json detail = s.get(with_query("/v1/pairs/" + p["id"].get<std::string>(), query), role).j();
    for (auto& inv : detail["invoices"]) {
      Resp one = s.get(with_query("/v1/invoices/" + inv["id"].get<std::string>(), query), role);
      REQUIRE(one.status == 200);
      api["invoices"].push_back(one.j());
    }
  }
  api["as_of"] = as_of_text;
  std::uint64_t position = api["budget"]["position"];
  REQUIRE(position > 0);
  api["recorded_at"] = s.get("/v1/events?from=" + std::to_string(position) + "&limit=1").j()["events"][0]["time"];

  static int n = 0;
  std::string stem = s.dir().sub("workbook-" + std::to_string(++n));
  std::ofstream(stem + ".xlsx", std::ios::binary) << x.body;
  std::ofstream(stem + ".json") << api.dump(2);
  std::string out;
  std::string cmd = std::string(pl::build_paths::python3) + " '" + pl::build_paths::xlsx_checker + "' '" + stem +
                    ".xlsx' '" + stem + ".json' 2>&1";
  FILE* p = ::popen(cmd.c_str(), "r");
  REQUIRE(p);
  char buf[4096];
  std::size_t got;
  while ((got = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, got);
  int st = ::pclose(p);
  INFO(out);
  CHECK(WIFEXITED(st));
  CHECK(WEXITSTATUS(st) == 0);
  return api["budget"];
}

}  // namespace

TEST_CASE("budget.xlsx: every cell read back with openpyxl is the JSON API's, now, as of and at") {
  Server s(false);
  // VAT is an eligible cost here: the EU share is of net invoiced plus VAT.
  json programme = programme_body({.id = "p"});
  programme["vat_eligible"] = true;
  REQUIRE(s.post("/v1/programmes", programme).status == 201);
  enrol_mentee(s, {.id = "m1", .name = "Amina", .cluster_name = "Olive Cluster", .country = "TN"});
  enrol_mentee(s, {.id = "m2", .name = "Omar", .cluster_name = "Argan Cluster", .country = "MA"});
  // Never paired: a line of zeros.
  enrol_mentee(s, {.id = "m3", .name = "Salma", .cluster_name = "Dates Cluster", .country = "TN"});
  mentor(s, "a1", "e1", "IT");
  mentor(s, "a2", "e2", "FR");
  add_pair(s, {.id = "p1", .mentor = "e1", .mentee = "m1", .fee_cents = 300000});
  add_pair(s, {.id = "p2", .mentor = "e2", .mentee = "m2", .fee_cents = 250000});
  // Odd cents, so that the EU shares (90%) are rounded down per mentee.
  invoice(s, "p1", "i1", "E1-2026-01", "2026-03-31", 123457, 27160);
  pay(s, "i1", "2026-04-15", 50000, 11000);
  invoice(s, "p2", "i3", "E2-2026-01", "2026-04-10", 99999, 0);
  std::uint64_t early = s.head();
  std::string early_time =
      s.get("/v1/events?from=" + std::to_string(early) + "&limit=1").j()["events"][0]["time"].get<std::string>();

  pay(s, "i1", "2026-05-02", 30001, 6600);
  pay(s, "i1", "2026-05-20", 0, 505);  // VAT only
  credit(s, "i1", "cn1", 1234, 271, "a session not held");
  invoice(s, "p1", "i2", "E1-2026-02", "2026-04-02", 10000, 2000);
  REQUIRE(s.post("/v1/invoices/i2/cancel", {{"reason", "issued twice"}}, "finance").status == 201);
  pay(s, "i3", "2026-04-30", 99999);
  invoice(s, "p2", "i4", "E2-2026-02", "2026-06-30", 5001, 1050);
  pay(s, "i4", "2026-07-15", 5001);  // the net, not the VAT: part paid
  invoice(s, "p2", "i5", "E2-2026-03", "2026-07-01", 777, 0);
  credit(s, "i5", "cn2", 777, 0, "wrong pair");                   // nothing due, nothing paid: credited
  invoice(s, "p2", "i6", "E2-2026-04", "2026-08-31", 1003, 210);  // open

  // Now: every figure of the workbook against the API's.
  json now = check_workbook(s, "", "");
  CHECK(now["totals"]["paid_cents"] == 50000 + 30001 + 99999 + 5001);
  CHECK(now["totals"]["vat_paid_cents"] == 11000 + 6600 + 505);
  CHECK(now["totals"]["credited_cents"] == 1234 + 777);
  CHECK(now["totals"]["vat_credited_cents"] == 271);
  CHECK(now["totals"]["invoiced_cents"] == 123457 + 99999 + 5001 + 777 + 1003);  // i2 cancelled
  CHECK(now["totals"]["eligible_cents"] ==
        now["totals"]["net_invoiced_cents"].get<std::int64_t>() + 27160 + 1050 + 210 - 271);
  // Each mentee's EU share rounded down on its own: the lines' shares fall a
  // cent short of the programme's, and the Sum row shows it.
  CHECK(now["totals"]["rounding_difference_cents"] == 1);
  CHECK(now["mentees"].size() == 3);
  // The other roles that may read it: the same workbook.
  check_workbook(s, "", "", "coordinator");
  check_workbook(s, "", "", "auditor");

  // As of an instant and at a position: the earlier figures, as the API
  // gives them for that point.
  json then = check_workbook(s, "as_of=" + early_time, early_time);
  CHECK(then["position"] == early);
  CHECK(then["totals"]["paid_cents"] == 50000);
  CHECK(then["totals"]["vat_paid_cents"] == 11000);
  CHECK(then["totals"]["credited_cents"] == 0);
  CHECK(then["totals"]["invoiced_cents"] == 123457 + 99999);
  json at = check_workbook(s, "at=" + std::to_string(early), "position " + std::to_string(early), "auditor");
  CHECK(at == then);

  // Mentors may not: personal data and every invoice. No token: 401.
  Resp mentor_answer = s.get("/v1/programmes/p/budget.xlsx", "mentor");
  CHECK(mentor_answer.status == 403);
  CHECK(mentor_answer.code() == "forbidden");
  CHECK(request(s.port, "GET", "/v1/programmes/p/budget.xlsx").status == 401);
  CHECK(s.get("/v1/programmes/nope/budget.xlsx").status == 404);
  CHECK(s.get("/v1/programmes/p/budget.xlsx?as_of=yesterday").code() == "bad_request");
  // A programme not yet opened at that instant.
  CHECK(s.get("/v1/programmes/p/budget.xlsx?as_of=2000-01-01T00:00:00Z").status == 404);
}
