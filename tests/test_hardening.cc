// What an attack on the running server found, each closed and kept closed:
// end to end, against the real `ledger serve` on loopback.
#include <doctest/doctest.h>
#include <sys/stat.h>

#include <atomic>
#include <filesystem>
#include <set>
#include <thread>

#include "fixtures.h"

using namespace pl::test;
namespace fs = std::filesystem;

namespace {

// Programme p: mentors e1 and e2 (applications a1, a2), mentees m1 and m2,
// pairs p1 (e1, m1) and p2 (e2, m2), each with one session; invoice i2 on p2;
// tour t1 with both mentees. The server's mentor token is bound to e1.
void setup(const Server& s) {
  open_programme(s);
  for (auto [m, name] : {std::pair{"m1", "Amina"}, std::pair{"m2", "Karim"}})
    enrol_mentee(s, {.id = m, .name = name, .cluster_name = std::string(name) + " Cluster", .website = ""});
  for (auto [a, e, mail] : {std::tuple{"a1", "e1", "luca@example.org"}, std::tuple{"a2", "e2", "marie@example.org"}})
    accept_mentor(s, {.application = a,
                      .mentor = e,
                      .applicant_name = std::string("Applicant ") + a,
                      .organisation = "Cluster",
                      .email = mail});
  for (auto [p, e, m] : {std::tuple{"p1", "e1", "m1"}, std::tuple{"p2", "e2", "m2"}}) {
    add_pair(s, {.id = p, .mentor = e, .mentee = m});
    REQUIRE(s.post(std::string("/v1/pairs/") + p + "/sessions",
                   session_body({.id = "s1", .minutes = 60, .summary = std::string("Summary of ") + p}))
                .status == 201);
  }
  REQUIRE(s.post("/v1/pairs/p2/invoices", invoice_body("i2", "E2-1"), "finance").status == 201);
  REQUIRE(s.post("/v1/programmes/p/tours", tour_body()).status == 201);
  for (auto m : {"m1", "m2"}) REQUIRE(s.post("/v1/tours/t1/participants", {{"mentee_id", m}}).status == 201);
}

// Polls `ok` for up to `ms` milliseconds.
template <typename F>
bool eventually(F ok, int ms = 3000) {
  for (int waited = 0; waited <= ms; waited += 100) {
    if (ok()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

std::string auth(const Server& s, const std::string& role) { return "Bearer " + s.tokens.at(role); }

// Sends raw bytes on one connection and reads until the server closes it (or
// `ms` of silence).
std::string raw_exchange(int port, const std::string& bytes, int ms = 3000, bool* closed = nullptr) {
  int fd = connect_to(port);
  REQUIRE(fd >= 0);
  send_all(fd, bytes);
  std::string out = recv_for(fd, ms, closed);
  ::close(fd);
  return out;
}

mode_t mode_of(const std::string& path) {
  struct stat st {};
  ::stat(path.c_str(), &st);
  return st.st_mode & 0777;
}

}  // namespace

TEST_CASE("a token removed or given another role stops working within two seconds, without a restart") {
  Server s(false);
  std::string out;
  REQUIRE(run_ledger({"token", "add", "--data", s.data(), "--name", "temp", "--role", "coordinator"}, &out) == 0);
  std::string temp = out.substr(0, out.find('\n'));
  auto as_temp = [&](const std::string& method, const std::string& target, const json& body = nullptr) {
    return request(s.port, method, target, body.is_null() ? "" : body.dump(), {{"Authorization", "Bearer " + temp}});
  };
  CHECK(eventually([&] { return as_temp("GET", "/v1/me").status == 200; }));

  // token list: ids, names, roles; never a token or a whole hash.
  REQUIRE(run_ledger({"token", "list", "--data", s.data()}, &out) == 0);
  json listed = json::parse(out)["tokens"];
  CHECK(listed.size() == 7);  // the demo's six and temp
  std::string id;
  for (auto& t : listed) {
    CHECK(t["id"].get<std::string>().size() == 12);
    if (t["name"] == "temp") id = t["id"];
  }
  REQUIRE(!id.empty());
  CHECK(out.find(temp) == std::string::npos);
  CHECK(out.find(temp.substr(4, 20)) == std::string::npos);

  // Demoted by hand to auditor: writes are refused from then on.
  std::string file = s.data() + "/tokens.json";
  json doc = json::parse(read_file(file));
  for (auto& t : doc["tokens"])
    if (t["name"] == "temp") t["role"] = "auditor";
  { std::ofstream(file + ".edit") << doc.dump(2); }
  fs::rename(file + ".edit", file);
  CHECK(eventually([&] { return as_temp("GET", "/v1/me").j()["role"] == "auditor"; }, 2500));
  Resp refused = as_temp("POST", "/v1/programmes", programme_body({.id = "q"}));
  CHECK(refused.status == 403);

  // Removed: refused as unknown within two seconds.
  CHECK(run_ledger({"token", "remove", "--data", s.data(), "deadbeef00"}, &out, true) == 1);  // no such id
  CHECK(run_ledger({"token", "remove", "--data", s.data(), id}, &out, true) == 0);
  CHECK(eventually([&] { return as_temp("GET", "/v1/me").status == 401; }, 2500));
  REQUIRE(run_ledger({"token", "list", "--data", s.data()}, &out) == 0);
  CHECK(json::parse(out)["tokens"].size() == 6);
  // The others still work.
  CHECK(s.get("/v1/me", "coordinator").status == 200);
}

TEST_CASE("a mentor sees its own pairs and what belongs to them, in every read and feed") {
  Server s(false);
  setup(s);
  const std::string mine = "pair-p1";
  auto own_stream = [](const std::string& subject) { return subject == "pair-p1" || subject == "application-a1"; };

  // Streams of other mentors' pairs and of their invoices: 403.
  CHECK(s.get("/v1/streams/pair-p2", "mentor").status == 403);
  CHECK(s.get("/v1/streams/invoice-i2", "mentor").status == 403);
  CHECK(s.get("/v1/streams/mentee-m2", "mentor").status == 403);
  CHECK(s.get("/v1/streams/pair-p1", "mentor").status == 200);

  // The log, with or without a type filter: its own events only.
  for (std::string q : {"/v1/events?limit=1000", "/v1/events?type=SessionLogged", "/v1/events?type=InvoiceIssued",
                        "/v1/events?type=MenteeEnrolled", "/v1/events?stream=pair-p2"}) {
    Resp r = s.get(q, "mentor");
    REQUIRE(r.status == 200);
    json events = r.j()["events"];
    for (auto& e : events) CHECK_MESSAGE(own_stream(e["subject"]), q << ": " << e["subject"]);
  }
  json sessions = s.get("/v1/events?type=SessionLogged", "mentor").j()["events"];
  CHECK(sessions.size() == 1);
  CHECK(s.get("/v1/events?type=SessionLogged", "auditor").j()["events"].size() == 2);

  // The export: its own events only, and still a whole export.
  Resp nd = s.get("/v1/audit/export?format=ndjson", "mentor");
  REQUIRE(nd.status == 200);
  CHECK(nd.complete);
  std::istringstream lines(nd.body);
  std::string line;
  int n = 0;
  while (std::getline(lines, line)) {
    ++n;
    CHECK(own_stream(json::parse(line)["subject"]));
  }
  CHECK(n >= 3);
  CHECK(nd.body.find("Summary of p2") == std::string::npos);
  CHECK(nd.body.find("marie@example.org") == std::string::npos);

  // Lists: no other mentor's application or e-mail, no other mentee.
  Resp apps = s.get("/v1/programmes/p/applications", "mentor");
  CHECK(apps.body.find("marie@example.org") == std::string::npos);
  CHECK(apps.j()["applications"].size() == 1);
  CHECK(s.get("/v1/applications/a2", "mentor").status == 403);
  json mentees = s.get("/v1/programmes/p/mentees", "mentor").j()["mentees"];
  REQUIRE(mentees.size() == 1);
  CHECK(mentees[0]["id"] == "m1");
  CHECK(s.get("/v1/mentees/m2", "mentor").status == 403);
  CHECK(s.get("/v1/mentees/m2/caps", "mentor").status == 403);
  CHECK(s.get("/v1/mentees/m1/caps", "mentor").status == 200);
  CHECK(s.get("/v1/invoices/i2", "mentor").status == 403);
  json tours = s.get("/v1/programmes/p/tours", "mentor").j()["tours"];
  CHECK(tours[0]["participants"] == json::array({"m1"}));
  json budget = s.get("/v1/programmes/p/budget", "mentor").j();
  for (auto& l : budget["mentees"]) CHECK(l["mentee_id"] == "m1");
  for (auto& l : budget["mentors"]) CHECK(l["mentor_id"] == "e1");
  CHECK(budget.dump().find("Karim") == std::string::npos);
  for (std::string by : {"mentor", "mentee", "pair"}) {
    json groups = s.get("/v1/programmes/p/hours?group_by=" + by, "mentor").j()["groups"];
    REQUIRE(groups.size() == 1);
    CHECK(groups[0]["key"] == (by == "mentor" ? "e1" : by == "mentee" ? "m1" : "p1"));
  }
  // Coordinators still see everything.
  CHECK(s.get("/v1/programmes/p/applications", "coordinator").j()["applications"].size() == 2);
  CHECK(s.get("/v1/streams/pair-p2", "coordinator").status == 200);

  // The live feed, from the start: its own events; and a session logged on
  // its own pair arrives, one on another pair does not.
  int fd = connect_to(s.port);
  REQUIRE(fd >= 0);
  send_all(fd, "GET /v1/events/live?from=1 HTTP/1.1\r\nHost: x\r\nAuthorization: " + auth(s, "mentor") + "\r\n\r\n");
  std::string feed = recv_for(fd, 700);
  REQUIRE(s.post("/v1/pairs/p2/sessions", session_body({.id = "s2", .minutes = 60, .summary = "Other pair, later"}))
              .status == 201);
  REQUIRE(
      s.post("/v1/pairs/p1/sessions", session_body({.id = "s2", .minutes = 60, .summary = "Own pair, later"})).status ==
      201);
  feed += recv_for(fd, 1000);
  ::close(fd);
  CHECK(feed.find("Own pair, later") != std::string::npos);
  CHECK(feed.find("Other pair, later") == std::string::npos);
  CHECK(feed.find("Summary of p2") == std::string::npos);
  CHECK(feed.find("Summary of p1") != std::string::npos);
  CHECK(feed.find("\"subject\":\"pair-p2\"") == std::string::npos);
  (void)mine;
}

TEST_CASE("idempotency keys belong to their caller") {
  Server s(false);
  REQUIRE(s.post("/v1/programmes", programme_body({.id = "p"})).status == 201);
  json m1 = {{"id", "m1"}, {"name", "A"}, {"cluster_name", "C"}, {"sectors", "s"}, {"country", "TN"}};
  std::string out;
  REQUIRE(run_ledger({"token", "add", "--data", s.data(), "--name", "second", "--role", "coordinator"}, &out) == 0);
  s.tokens["coordinator2"] = out.substr(0, out.find('\n'));
  REQUIRE(eventually([&] { return s.get("/v1/me", "coordinator2").status == 200; }));
  Resp first = s.post("/v1/programmes/p/mentees", m1, "coordinator", {{"Idempotency-Key", "k-1"}});
  REQUIRE(first.status == 201);
  // Another caller's unrelated command with the same key is its own command.
  Resp other = s.post("/v1/programmes", programme_body({.id = "q"}), "coordinator2", {{"Idempotency-Key", "k-1"}});
  CHECK_MESSAGE(other.status == 201, other.body);
  CHECK(other.headers.count("idempotent-replayed") == 0);
  // The first caller's retry is still answered from its record.
  Resp again = s.post("/v1/programmes/p/mentees", m1, "coordinator", {{"Idempotency-Key", "k-1"}});
  CHECK(again.status == 201);
  CHECK(again.headers["idempotent-replayed"] == "true");
  CHECK(again.j()["events"] == first.j()["events"]);
  // And the first caller reusing its key for something else is still refused.
  Resp reuse = s.post("/v1/programmes", programme_body({.id = "r"}), "coordinator", {{"Idempotency-Key", "k-1"}});
  CHECK(reuse.status == 409);
  CHECK(reuse.code() == "idempotency_key_reused");
}

TEST_CASE("a transfer coding other than chunked is refused and the connection closed: nothing smuggled") {
  Server s(false);
  std::uint64_t head = s.head();
  std::string hidden_body = programme_body({.id = "smuggled"}).dump();
  std::string hidden = "POST /v1/programmes HTTP/1.1\r\nHost: x\r\nAuthorization: " + auth(s, "coordinator") +
                       "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(hidden_body.size()) +
                       "\r\n\r\n" + hidden_body;
  for (std::string te :
       {"xchunked", "gzip", "identity", "chunked, identity", "gzip, chunked\r\nTransfer-Encoding: chunked"}) {
    CAPTURE(te);
    std::string outer = "GET /v1/me HTTP/1.1\r\nHost: x\r\nAuthorization: " + auth(s, "auditor") +
                        "\r\nTransfer-Encoding: " + te + "\r\n\r\n" + hidden;
    bool closed = false;
    std::string answer = raw_exchange(s.port, outer, 3000, &closed);
    CHECK(answer.rfind("HTTP/1.1 400", 0) == 0);
    CHECK(closed);
    CHECK(answer.find("HTTP/1.1 201") == std::string::npos);
  }
  CHECK(s.head() == head);
  CHECK(s.get("/v1/programmes/smuggled", "coordinator").status == 404);
  // Chunked bodies are still taken.
  std::string body = programme_body({.id = "chunky"}).dump();
  char size[16];
  std::snprintf(size, sizeof size, "%zx", body.size());
  std::string chunked =
      "POST /v1/programmes HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAuthorization: " + auth(s, "coordinator") +
      "\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n" + size + "\r\n" + body +
      "\r\n0\r\n\r\n";
  CHECK(raw_exchange(s.port, chunked).rfind("HTTP/1.1 201", 0) == 0);
}

TEST_CASE("connections are capped; running out of file descriptors neither spins nor floods the log") {
  SUBCASE("at the cap, a new connection waits until one ends") {
    Server s(false, {"--max-connections", "3"});
    std::vector<int> held;
    for (int i = 0; i < 3; ++i) {
      held.push_back(connect_to(s.port));
      REQUIRE(held.back() >= 0);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    int extra = connect_to(s.port);
    REQUIRE(extra >= 0);
    send_all(extra, "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    CHECK(recv_for(extra, 600).empty());  // not taken yet
    ::close(held.back());
    held.pop_back();
    CHECK(recv_for(extra, 3000).rfind("HTTP/1.1 200", 0) == 0);  // taken once one ended
    ::close(extra);
    for (int fd : held) ::close(fd);
  }
  SUBCASE("accept failing with EMFILE backs off, logs little, and serves again once descriptors are free") {
    Server s(false, {"--max-connections", "1000", "--log-level", "info"}, 64);
    std::vector<int> held;
    for (int i = 0; i < 120; ++i) {
      int fd = connect_to(s.port);
      if (fd >= 0) held.push_back(fd);
    }
    std::this_thread::sleep_for(std::chrono::seconds(3));
    std::string log = s.log();
    std::size_t accept_lines = 0;
    for (std::size_t at = log.find("accept: "); at != std::string::npos; at = log.find("accept: ", at + 1))
      ++accept_lines;
    CHECK(accept_lines >= 1);  // it did run out
    CHECK(accept_lines <= 3);  // at most one line per 10 s
    for (int fd : held) ::close(fd);
    CHECK(eventually([&] { return request(s.port, "GET", "/healthz", "", {}, 1500).status == 200; }, 5000));
  }
}

TEST_CASE("bounded work per client: live feeds capped, free text bounded, metric labels bounded") {
  Server s(false, {"--max-live", "2"});
  setup(s);
  std::vector<int> feeds;
  for (int i = 0; i < 2; ++i) {
    feeds.push_back(connect_to(s.port));
    send_all(feeds.back(),
             "GET /v1/events/live?from=1 HTTP/1.1\r\nHost: x\r\nAuthorization: " + auth(s, "auditor") + "\r\n\r\n");
    CHECK(recv_for(feeds.back(), 500).rfind("HTTP/1.1 200", 0) == 0);
  }
  Resp third = s.get("/v1/events/live?from=1");
  CHECK(third.status == 503);
  CHECK(third.code() == "busy");
  for (int fd : feeds) ::close(fd);
  CHECK(eventually([&] {
    int fd = connect_to(s.port);
    send_all(fd, "GET /v1/events/live HTTP/1.1\r\nHost: x\r\nAuthorization: " + auth(s, "auditor") + "\r\n\r\n");
    bool ok = recv_for(fd, 300).rfind("HTTP/1.1 200", 0) == 0;
    ::close(fd);
    return ok;
  }));

  // Summaries, reasons and notes: 4,000 characters; report fields: 20,000.
  std::string at_limit;
  for (int i = 0; i < 4000; ++i) at_limit += "é";  // characters, not bytes
  CHECK(s.post("/v1/pairs/p1/sessions", session_body({.id = "long-ok", .minutes = 60, .summary = at_limit})).status ==
        201);
  Resp too_long =
      s.post("/v1/pairs/p1/sessions", session_body({.id = "long", .minutes = 60, .summary = at_limit + "x"}));
  CHECK(too_long.status == 400);
  CHECK(too_long.code() == "too_long");
  Resp reason = s.post("/v1/pairs/p1/sessions/s1/void", {{"reason", std::string(4001, 'r')}});
  CHECK(reason.code() == "too_long");
  json report = {
      {"language", "en"}, {"topics", {"strategy"}}, {"progress", std::string(20001, 'p')}, {"outcomes", "o"}};
  Resp rep = s.post("/v1/pairs/p1/report", report, "mentor");
  CHECK(rep.status == 400);
  CHECK(rep.code() == "too_long");
  report["progress"] = std::string(20000, 'p');
  CHECK(s.post("/v1/pairs/p1/report", report, "mentor").status == 201);

  // Made-up methods share one label.
  for (int i = 0; i < 40; ++i) request(s.port, "FOO" + std::to_string(i), "/v1/nothing-" + std::to_string(i));
  std::string metrics = request(s.port, "GET", "/metrics").body;
  CHECK(metrics.find("FOO") == std::string::npos);
  CHECK(metrics.find("nothing-") == std::string::npos);
  CHECK(metrics.find("method=\"other\"") != std::string::npos);
}

TEST_CASE("text is stored whole or refused, never cut; totals cannot wrap; a topic counts once") {
  Server s(false);
  setup(s);
  std::uint64_t head = s.head();
  // NUL and other control characters: refused with 400, nothing written.
  for (const std::string& bad :
       {std::string("visible\0HIDDEN", 14), std::string("a\x01z"), std::string("del\x7f"), std::string("c1\xc2\x85")}) {
    Resp r = s.post("/v1/pairs/p1/sessions", session_body({.id = "nul", .minutes = 60, .summary = bad}));
    CHECK(r.status == 400);
    CHECK(r.code() == "bad_request");
  }
  Resp nul_reason = s.post("/v1/pairs/p1/sessions/s1/void", {{"reason", std::string("\0x", 2)}});
  CHECK(nul_reason.status == 400);
  CHECK(s.head() == head);
  // Tab, newline and carriage return are text.
  CHECK(
      s.post("/v1/pairs/p1/sessions", session_body({.id = "tabs", .minutes = 60, .summary = "line one\r\n\tline two"}))
          .status == 201);
  json sess = s.get("/v1/pairs/p1", "coordinator").j()["sessions"];
  CHECK(sess.back()["summary"] == "line one\r\n\tline two");

  // Caps, minutes and amounts are bounded at write.
  json huge = programme_body({.id = "huge"});
  huge["hour_cap_minutes"] = 5000000000000000000LL;
  CHECK(s.post("/v1/programmes", huge).status == 400);
  huge = programme_body({.id = "huge"});
  huge["fee_cap_cents"] = 1000000000001LL;
  CHECK(s.post("/v1/programmes", huge).status == 400);
  CHECK(s.post("/v1/pairs/p1/sessions", session_body({.id = "big", .minutes = 10000001, .summary = "x"})).status ==
        400);
  Resp inv = s.post("/v1/pairs/p1/invoices",
                    {{"id", "ibig"},
                     {"number", "X"},
                     {"issue_date", "2026-03-31"},
                     {"net_cents", 5000000000000000000LL},
                     {"vat_cents", 0}},
                    "finance");
  CHECK(inv.status == 400);
  CHECK(s.post("/v1/invoices/i2/payments", {{"paid_date", "2026-04-01"}, {"amount_cents", 1000000000001LL}}, "finance")
            .status == 400);
  json counts = s.get("/v1/programmes/p").j()["counts"];
  CHECK(counts["minutes"].get<std::int64_t>() >= 0);

  // A topic named twice would count twice: refused.
  json dup = session_body({.id = "dup", .minutes = 60});
  dup["topics"] = {"strategy", "strategy", "strategy"};
  Resp d = s.post("/v1/pairs/p1/sessions", dup);
  CHECK(d.status == 400);
  CHECK(d.j()["error"]["message"].get<std::string>().find("twice") != std::string::npos);
  json dup_rules = programme_body({.id = "dup"});
  dup_rules["knowledge_areas"] = {"strategy", "strategy"};
  CHECK(s.post("/v1/programmes", dup_rules).status == 400);
}

TEST_CASE("a key given twice in a body is refused; dates are bounded; the dashboard is not framed") {
  Server s(false);
  setup(s);
  std::uint64_t head = s.head();
  std::string body = session_body({.id = "twice", .minutes = 60, .summary = "a"}).dump();
  body.insert(body.size() - 1, R"(,"summary":"b")");
  Resp r = request(s.port, "POST", "/v1/pairs/p1/sessions", body, {{"Authorization", auth(s, "coordinator")}});
  CHECK(r.status == 400);
  CHECK(r.code() == "bad_request");
  CHECK_MESSAGE(r.body.find(R"(gives \"summary\" twice)") != std::string::npos, r.body);
  // A business date or instant outside 1990-01-01 to 2099-12-31 is refused.
  for (const char* day : {"0001-01-01", "1989-12-31", "2100-01-01", "9999-12-31"}) {
    CAPTURE(day);
    json inv = invoice_body("iday", "D-1");
    inv["issue_date"] = day;
    Resp d = s.post("/v1/pairs/p2/invoices", inv, "finance");
    CHECK(d.status == 400);
    CHECK_MESSAGE(d.body.find("outside 1990-01-01 to 2099-12-31") != std::string::npos, d.body);
  }
  // The dashboard is not framed by another site, built or not.
  Resp page = request(s.port, "GET", "/");
  CHECK(page.headers["x-frame-options"] == "DENY");
  CHECK_MESSAGE(page.headers["content-security-policy"].find("frame-ancestors 'none'") != std::string::npos,
                page.headers["content-security-policy"]);
  json late = programme_body({.id = "late"});
  late["application_deadline"] = "9999-12-31T23:59:59Z";
  CHECK(s.post("/v1/programmes", late).status == 400);
  CHECK(s.head() == head);
}

TEST_CASE("verify: auditors and coordinators only, concurrent calls share a run, reads go on") {
  Server s(false);
  setup(s);
  CHECK(s.get("/v1/audit/verify", "mentor").status == 403);
  CHECK(s.get("/v1/audit/verify", "finance").status == 403);
  std::vector<std::thread> callers;
  std::atomic<int> ok{0};
  for (int i = 0; i < 12; ++i)
    callers.emplace_back([&] {
      if (s.get("/v1/audit/verify", "auditor").j()["ok"] == true) ++ok;
    });
  Resp read = s.get("/v1/programmes/p/pairs", "coordinator");
  for (auto& t : callers) t.join();
  CHECK(ok == 12);
  CHECK(read.status == 200);
  CHECK(request(s.port, "GET", "/healthz").status == 200);
}

TEST_CASE("If-Match versions and session texts come from the snapshot the answer is built from") {
  Server s(false);
  setup(s);
  json before = s.get("/v1/pairs/p1", "coordinator").j();
  std::uint64_t at = before["position"];
  std::uint64_t version = before["stream_version"];
  REQUIRE(s.post("/v1/pairs/p1/sessions", session_body({.id = "later", .minutes = 60})).status == 201);
  json now = s.get("/v1/pairs/p1", "coordinator").j();
  CHECK(now["stream_version"] == version + 1);
  json then = s.get("/v1/pairs/p1?at=" + std::to_string(at), "coordinator").j();
  CHECK(then["stream_version"] == version);
  CHECK(then["sessions"].size() == before["sessions"].size());
  CHECK(then["sessions"][0]["summary"] == "Summary of p1");
  // The version answered is the one If-Match takes.
  Resp stale = s.post("/v1/pairs/p1/sessions", session_body({.id = "stale", .minutes = 60}), "coordinator",
                      {{"If-Match", "\"" + std::to_string(version) + "\""}});
  CHECK(stale.status == 409);
  Resp fresh = s.post("/v1/pairs/p1/sessions", session_body({.id = "fresh", .minutes = 60}), "coordinator",
                      {{"If-Match", "\"" + std::to_string(version + 1) + "\""}});
  CHECK(fresh.status == 201);
  json inv = s.get("/v1/invoices/i2?at=" + std::to_string(at), "finance").j();
  CHECK(inv["stream_version"] == 1);
}

TEST_CASE("oversized bodies on many connections at once are each answered 413") {
  Server s(false);
  std::vector<std::thread> ts;
  std::atomic<int> answered{0};
  for (int i = 0; i < 6; ++i)
    ts.emplace_back([&] {
      std::string big(2 << 20, 'x');
      Resp r = request(s.port, "POST", "/v1/programmes", big, {{"Authorization", auth(s, "coordinator")}});
      if (r.status == 413) ++answered;
    });
  for (auto& t : ts) t.join();
  CHECK(answered == 6);
}

TEST_CASE("files are the owner's alone; a backup can share no file with the ledger") {
  TempDir dir;
  std::string data = dir.sub("data");
  REQUIRE(run_ledger({"demo", "--data", data}) == 0);
  CHECK(mode_of(data) == 0700);
  CHECK(mode_of(data + "/ledger") == 0700);
  int files = 0;
  for (auto& e : fs::recursive_directory_iterator(data)) {
    if (!e.is_regular_file()) continue;
    ++files;
    CHECK_MESSAGE((mode_of(e.path()) & 077) == 0, e.path());
  }
  CHECK(files > 5);
  std::string out;
  REQUIRE(run_ledger({"backup", "--data", data, "--to", dir.sub("linked")}, &out) == 0);
  json linked = json::parse(out);
  CHECK(linked["independent"] == false);
  CHECK(linked["hard_linked_files"].get<int>() > 0);
  REQUIRE(run_ledger({"backup", "--data", data, "--to", dir.sub("copied"), "--copy"}, &out) == 0);
  json copied = json::parse(out);
  CHECK(copied["independent"] == true);
  CHECK(copied["ok"] == true);
  for (auto& e : fs::recursive_directory_iterator(dir.sub("copied"))) {
    struct stat st {};
    ::stat(e.path().c_str(), &st);
    if (e.is_regular_file()) CHECK_MESSAGE(st.st_nlink == 1, e.path());
  }
  CHECK(run_ledger({"verify", "--data", dir.sub("copied")}) == 0);
}

namespace {

// The write-ahead log files of a store.
std::vector<fs::path> wal_files(const std::string& store) {
  std::vector<fs::path> out;
  for (auto& e : fs::directory_iterator(store))
    if (e.path().extension() == ".log" && fs::file_size(e.path()) > 0) out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

// A ledger killed with -9 after acknowledged commands: its events are in the
// write-ahead log only. Returns the data directory and the acknowledged head.
std::pair<std::string, std::uint64_t> killed_ledger(const TempDir& dir) {
  Server s(false);
  REQUIRE(s.post("/v1/programmes", programme_body({.id = "p"})).status == 201);
  for (int i = 0; i < 20; ++i)
    REQUIRE(s.post("/v1/programmes/p/mentees", {{"id", "m" + std::to_string(i)},
                                                {"name", "N"},
                                                {"cluster_name", "C"},
                                                {"sectors", "s"},
                                                {"country", "TN"}})
                .status == 201);
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  REQUIRE(s.post("/v1/programmes/p/mentees",
                 {{"id", "last"}, {"name", "N"}, {"cluster_name", "C"}, {"sectors", "s"}, {"country", "TN"}})
              .status == 201);
  std::uint64_t head = s.head();
  // The writer marks the last commits once idle (200 ms).
  std::this_thread::sleep_for(std::chrono::milliseconds(600));
  s.stop(SIGKILL);
  std::string copy = dir.sub("copy");
  fs::copy(s.data(), copy, fs::copy_options::recursive);
  return {copy, head};
}

}  // namespace

TEST_CASE("a damaged write-ahead log stops the ledger from opening; only a torn tail is dropped") {
  TempDir dir;
  SUBCASE("a flipped byte inside the log") {
    auto [data, head] = killed_ledger(dir);
    auto wals = wal_files(data + "/ledger");
    REQUIRE(!wals.empty());
    {
      std::fstream f(wals.back(), std::ios::in | std::ios::out | std::ios::binary);
      auto size = static_cast<std::streamoff>(fs::file_size(wals.back()));
      f.seekg(size / 2);
      char c = 0;
      f.read(&c, 1);
      c = static_cast<char>(c ^ 0x40);
      f.seekp(size / 2);
      f.write(&c, 1);
    }
    std::string out;
    CHECK(run_ledger({"verify", "--data", data}, &out, true) == 1);
    CHECK_MESSAGE(out.find("damaged") != std::string::npos, out);
    CHECK_MESSAGE(out.find("backup") != std::string::npos, out);
    CHECK(run_ledger({"serve", "--data", data, "--listen", "127.0.0.1:0"}, &out, true) == 1);
    CHECK_MESSAGE(out.find("damaged") != std::string::npos, out);
  }
  SUBCASE("a truncated log: caught by the durable-head mark") {
    auto [data, head] = killed_ledger(dir);
    auto wals = wal_files(data + "/ledger");
    REQUIRE(!wals.empty());
    fs::resize_file(wals.back(), fs::file_size(wals.back()) * 2 / 3);
    std::string out;
    CHECK(run_ledger({"serve", "--data", data, "--listen", "127.0.0.1:0"}, &out, true) == 1);
    CHECK_MESSAGE(out.find("acknowledged events were lost") != std::string::npos, out);
    CHECK(run_ledger({"verify", "--data", data}, &out) == 2);
    json rep = json::parse(out);
    CHECK(rep["problem"] == "head_mismatch");
    CHECK_MESSAGE(
        rep["detail"].get<std::string>().find("acknowledged position " + std::to_string(head)) != std::string::npos,
        rep.dump());
  }
  SUBCASE("a torn tail (a write cut short, never acknowledged) is dropped; every acknowledged event stays") {
    auto [data, head] = killed_ledger(dir);
    auto wals = wal_files(data + "/ledger");
    REQUIRE(!wals.empty());
    {
      // The first bytes of a record header, then nothing: a write cut short.
      std::ofstream f(wals.back(), std::ios::binary | std::ios::app);
      f.write("\x12\x34\x56", 3);
    }
    std::string out;
    CHECK(run_ledger({"verify", "--data", data}, &out) == 0);
    CHECK(json::parse(out)["checked"] == head);
  }
}

TEST_CASE("a read that fails midway: the export is cut so that a client sees it, /healthz says why") {
  Server s(true);
  std::uint64_t head = s.head();
  REQUIRE(s.stop(SIGTERM) == 0);  // a clean stop: every event is in table files now
  // The events' table file: the largest one.
  fs::path sst;
  for (auto& e : fs::directory_iterator(s.data() + "/ledger"))
    if (e.path().extension() == ".sst" && (sst.empty() || fs::file_size(e.path()) > fs::file_size(sst))) sst = e.path();
  REQUIRE(!sst.empty());
  auto damage = [](const fs::path& file) {
    std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(200);
    f.write("\xff\xfe\xfd\xfc", 4);
  };

  // The same damage on a copy: the command line export exits non-zero.
  std::string copy = s.dir().sub("copy");
  fs::copy(s.data(), copy, fs::copy_options::recursive);
  damage(fs::path(copy) / "ledger" / sst.filename());
  std::string out;
  CHECK(run_ledger({"export", "--data", copy, "--format", "ndjson"}, &out) == 1);

  // Under a running server.
  s.start();
  REQUIRE(request(s.port, "GET", "/healthz").status == 200);
  damage(sst);
  for (std::string format : {"ndjson", "csv"}) {
    Resp cut = s.get("/v1/audit/export?format=" + format);
    CHECK(cut.status == 200);   // the head went out before the damage was met
    CHECK_FALSE(cut.complete);  // but never the last chunk: the client knows it is short
  }
  Resp health = request(s.port, "GET", "/healthz");
  CHECK(health.status == 503);
  CHECK(health.j()["status"] == "failing");
  CHECK(health.j()["reason"].get<std::string>().find("export") != std::string::npos);
  CHECK(head > 0);
}
