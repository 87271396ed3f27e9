// What one client, one token or a stalled upload may hold of the server, and
// what a removed token keeps: end to end, against the real `ledger serve` on
// loopback. Also the shutdown with sessions of every kind open (run under
// AddressSanitizer in build-asan/).
#include <doctest/doctest.h>
#include <rocksdb/db.h>

#include <thread>

#include "evidence_util.h"
#include "fixtures.h"
#include "log/store.h"

using namespace pl::test;

namespace {

constexpr std::size_t kMiB = 1 << 20;

template <typename F>
bool eventually(F ok, int ms = 3000) {
  for (int waited = 0; waited <= ms; waited += 100) {
    if (ok()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

std::string pdf(std::size_t n, unsigned seed) { return "%PDF-1.7\n" + random_bytes(n - 9, seed); }

// The head of an upload of `length` bytes of PDF with `token`.
std::string upload_head(const std::string& token, std::size_t length, bool expect_continue = false) {
  std::string h =
      "POST /v1/evidence HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAuthorization: Bearer " + token +
      "\r\nContent-Type: application/pdf\r\nX-Filename: doc.pdf\r\nContent-Length: " + std::to_string(length) + "\r\n";
  if (expect_continue) h += "Expect: 100-continue\r\n";
  return h + "\r\n";
}

// An upload begun on its own connection: the header sent, and taken (its
// slot held) once the server answers 100 Continue. The body is not sent.
int begin_upload(const Server& s, const std::string& role, std::size_t length) {
  int fd = connect_to(s.port);
  REQUIRE(fd >= 0);
  send_all(fd, upload_head(s.tokens.at(role), length, true));
  std::string got = recv_for(fd, 3000);
  REQUIRE_MESSAGE(got.rfind("HTTP/1.1 100", 0) == 0, got);
  return fd;
}

// A whole upload on its own connection.
Resp upload(const Server& s, const std::string& role, const std::string& body) {
  int fd = connect_to(s.port);
  REQUIRE(fd >= 0);
  std::thread sender([&] { send_all(fd, upload_head(s.tokens.at(role), body.size()) + body); });
  std::string raw = recv_for(fd, 30000);
  sender.join();
  ::close(fd);
  Resp r;
  parse_response(raw, &r, true);
  return r;
}

// Keys of the evidence column family that begin with `prefix`, in the store
// of a stopped server.
std::size_t evidence_keys(const Server& s, char prefix) {
  pl::StoreOptions o;
  o.read_only = true;
  o.create_if_missing = false;
  auto store = pl::Store::open(s.data() + "/ledger", o);
  REQUIRE_MESSAGE(store.is_ok(), store.status().to_string());
  std::size_t n = 0;
  std::unique_ptr<rocksdb::Iterator> it(
      (*store)->raw_db()->NewIterator(rocksdb::ReadOptions(), (*store)->cf_evidence()));
  for (it->Seek(std::string(1, prefix)); it->Valid() && it->key()[0] == prefix; it->Next()) ++n;
  return n;
}

// A connection that asked for /healthz, kept alive, and got its answer: it
// now waits, idle, for its next request.
int idle_keep_alive(int port) {
  int fd = connect_to(port);
  REQUIRE(fd >= 0);
  send_all(fd, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
  std::string got = recv_for(fd, 500);
  REQUIRE(got.rfind("HTTP/1.1 200", 0) == 0);
  return fd;
}

}  // namespace

TEST_CASE("a live feed ends when its token is removed, and carries nothing written after") {
  Server s(false);
  std::string out;
  REQUIRE(run_ledger({"token", "add", "--data", s.data(), "--name", "watcher", "--role", "auditor"}, &out) == 0);
  std::string watcher = out.substr(0, out.find('\n'));
  REQUIRE(eventually([&] {
    return request(s.port, "GET", "/v1/me", "", {{"Authorization", "Bearer " + watcher}}).status == 200;
  }));
  int feed = connect_to(s.port);
  REQUIRE(feed >= 0);
  send_all(feed, "GET /v1/events/live?from=1 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + watcher + "\r\n\r\n");
  REQUIRE(recv_for(feed, 500).rfind("HTTP/1.1 200", 0) == 0);

  REQUIRE(run_ledger({"token", "list", "--data", s.data()}, &out) == 0);
  std::string id;
  json listed = json::parse(out);
  for (auto& t : listed["tokens"])
    if (t["name"] == "watcher") id = t["id"].get<std::string>();
  REQUIRE_MESSAGE(!id.empty(), out);
  REQUIRE_MESSAGE(run_ledger({"token", "remove", "--data", s.data(), id}, &out, true) == 0, out);
  // Once other requests see it removed, an event is written with another
  // token: the feed must not carry it, and must end.
  REQUIRE(eventually([&] {
    return request(s.port, "GET", "/v1/me", "", {{"Authorization", "Bearer " + watcher}}).status == 401;
  }));
  open_programme(s);
  REQUIRE(s.head() >= 1);
  bool closed = false;
  std::string after = recv_for(feed, 5000, &closed);
  ::close(feed);
  CHECK(closed);
  CHECK(after.find("id: ") == std::string::npos);
  CHECK(s.log().find("was removed or changed") != std::string::npos);
}

TEST_CASE("at the connection cap an idle keep-alive connection gives way; one address holds its share") {
  SUBCASE("a new client is served in place of an idle one") {
    Server s(false, {"--max-connections", "4", "--max-connections-per-client", "4"});
    std::vector<int> idle;
    for (int i = 0; i < 4; ++i) idle.push_back(idle_keep_alive(s.port));
    int fresh = connect_to(s.port);
    REQUIRE(fresh >= 0);
    send_all(fresh, "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    // Well before the idle timeout (30 s) would have freed a place.
    CHECK(recv_for(fresh, 5000).rfind("HTTP/1.1 200", 0) == 0);
    ::close(fresh);
    std::size_t gone = 0;
    for (int fd : idle) {
      bool closed = false;
      recv_for(fd, 100, &closed);
      gone += closed ? 1 : 0;
      ::close(fd);
    }
    CHECK(gone >= 1);
  }
  SUBCASE("connections that never sent a request are not idle: a new one waits") {
    Server s(false, {"--max-connections", "2", "--max-connections-per-client", "4"});
    int a = connect_to(s.port), b = connect_to(s.port);
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    int c = connect_to(s.port);
    send_all(c, "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    CHECK(recv_for(c, 600).empty());
    ::close(a);
    CHECK(recv_for(c, 3000).rfind("HTTP/1.1 200", 0) == 0);
    ::close(b);
    ::close(c);
  }
  SUBCASE("past its share, an address is answered 429 too_many_connections") {
    Server s(false, {"--max-connections", "20", "--max-connections-per-client", "2"});
    int a = connect_to(s.port), b = connect_to(s.port);
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    Resp third = request(s.port, "GET", "/healthz");
    CHECK(third.status == 429);
    CHECK(third.code() == "too_many_connections");
    CHECK(third.headers.count("retry-after") == 1);
    ::close(a);
    CHECK(eventually([&] { return request(s.port, "GET", "/healthz").status == 200; }));
    ::close(b);
  }
}

TEST_CASE("uploads in progress are capped per token and in all") {
  Server s(false, {"--max-uploads-per-token", "1", "--max-uploads", "2"});
  std::string doc = pdf(4096, 1);
  int first = begin_upload(s, "finance", doc.size());
  Resp same_token = upload(s, "finance", pdf(2048, 2));
  CHECK(same_token.status == 429);
  CHECK(same_token.code() == "too_many_uploads");
  CHECK(same_token.headers.count("retry-after") == 1);
  int second = begin_upload(s, "coordinator", doc.size());
  Resp over_all = upload(s, "controller", pdf(2048, 3));
  CHECK(over_all.status == 503);
  CHECK(over_all.code() == "busy");
  CHECK(over_all.headers.count("retry-after") == 1);

  // The first ends: its token may upload again.
  send_all(first, doc);
  Resp done;
  parse_response(recv_for(first, 10000), &done, true);
  ::close(first);
  CHECK(done.status == 201);
  CHECK(eventually([&] { return upload(s, "finance", pdf(2048, 4)).status == 201; }));
  ::close(second);
}

TEST_CASE("an upload that stalls is cut off at --upload-timeout and nothing of it is kept") {
  Server s(false, {"--upload-timeout", "3", "--max-uploads-per-token", "1"});
  int fd = connect_to(s.port);
  REQUIRE(fd >= 0);
  // More than a piece of the store (1 MiB) arrives, then a byte now and
  // then: never idle for --idle-timeout, but far too slow.
  std::string body = pdf(3 * kMiB, 5);
  REQUIRE(send_all(fd, upload_head(s.tokens.at("finance"), body.size()) + body.substr(0, 3 * kMiB / 2)));
  bool closed = false;
  std::string answer;
  for (std::size_t at = 3 * kMiB / 2; at < body.size() && !closed; ++at) {
    answer += recv_for(fd, 500, &closed);
    if (!closed && !send_all(fd, body.substr(at, 1))) closed = true;
    if (at - 3 * kMiB / 2 > 40) break;  // 20 s: long past the deadline
  }
  if (!closed) answer += recv_for(fd, 1000, &closed);
  ::close(fd);
  CHECK(closed);
  if (!answer.empty()) CHECK(answer.find("upload_timeout") != std::string::npos);
  // Its slot is free again, and its pieces are gone.
  CHECK(eventually([&] { return upload(s, "finance", pdf(2048, 6)).status == 201; }));
  CHECK(s.log().find("body cut") != std::string::npos);
  REQUIRE(s.stop() == 0);
  CHECK(evidence_keys(s, 'p') == 0);  // no upload left unfinished
  CHECK(evidence_keys(s, 'c') == 1);  // the one piece of the small document
}

TEST_CASE("a document of several MiB is sent in pieces, whole and byte-exact") {
  Server s(false);
  std::string doc = pdf(6 * kMiB + 12345, 7);
  Resp up = upload(s, "finance", doc);
  REQUIRE(up.status == 201);
  std::string hex = up.j()["sha256"];
  CHECK(hex == evp_sha256_hex(doc));
  Resp back =
      request(s.port, "GET", "/v1/evidence/" + hex, "", {{"Authorization", "Bearer " + s.tokens.at("auditor")}}, 30000);
  REQUIRE(back.status == 200);
  // Streamed: chunked, and whole only with its last chunk.
  CHECK(back.headers["transfer-encoding"] == "chunked");
  CHECK(back.complete);
  CHECK(back.body.size() == doc.size());
  CHECK(evp_sha256_hex(back.body) == hex);
  CHECK(back.body == doc);
  CHECK(back.headers["cache-control"] == "private, no-store");
}

TEST_CASE("shutdown with sessions of every kind open ends cleanly") {
  Server s(false, {"--log-level", "info"});
  std::vector<int> fds;
  for (int i = 0; i < 8; ++i) fds.push_back(idle_keep_alive(s.port));
  for (int i = 0; i < 4; ++i) fds.push_back(connect_to(s.port));  // nothing sent
  for (int i = 0; i < 3; ++i) {
    int fd = connect_to(s.port);
    send_all(fd, "GET /v1/events/live?from=1 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + s.tokens.at("auditor") +
                     "\r\n\r\n");
    REQUIRE(recv_for(fd, 500).rfind("HTTP/1.1 200", 0) == 0);
    fds.push_back(fd);
  }
  for (const char* role : {"finance", "coordinator"}) {
    int fd = begin_upload(s, role, 2 * kMiB);
    send_all(fd, pdf(kMiB + 100, 8));  // a piece stored, the rest never sent
    fds.push_back(fd);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  CHECK(s.stop(SIGTERM) == 0);
  std::string log = s.log();
  CHECK(log.find("AddressSanitizer") == std::string::npos);
  CHECK(log.find("stopped; head") != std::string::npos);
  for (int fd : fds) ::close(fd);
  CHECK(evidence_keys(s, 'p') == 0);
}
