// The auditor's witness (ledger audit watch) against a real server: it keeps
// the checkpoints it saw, and catches a ledger rolled back to an old backup
// and one rewritten by an operator who holds the signing key, recomputed
// every later hash and every tree node, and removed the durable-head mark.
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <thread>

#include "fixtures.h"
#include "log/note.h"
#include "log/store.h"
#include "log/store_format.h"

using namespace pl;
using namespace pl::test;

namespace {

struct Watch {
  int rc = 0;
  std::string out;  // standard output and error
};

Watch watch(const Server& s, const std::string& key, const std::string& state) {
  Watch w;
  w.rc = run_ledger(
      {"audit", "watch", "--url", "http://127.0.0.1:" + std::to_string(s.port), "--key", key, "--state", state}, &w.out,
      true);
  return w;
}

std::string verifier_key(const Server& s) { return current_verifier(s.port); }

// Events written, one programme each.
void write_some(const Server& s, const std::string& prefix, int n) {
  for (int i = 0; i < n; ++i)
    REQUIRE(s.post("/v1/programmes", programme_body({.id = prefix + std::to_string(i)})).status == 201);
}

// A stand-in for a ledger that answers every request 200 with `body`: what a
// server that signs what it likes would serve.
class FakeLedger {
 public:
  explicit FakeLedger(std::string body) : body_(std::move(body)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    REQUIRE(::listen(fd_, 8) == 0);
    socklen_t len = sizeof a;
    REQUIRE(::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len) == 0);
    port = ntohs(a.sin_port);
    thread_ = std::thread([this] {
      for (;;) {
        int c = ::accept(fd_, nullptr, nullptr);
        if (c < 0 || stop_) {
          if (c >= 0) ::close(c);
          return;
        }
        std::string req;
        while (req.find("\r\n\r\n") == std::string::npos) {
          std::string got = recv_for(c, 5000);
          if (got.empty()) break;
          req += got;
        }
        send_all(c, "HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: " +
                        std::to_string(body_.size()) + "\r\nConnection: close\r\n\r\n" + body_);
        ::close(c);
      }
    });
  }
  ~FakeLedger() {
    stop_ = true;
    ::shutdown(fd_, SHUT_RDWR);
    thread_.join();
    ::close(fd_);
  }
  FakeLedger(const FakeLedger&) = delete;
  FakeLedger& operator=(const FakeLedger&) = delete;
  int port = 0;

 private:
  std::string body_;
  int fd_ = -1;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

Watch watch_port(int port, const std::string& key, const std::string& state) {
  Watch w;
  w.rc = run_ledger(
      {"audit", "watch", "--url", "http://127.0.0.1:" + std::to_string(port), "--key", key, "--state", state}, &w.out,
      true);
  return w;
}

void write_file(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << bytes;
}

}  // namespace

