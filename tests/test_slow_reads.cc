// The background lanes of slow reads, against the real binary: a filtered page
// of /v1/events is scanned on the as-of lane, never on an I/O thread; a verify
// that finds the audit lane full answers 503 busy with Retry-After, as a pack
// does, and a pack that its client is slow to read holds no lane.
#include <doctest/doctest.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <regex>
#include <thread>

#include "fixtures.h"

using namespace pl;
using namespace pl::test;

namespace {

// A counter of GET /metrics: `name{lane="<lane>"}`.
std::uint64_t lane_metric(const Server& s, const std::string& name, const std::string& lane) {
  Resp m = request(s.port, "GET", "/metrics");
  REQUIRE(m.status == 200);
  std::smatch got;
  std::regex line(name + "\\{lane=\"" + lane + "\"\\} ([0-9]+)");
  REQUIRE_MESSAGE(std::regex_search(m.body, got, line), name << " for " << lane << " is not in /metrics");
  return std::stoull(got[1]);
}

// The value of the metric `name` (a line without labels).
std::uint64_t metric(const Server& s, const std::string& name) {
  Resp m = request(s.port, "GET", "/metrics");
  REQUIRE(m.status == 200);
  std::smatch got;
  std::regex line("\n" + name + " ([0-9]+)");
  REQUIRE_MESSAGE(std::regex_search(m.body, got, line), name << " is not in /metrics");
  return std::stoull(got[1]);
}

// A GET sent on a connection of its own and not read: the caller reads it, or
// closes it unread.
int send_get(const Server& s, const std::string& target, const std::string& role) {
  int fd = connect_to(s.port);
  REQUIRE(fd >= 0);
  REQUIRE(send_all(fd, "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nAuthorization: Bearer " +
                           s.tokens.at(role) + "\r\n\r\n"));
  return fd;
}

// The answer on `fd` (read until the server closes), then closed.
Resp answer(int fd) {
  bool closed = false;
  std::string raw;
  while (!closed) {
    std::string got = recv_for(fd, 30000, &closed);
    if (got.empty() && !closed) break;  // 30 s without a byte
    raw += got;
  }
  ::close(fd);
  Resp r;
  parse_response(raw, &r, true);
  return r;
}

}  // namespace

TEST_CASE("a filtered page of /v1/events is scanned on the as-of lane; an unfiltered page on the I/O thread") {
  Server s;
  // The snapshots prepared at start run on the same lane: counted from when
  // they are done, the lane's jobs are the requests' alone.
  for (int i = 0; i < 600 && metric(s, "ledger_asof_prepared") != 1; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  REQUIRE(metric(s, "ledger_asof_prepared") == 1);
  std::uint64_t before = lane_metric(s, "ledger_worker_jobs_total", "asof");
  // Each filter, and a mentor's page (filtered to its own streams).
  for (std::string target : {"/v1/events?type=SessionLogged&limit=5", "/v1/events?stream=programme-tnst-2019",
                             "/v1/events?from=1&type=InvoicePaid&stream=nope"}) {
    Resp page = s.get(target, "auditor");
    REQUIRE_MESSAGE(page.status == 200, target << ": " << page.body);
    std::uint64_t after = lane_metric(s, "ledger_worker_jobs_total", "asof");
    CHECK_MESSAGE(after == before + 1, target);
    before = after;
  }
  Resp mine = s.get("/v1/events?limit=5", "mentor");
  REQUIRE(mine.status == 200);
  CHECK(lane_metric(s, "ledger_worker_jobs_total", "asof") == before + 1);
  ++before;
  // An unfiltered page reads at most its limit: no lane.
  Resp plain = s.get("/v1/events?limit=50", "auditor");
  REQUIRE(plain.status == 200);
  CHECK(plain.j()["events"].size() == 50);
  CHECK(lane_metric(s, "ledger_worker_jobs_total", "asof") == before);
}

TEST_CASE("verify while packs are built answers 503 busy with Retry-After; a pack read slowly holds no lane") {
  Server s;
  std::uint64_t head = s.head();
  // A pack whose download is not read: built into a file, then sent from it.
  // Once its answer has begun (its build is over), its client reads nothing
  // more, and the audit lane is free all the same.
  int slow = send_get(s, "/v1/audit/pack", "auditor");
  std::string begun;
  while (begun.find("\r\n\r\n") == std::string::npos) {
    char buf[4096];
    pollfd p{slow, POLLIN, 0};
    REQUIRE_MESSAGE(::poll(&p, 1, 60000) == 1, "the pack's answer did not begin within a minute");
    ssize_t n = ::recv(slow, buf, sizeof buf, 0);
    REQUIRE_MESSAGE(n > 0, "the pack's answer did not begin");
    begun.append(buf, static_cast<std::size_t>(n));
  }
  REQUIRE(begun.rfind("HTTP/1.1 200", 0) == 0);
  {
    Resp verify = s.get("/v1/audit/verify", "auditor");
    REQUIRE_MESSAGE(verify.status == 200, verify.body);
    CHECK(verify.j()["ok"] == true);
  }
  // Two packs asked at once fill the lane (one built, one waiting): a verify
  // asked meanwhile is refused as busy, never "the server is stopping". The
  // builds are quick, so the three are asked again until a verify lands while
  // the lane is full.
  std::uint64_t refused_before = lane_metric(s, "ledger_worker_refused_total", "verify");
  int busy_seen = 0;
  for (int round = 0; round < 100 && busy_seen == 0; ++round) {
    int a = send_get(s, "/v1/audit/pack?at=" + std::to_string(head), "auditor");
    int b = send_get(s, "/v1/audit/pack?at=" + std::to_string(head), "coordinator");
    Resp verify = answer(send_get(s, "/v1/audit/verify", "auditor"));
    for (int fd : {a, b}) {
      Resp pack = answer(fd);
      if (pack.status == 503) {
        CHECK(pack.code() == "busy");
        CHECK(pack.headers["retry-after"] == "5");
      } else {
        CHECK(pack.status == 200);
      }
    }
    if (verify.status == 200) continue;  // the lane had room
    INFO(verify.body);
    CHECK(verify.status == 503);
    CHECK(verify.code() == "busy");
    CHECK(verify.j()["error"]["message"].get<std::string>().find("stopping") == std::string::npos);
    CHECK(verify.headers["retry-after"] == "5");
    ++busy_seen;
  }
  REQUIRE_MESSAGE(busy_seen > 0, "no verify found the audit lane full in 100 rounds");
  CHECK(lane_metric(s, "ledger_worker_refused_total", "verify") > refused_before);
  // Once the packs are out, verify runs again.
  Resp again = s.get("/v1/audit/verify", "auditor");
  CHECK(again.status == 200);
  ::close(slow);
}
