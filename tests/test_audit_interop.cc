// The audit log's Merkle tree, signed checkpoints and proofs, checked by the
// Go reference code of the formats (golang.org/x/mod/sumdb/note and tlog) in
// tests/interop/tlogcheck.go, against the real `ledger serve` on loopback.
#include <doctest/doctest.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <thread>

#include "base/build_paths.h"
#include "fixtures.h"

using namespace pl::test;

namespace {

// Runs a shell command; returns its exit status, with its standard output
// and standard error in `out`.
int sh(const std::string& cmd, std::string* out) {
  FILE* p = ::popen((cmd + " 2>&1").c_str(), "r");
  if (!p) return -1;
  out->clear();
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out->append(buf, n);
  int st = ::pclose(p);
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

std::string quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  while (!s.empty() && (s.front() == '\n' || s.front() == ' ')) s.erase(0, 1);
  return s;
}

// Go 1.19 in GOPATH mode finds Debian's golang.org/x/mod in /usr/share/gocode;
// nothing is fetched (GOPROXY=off).
std::string go_env(const std::string& cache) {
  return "GOPATH=/usr/share/gocode GO111MODULE=off GOPROXY=off GOFLAGS= CGO_ENABLED=0 GOCACHE=" + quote(cache) + " ";
}

// The tree size of the current checkpoint (its second line), 0 if none.
std::uint64_t checkpoint_size(const Server& s) {
  Resp r = request(s.port, "GET", "/v1/audit/checkpoint");
  if (r.status != 200) return 0;
  auto a = r.body.find('\n');
  if (a == std::string::npos) return 0;
  auto b = r.body.find('\n', a + 1);
  if (b == std::string::npos) return 0;
  try {
    return std::stoull(r.body.substr(a + 1, b - a - 1));
  } catch (...) {
    return 0;
  }
}

// Waits (up to 10 s) until the checkpoint covers every event written.
bool checkpoint_reaches_head(const Server& s) {
  for (int i = 0; i < 100; ++i) {
    if (checkpoint_size(s) == s.head()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

// Next to the demonstration data: a programme "interop" with mentee
// interop-m1, mentor interop-e1 and their active pair interop-p1.
void open_pair(const Server& s) {
  set_up_pair(s, {.programme = {.id = "interop"},
                  .mentee = {.id = "interop-m1", .website = ""},
                  .mentor = {.application = "interop-a1", .mentor = "interop-e1", .email = "luca@example.org"},
                  .pair = {.id = "interop-p1"}});
}

void log_sessions(const Server& s, int from, int count) {
  for (int i = from; i < from + count; ++i) {
    Resp r =
        s.post("/v1/pairs/interop-p1/sessions", session_body({.id = "interop-s" + std::to_string(i), .minutes = 30}));
    REQUIRE_MESSAGE(r.status == 201, r.body);
  }
}

}  // namespace

TEST_CASE("checkpoints and proofs pass the Go reference checks (golang.org/x/mod/sumdb note and tlog)") {
  Server s;  // the demonstration data
  TempDir tmp;
  std::string out;

  // The verifier key: /v1/audit/key, without a token; exactly one current key,
  // named by the origin.
  Resp k = request(s.port, "GET", "/v1/audit/key");
  REQUIRE_MESSAGE(k.status == 200, k.body);
  json kj = k.j();
  REQUIRE(kj.is_object());
  REQUIRE(kj["origin"].is_string());
  REQUIRE(kj["keys"].is_array());
  std::string origin = kj["origin"];
  std::string vkey;
  int current = 0;
  for (const json& key : kj["keys"]) {
    REQUIRE(key["verifier"].is_string());
    if (key.value("current", false)) {
      ++current;
      vkey = key["verifier"];
    }
  }
  REQUIRE_MESSAGE(current == 1, k.body);
  CHECK_MESSAGE(vkey.rfind(origin + "+", 0) == 0, "the key's name is not the origin: ", vkey);

  // The checker, built once.
  std::string tool = tmp.sub("tlogcheck");
  std::string env = go_env(tmp.sub("go-cache"));
  REQUIRE_MESSAGE(sh(env + quote(pl::build_paths::go_program) + " build -o " + quote(tool) + " " +
                         quote(pl::build_paths::tlogcheck_src),
                     &out) == 0,
                  out);
  std::string run = "LEDGER_TOKEN=" + quote(s.tokens.at("auditor")) + " " + quote(tool) + " ";
  std::string url = "http://127.0.0.1:" + std::to_string(s.port);
  std::string keys = vkey;  // the verifier keys the checker is given
  auto tlogcheck = [&](const std::string& cmd, const std::string& arg) {
    int rc = sh(run + cmd + " " + quote(url) + " " + quote(keys) + " " + quote(arg), &out);
    MESSAGE("tlogcheck " << cmd << ":\n" << out);
    return rc;
  };

  // The demonstration log, signed.
  REQUIRE(checkpoint_reaches_head(s));
  std::uint64_t demo_size = s.head();
  REQUIRE(demo_size > 0);
  std::string first = tmp.sub("checkpoint-demo");
  REQUIRE(tlogcheck("checkpoint", first) == 0);
  CHECK(read_file(first).find(origin + "\n" + std::to_string(demo_size) + "\n") == 0);

  // More events; proofs in the grown tree and at an earlier size, and the
  // grown tree extends the demonstration one.
  open_pair(s);
  log_sessions(s, 1, 7);
  REQUIRE(checkpoint_reaches_head(s));
  REQUIRE(s.head() > demo_size);
  CHECK(tlogcheck("inclusion", "24") == 0);
  CHECK(tlogcheck("consistency", first) == 0);

  // A few more, from a size that is not the demonstration's.
  std::string second = tmp.sub("checkpoint-second");
  REQUIRE(tlogcheck("checkpoint", second) == 0);
  log_sessions(s, 8, 3);
  REQUIRE(checkpoint_reaches_head(s));
  CHECK(tlogcheck("consistency", second) == 0);
  CHECK(tlogcheck("consistency", first) == 0);
  CHECK(tlogcheck("inclusion", "8") == 0);

  // The key of another log is refused (the checker also tries a key of the
  // same name that did not sign, made by the Go code).
  {
    Server other(false);
    Resp ok = request(other.port, "GET", "/v1/audit/key");
    REQUIRE(ok.status == 200);
    json okj = ok.j();
    REQUIRE(okj["keys"].is_array());
    std::string other_key;
    for (const json& key : okj["keys"])
      if (key.value("current", false)) other_key = key.value("verifier", std::string());
    REQUIRE(!other_key.empty());
    CHECK(other_key != vkey);
    CHECK(sh(run + "checkpoint " + quote(url) + " " + quote(other_key) + " " + quote(tmp.sub("x")), &out) == 1);
    CHECK_MESSAGE(out.find("note.Open") != std::string::npos, out);
  }

  // The same key from the command line (its standard output), once the
  // server has let go of its data directory.
  CHECK(s.stop(SIGTERM) == 0);
  REQUIRE(run_ledger({"key", "show", "--data", s.data()}, &out) == 0);
  CHECK(trim(out) == vkey);

  // A new signing key (server stopped): the old verifier key stays listed,
  // no longer current; checkpoints are signed with the new one, and the tree
  // signed before the rotation is extended by the one signed after it.
  REQUIRE(run_ledger({"key", "rotate", "--data", s.data()}, &out) == 0);
  s.start();
  url = "http://127.0.0.1:" + std::to_string(s.port);
  Resp k2 = request(s.port, "GET", "/v1/audit/key");
  REQUIRE_MESSAGE(k2.status == 200, k2.body);
  json k2j = k2.j();
  REQUIRE(k2j["keys"].is_array());
  CHECK(k2j["origin"] == origin);
  std::string new_key;
  bool old_listed = false;
  current = 0;
  for (const json& key : k2j["keys"]) {
    if (key.value("current", false)) {
      ++current;
      new_key = key.value("verifier", std::string());
    } else if (key.value("verifier", std::string()) == vkey) {
      old_listed = true;
    }
  }
  REQUIRE_MESSAGE(current == 1, k2.body);
  CHECK(new_key != vkey);
  CHECK_MESSAGE(old_listed, k2.body);
  log_sessions(s, 11, 2);
  REQUIRE(checkpoint_reaches_head(s));
  keys = new_key;
  CHECK(tlogcheck("checkpoint", tmp.sub("checkpoint-rotated")) == 0);
  CHECK(tlogcheck("inclusion", "8") == 0);
  keys = vkey;
  CHECK(tlogcheck("checkpoint", tmp.sub("x")) == 1);  // the current key alone signs
  keys = vkey + "," + new_key;
  CHECK(tlogcheck("consistency", second) == 0);
  CHECK(s.stop(SIGTERM) == 0);
  REQUIRE(run_ledger({"key", "show", "--data", s.data()}, &out) == 0);
  CHECK(trim(out) == new_key);
}