TEST_CASE("audit watch keeps the newer checkpoint while the log grows, and catches a rollback to a backup") {
  Server s;
  std::string key = verifier_key(s), state = s.dir().sub("watch-state");
  REQUIRE_FALSE(key.empty());
  std::string shown;
  REQUIRE(run_ledger({"key", "show", "--data", s.data()}, &shown) == 0);
  CHECK(shown == key + "\n");  // the key the operator hands over is the one that signs

  std::string backup = s.dir().sub("backup");
  std::string out;
  REQUIRE(run_ledger({"backup", "--data", s.data(), "--to", backup, "--with-key"}, &out) == 0);
  CHECK(json::parse(out)["signing_key"] == "copied");
  CHECK(json::parse(out)["master_key"] == "copied");
  {
    // The copy's master key opens its personal fields: the demo's names.
    std::string names;
    REQUIRE(run_ledger({"export", "--data", backup, "--format", "ndjson"}, &names) == 0);
    CHECK(names.find("Cluster North-West Olive Oil") != std::string::npos);
    CHECK(names.find("[unreadable]") == std::string::npos);
    CHECK(names.find("[sealed]") == std::string::npos);
  }

  Watch first = watch(s, key, state);
  CHECK_MESSAGE(first.rc == 0, first.out);
  CHECK(first.out.find("kept as the first") != std::string::npos);
  std::uint64_t n = s.head();
  write_some(s, "w", 3);
  Watch grown = watch(s, key, state);
  CHECK_MESSAGE(grown.rc == 0, grown.out);
  CHECK(grown.out.find("ok: size " + std::to_string(n) + " -> " + std::to_string(n + 3)) != std::string::npos);

  // A key the auditor does not trust: refused.
  std::string other;
  {
    Server t;
    other = verifier_key(t);
  }
  Watch stranger = watch(s, other, s.dir().sub("other-state"));
  CHECK(stranger.rc == 2);
  CHECK(stranger.out.find("signature") != std::string::npos);

  // The operator restores the old backup, key and all.
  s.stop();
  std::filesystem::remove_all(s.data() + "/ledger");
  std::filesystem::copy(backup + "/ledger", s.data() + "/ledger", std::filesystem::copy_options::recursive);
  std::filesystem::copy_file(backup + "/signing.key", s.data() + "/signing.key",
                             std::filesystem::copy_options::overwrite_existing);
  s.start();
  CHECK(s.head() == n);
  Watch rolled = watch(s, key, state);
  CHECK(rolled.rc == 2);
  CHECK_MESSAGE(rolled.out.find("the tree shrank: size " + std::to_string(n + 3)) != std::string::npos, rolled.out);
  CHECK(rolled.out.find("rolled back") != std::string::npos);
}

TEST_CASE("audit watch catches a log rewritten with the real key, every hash and tree node recomputed") {
  Server s;
  std::string key = verifier_key(s), state = s.dir().sub("watch-state");
  Watch first = watch(s, key, state);
  REQUIRE_MESSAGE(first.rc == 0, first.out);
  std::uint64_t n = s.head();
  s.stop();

  {
    // The operator edits event 10 (its actor), then recomputes every later
    // event's chain, the head, and the whole tree, and removes the mark.
    std::filesystem::remove(s.data() + "/ledger/DURABLE-HEAD");
    auto store = std::move(Store::open(s.data() + "/ledger")).value();
    rocksdb::DB* db = store->raw_db();
    rocksdb::WriteBatch wb;
    Hash prev{};
    merkle::Frontier tree;
    std::string buf;
    for (std::uint64_t p = 1; p <= n; ++p) {
      std::string value;
      REQUIRE(db->Get(rocksdb::ReadOptions(), store->cf_events(), position_key(p), &value).ok());
      auto ev = decode_event(store_format::aligned(value, buf));
      REQUIRE(ev);
      EnvelopeRef ref = ev->ref();
      std::string actor(ref.actor_id);
      if (p == 10) actor = "staff:someone-else";
      ref.actor_id = actor;
      ref.prev_hash = bytes_of(prev);
      Hash h;
      std::string bytes = encode_envelope(ref, &h);
      if (p >= 10) wb.Put(store->cf_events(), position_key(p), bytes);
      tree.append(h, [&](int level, std::uint64_t index, const Hash& node) {
        if (level >= store_format::kTreeLowestStoredLevel)
          wb.Put(store->cf_tree(), merkle::node_key(level, index), bytes_of(node));
      });
      prev = h;
    }
    Head head = store->head();
    head.hash = prev;
    wb.Put(store->cf_meta(), store_format::kHeadKey, store_format::encode_head(head));
    REQUIRE(db->Write(rocksdb::WriteOptions(), &wb).ok());
    auto rep = store->verify();
    REQUIRE_MESSAGE(rep.ok, rep.detail);  // the ledger's own verify cannot tell: every hash is right
  }
  s.start();

  // The same size, signed with the real key, another root.
  Watch same = watch(s, key, state);
  CHECK(same.rc == 2);
  CHECK_MESSAGE(same.out.find("two checkpoints of size " + std::to_string(n) + " disagree") != std::string::npos,
                same.out);
  // And once it has grown: the proof from the kept checkpoint fails.
  write_some(s, "r", 2);
  Watch grown = watch(s, key, state);
  CHECK(grown.rc == 2);
  CHECK_MESSAGE(grown.out.find("does not verify") != std::string::npos, grown.out);
  CHECK(grown.out.find("size " + std::to_string(n) + " (root") != std::string::npos);
}

TEST_CASE("GET /v1/audit/pack: auditors and coordinators download the tar that audit check accepts offline") {
  Server s;
  std::string key = verifier_key(s);
  std::uint64_t head = s.head();
  Resp pack = request(s.port, "GET", "/v1/audit/pack?at=" + std::to_string(head - 5), "",
                      {{"Authorization", "Bearer " + s.tokens.at("auditor")}}, 30000);
  REQUIRE(pack.status == 200);
  CHECK(pack.complete);  // chunked, and ended by its last chunk
  CHECK(pack.headers["content-type"] == "application/x-tar");
  CHECK(pack.headers["content-disposition"].find("ledger-pack-" + std::to_string(head - 5) + ".tar") !=
        std::string::npos);
  std::string file = s.dir().sub("pack.tar");
  {
    std::ofstream out(file, std::ios::binary);
    out << pack.body;
  }
  std::string out;
  CHECK_MESSAGE(run_ledger({"audit", "check", file, "--key", key}, &out, true) == 0, out);
  CHECK(out.find("ok") != std::string::npos);

  // Flipped byte in the middle of the events: refused.
  std::string bad = pack.body;
  bad[bad.size() / 2] ^= 1;
  {
    std::ofstream o(file, std::ios::binary | std::ios::trunc);
    o << bad;
  }
  CHECK(run_ledger({"audit", "check", file, "--key", key}, &out, true) != 0);

  // Finance and mentors may not; bad positions are refused.
  CHECK(s.get("/v1/audit/pack", "finance").status == 403);
  CHECK(s.get("/v1/audit/pack?at=0", "auditor").code() == "bad_request");
  CHECK(s.get("/v1/audit/pack?at=" + std::to_string(head + 1), "coordinator").code() == "beyond_head");
}

TEST_CASE("audit watch refuses a checkpoint whose origin is not its key's name") {
  // The key of "programme-ledger/a" signs a checkpoint of another log: a
  // C2SP verifier key names the log it signs for.
  auto key = note::generate("programme-ledger/a").value();
  std::string root = note::base64(bytes_of(sha256("root")));
  test::TempDir dir;
  {
    FakeLedger fake(note::sign("programme-ledger/b\n5\n" + root + "\n", key));
    Watch w = watch_port(fake.port, key.verifier(), dir.sub("state"));
    CHECK(w.rc == 2);
    CHECK_MESSAGE(w.out.find("REFUSED") != std::string::npos, w.out);
    CHECK_MESSAGE(w.out.find("origin 'programme-ledger/b'") != std::string::npos, w.out);
    CHECK(w.out.find("key of 'programme-ledger/a'") != std::string::npos);
    CHECK_FALSE(std::filesystem::exists(dir.sub("state")));  // nothing kept
  }
  // A state file that holds such a checkpoint is refused as well.
  FakeLedger fake(note::sign("programme-ledger/a\n5\n" + root + "\n", key));
  write_file(dir.sub("state"), note::sign("programme-ledger/b\n4\n" + root + "\n", key));
  Watch w = watch_port(fake.port, key.verifier(), dir.sub("state"));
  CHECK(w.rc == 1);
  CHECK_MESSAGE(w.out.find("origin 'programme-ledger/b'") != std::string::npos, w.out);
  // The same checkpoint of the right origin is kept.
  std::filesystem::remove(dir.sub("state"));
  Watch good = watch_port(fake.port, key.verifier(), dir.sub("state"));
  CHECK_MESSAGE(good.rc == 0, good.out);
}

TEST_CASE("audit watch says what is wrong with a bad state file and exits 1, never aborts") {
  Server s;
  std::string key = verifier_key(s), state = s.dir().sub("watch-state");
  Watch first = watch(s, key, state);
  REQUIRE_MESSAGE(first.rc == 0, first.out);
  const std::string kept = read_file(state);
  REQUIRE(kept.size() > 40);
  auto signing = note::parse_private(read_file(s.data() + "/signing.key")).value();
  std::string root = note::base64(bytes_of(sha256("root")));
  struct Bad {
    const char* what;
    std::string bytes;
  };
  std::vector<Bad> bads = {
      {"empty", ""},
      {"cut short", kept.substr(0, kept.size() / 2)},
      {"cut before the signature's end", kept.substr(0, kept.size() - 5)},
      {"not text", std::string("\0\x01\xff\xfe garbage\n", 13)},
      {"a byte changed",
       [&] {
         std::string b = kept;
         b[2] ^= 1;
         return b;
       }()},
      // Signed with the ledger's own key, but not a checkpoint.
      {"signed, not a checkpoint", note::sign("hello\n", signing)},
      {"signed, an empty extension line", note::sign(signing.name + "\n3\n" + root + "\n\n", signing)},
  };
  for (auto& bad : bads) {
    INFO(bad.what);
    write_file(state, bad.bytes);
    Watch w = watch(s, key, state);
    CHECK_MESSAGE(w.rc == 1, w.out);
    CHECK(w.out.find("watch-state") != std::string::npos);
    CHECK(read_file(state) == bad.bytes);  // left as it was, for whoever looks into it
  }
  // A directory where the file should be.
  std::filesystem::remove(state);
  std::filesystem::create_directory(state);
  Watch dir = watch(s, key, state);
  CHECK_MESSAGE(dir.rc == 1, dir.out);
  CHECK(dir.out.find("watch-state") != std::string::npos);
  std::filesystem::remove(state);
  // The good file again: the watch goes on.
  write_file(state, kept);
  Watch again = watch(s, key, state);
  CHECK_MESSAGE(again.rc == 0, again.out);
}

TEST_CASE("ledger audit pack and ledger backup beside a running server hold every event it acknowledged") {
  // Without fsync on the server's side: what it acknowledged is in its
  // write-ahead log, written but not synced, when the copies are taken.
  Server s(true, {"--no-sync"});
  std::string key = verifier_key(s);
  write_some(s, "a", 5);
  std::uint64_t head = s.head();
  std::string pack = s.dir().sub("pack.tar"), out;
  REQUIRE(run_ledger({"audit", "pack", "--data", s.data(), "--to", pack}, &out) == 0);
  json made = json::parse(out);
  CHECK(made["position"] == head);  // every acknowledged event, the last five included
  std::string holds = made["holds"];
  CHECK_MESSAGE(holds.find("a server held the ledger") != std::string::npos, holds);
  CHECK(holds.find("synced to disk first") != std::string::npos);
  CHECK(holds.find("; the 0 write-ahead") == std::string::npos);  // at least one log file was synced
  CHECK(run_ledger({"audit", "check", pack, "--key", key}, &out, true) == 0);

  write_some(s, "b", 3);
  std::string backup = s.dir().sub("backup");
  REQUIRE(run_ledger({"backup", "--data", s.data(), "--to", backup}, &out) == 0);
  json copied = json::parse(out);
  CHECK(copied["ok"] == true);
  CHECK(copied["head"]["position"] == head + 3);
  CHECK(copied["holds"].get<std::string>().find("a server held the ledger") != std::string::npos);
  CHECK(copied["holds"].get<std::string>().find("; the 0 write-ahead") == std::string::npos);

  // With the server stopped, the ledger itself is read.
  s.stop();
  REQUIRE(run_ledger({"audit", "pack", "--data", s.data(), "--to", s.dir().sub("pack2.tar")}, &out) == 0);
  CHECK(json::parse(out)["holds"].get<std::string>().find("no server held the ledger") != std::string::npos);
  CHECK(json::parse(out)["position"] == head + 3);
}
