// Evidence documents in the store: content-addressed, kept once, checked on
// every read, nothing kept of an upload that did not finish.
#include <doctest/doctest.h>
#include <rocksdb/db.h>

#include <atomic>
#include <random>
#include <thread>

#include "evidence_util.h"
#include "log/store.h"
#include "util.h"

using namespace pl;
using pl::test::TempDir;

using pl::test::evp_sha256_hex;
using pl::test::random_bytes;

namespace {

std::unique_ptr<Store> open_store(const std::string& dir, bool read_only = false) {
  StoreOptions o;
  o.read_only = read_only;
  o.create_if_missing = !read_only;
  auto s = Store::open(dir, o);
  REQUIRE_MESSAGE(s.is_ok(), s.status().to_string());
  return std::move(s).value();
}

// Uploads `bytes` in pieces of `piece` bytes.
EvidenceStored upload(Store& store, const std::string& bytes, const std::string& who = "alice",
                      std::size_t piece = 65'536 + 7) {
  auto up = store.begin_evidence("application/pdf", "invoice.pdf", who, 1'700'000'000'000'000);
  REQUIRE_MESSAGE(up.is_ok(), up.status().to_string());
  for (std::size_t at = 0; at < bytes.size(); at += piece) {
    Status st = (*up)->write(std::string_view(bytes).substr(at, piece));
    REQUIRE_MESSAGE(st.is_ok(), st.to_string());
  }
  auto done = (*up)->finish();
  REQUIRE_MESSAGE(done.is_ok(), done.status().to_string());
  return *done;
}

// The keys of the evidence column family that begin with `prefix`.
std::size_t count_keys(Store& store, char prefix) {
  std::size_t n = 0;
  std::unique_ptr<rocksdb::Iterator> it(store.raw_db()->NewIterator(rocksdb::ReadOptions(), store.cf_evidence()));
  for (it->Seek(std::string(1, prefix)); it->Valid() && it->key()[0] == prefix; it->Next()) ++n;
  return n;
}

}  // namespace

TEST_CASE("evidence: a document read back is the bytes uploaded, under their SHA-256") {
  TempDir dir;
  auto store = open_store(dir.path());
  std::string bytes = "%PDF-1.4\n" + random_bytes(2 * kEvidenceChunkBytes + 12'345, 1);
  EvidenceStored s = upload(*store, bytes);
  CHECK(s.stored);
  CHECK(s.size == bytes.size());
  CHECK(to_hex(s.sha256) == evp_sha256_hex(bytes));

  auto meta = store->evidence_meta(s.sha256);
  REQUIRE(meta.is_ok());
  CHECK(meta->size == bytes.size());
  CHECK(meta->content_type == "application/pdf");
  CHECK(meta->filename == "invoice.pdf");
  CHECK(meta->uploaded_at_us == 1'700'000'000'000'000);
  CHECK(meta->chunks == 3);
  auto back = store->read_evidence(s.sha256);
  REQUIRE_MESSAGE(back.is_ok(), back.status().to_string());
  CHECK(*back == bytes);
  auto who = store->evidence_uploaders(s.sha256);
  REQUIRE(who.is_ok());
  REQUIRE(who->size() == 1);
  CHECK((*who)[0].name == "alice");
  CHECK(count_keys(*store, 'p') == 0);

  // A document of exactly one piece, and a small one.
  for (std::size_t n : {kEvidenceChunkBytes, std::size_t{10}}) {
    std::string b = random_bytes(n, static_cast<unsigned>(n));
    EvidenceStored t = upload(*store, b, "bob", n);
    CHECK(t.stored);
    CHECK(store->read_evidence(t.sha256).value_or("") == b);
  }
  Hash unknown{};
  CHECK(store->evidence_meta(unknown).status().is(Kind::not_found));
  CHECK(store->read_evidence(unknown).status().is(Kind::not_found));
  CHECK(store->evidence_list().value_or({}).size() == 3);

  // Durable: the store reopened (and read-only) has them.
  store.reset();
  store = open_store(dir.path(), true);
  CHECK(store->read_evidence(s.sha256).value_or("") == bytes);
}

TEST_CASE("evidence: the same bytes twice are stored once, with both uploaders") {
  TempDir dir;
  auto store = open_store(dir.path());
  std::string bytes = random_bytes(kEvidenceChunkBytes + 5, 2);
  EvidenceStored a = upload(*store, bytes, "alice");
  std::size_t pieces = count_keys(*store, 'c');
  EvidenceStored b = upload(*store, bytes, "bob");
  CHECK(a.stored);
  CHECK_FALSE(b.stored);
  CHECK(a.sha256 == b.sha256);
  CHECK(count_keys(*store, 'c') == pieces);
  CHECK(count_keys(*store, 'd') == 1);
  CHECK(count_keys(*store, 'p') == 0);
  auto who = store->evidence_uploaders(a.sha256);
  REQUIRE(who.is_ok());
  REQUIRE(who->size() == 2);
  CHECK((*who)[0].name == "alice");
  CHECK((*who)[1].name == "bob");
  // Again by alice: still two uploaders, stored once.
  CHECK_FALSE(upload(*store, bytes, "alice").stored);
  CHECK(store->evidence_uploaders(a.sha256).value_or({}).size() == 2);
}

TEST_CASE("evidence: a stored byte changed is an error on read, never other bytes") {
  TempDir dir;
  auto store = open_store(dir.path());
  std::string bytes = random_bytes(kEvidenceChunkBytes + 100, 3);
  EvidenceStored s = upload(*store, bytes);
  auto meta = store->evidence_meta(s.sha256);
  REQUIRE(meta.is_ok());

  SUBCASE("a byte of a piece") {
    std::string key = evidence_chunk_key(meta->upload, 1), piece;
    REQUIRE(store->raw_db()->Get(rocksdb::ReadOptions(), store->cf_evidence(), key, &piece).ok());
    piece[7] = static_cast<char>(piece[7] ^ 1);
    REQUIRE(store->raw_db()->Put(rocksdb::WriteOptions(), store->cf_evidence(), key, piece).ok());
  }
  SUBCASE("a piece missing") {
    REQUIRE(store->raw_db()
                ->Delete(rocksdb::WriteOptions(), store->cf_evidence(), evidence_chunk_key(meta->upload, 1))
                .ok());
  }
  SUBCASE("a piece cut short") {
    REQUIRE(store->raw_db()
                ->Put(rocksdb::WriteOptions(), store->cf_evidence(), evidence_chunk_key(meta->upload, 1), "x")
                .ok());
  }
  auto back = store->read_evidence(s.sha256);
  REQUIRE_FALSE(back.is_ok());
  CHECK(back.status().is(Kind::corruption));
  CHECK(back.status().message().find(to_hex(s.sha256)) != std::string::npos);
}

TEST_CASE("evidence: nothing is kept of an upload aborted, dropped, or cut by a crash") {
  TempDir dir;
  auto store = open_store(dir.path());
  std::string bytes = random_bytes(3 * kEvidenceChunkBytes + 1, 4);

  SUBCASE("aborted, or dropped unfinished") {
    for (bool explicit_abort : {true, false}) {
      auto up = store->begin_evidence("image/png", "a.png", "alice", 1);
      REQUIRE(up.is_ok());
      REQUIRE((*up)->write(bytes).is_ok());
      CHECK(count_keys(*store, 'c') == 3);
      CHECK(count_keys(*store, 'p') == 1);
      if (explicit_abort) {
        (*up)->abort();
        CHECK_FALSE((*up)->finish().is_ok());
      } else {
        up = Status::internal("dropped");
      }
      CHECK(count_keys(*store, 'c') == 0);
      CHECK(count_keys(*store, 'p') == 0);
    }
    CHECK(store->evidence_list().value_or({}).empty());
  }
  SUBCASE("empty: refused") {
    auto up = store->begin_evidence("text/plain", "a.txt", "alice", 1);
    REQUIRE(up.is_ok());
    CHECK((*up)->finish().status().is(Kind::invalid_argument));
  }
  SUBCASE("cut by a crash, its pieces on disk") {
    auto up = store->begin_evidence("image/png", "a.png", "alice", 1);
    REQUIRE(up.is_ok());
    REQUIRE((*up)->write(bytes).is_ok());
    // The pieces reach the disk (another upload's flush would do it), then
    // the machine stops: a consistent copy of the store is what it left.
    REQUIRE(store->raw_db()->Flush(rocksdb::FlushOptions(), store->cf_evidence()).ok());
    std::string crashed = dir.sub("crashed");
    REQUIRE(store->backup(crashed).is_ok());
    {
      auto ro = open_store(crashed, true);  // a read-only open leaves it as it is
      CHECK(count_keys(*ro, 'c') == 3);
      CHECK(count_keys(*ro, 'p') == 1);
    }
    auto reopened = open_store(crashed);
    CHECK(count_keys(*reopened, 'c') == 0);
    CHECK(count_keys(*reopened, 'p') == 0);
    // A new upload after it is stored whole.
    EvidenceStored s = upload(*reopened, bytes);
    CHECK(reopened->read_evidence(s.sha256).value_or("") == bytes);
    reopened.reset();
    reopened = open_store(crashed);
    CHECK(reopened->read_evidence(s.sha256).value_or("") == bytes);
  }
}

TEST_CASE("evidence: a read-only open of a store from before evidence documents") {
  TempDir dir;
  {
    auto store = open_store(dir.path());
    REQUIRE(store->raw_db()->DropColumnFamily(store->cf_evidence()).ok());
  }
  auto ro = open_store(dir.path(), true);
  CHECK(ro->cf_evidence() == nullptr);
  Hash h{};
  CHECK(ro->evidence_meta(h).status().is(Kind::not_found));
  CHECK(ro->evidence_list().value_or({Hash{}}).empty());
  CHECK(ro->begin_evidence("text/plain", "a", "b", 1).status().is(Kind::unavailable));
  ro.reset();
  // Opened for writing, it gets one.
  auto rw = open_store(dir.path());
  CHECK(rw->cf_evidence() != nullptr);
}

TEST_CASE("evidence: a large upload while the writer commits; both go through") {
  TempDir dir;
  auto store = open_store(dir.path());
  std::atomic<bool> uploading{true};
  std::atomic<int> commits{0};
  std::atomic<bool> failed{false};
  std::thread writer([&] {
    EventMeta m;
    m.actor_id = "staff:alice";
    m.actor_role = "coordinator";
    int i = 0;
    while (uploading.load() || i < 20) {
      Batch b = store->begin(1'600'000'000'000'000 + i);
      auto r =
          b.add("pair-" + std::to_string(i % 3), std::nullopt, fb::Event::SessionLogged, test::small_payload(i), m);
      if (!r.is_ok() || !store->commit(b).is_ok()) {
        failed = true;
        break;
      }
      ++commits;
      ++i;
    }
  });
  std::string bytes = random_bytes(20 * kEvidenceChunkBytes, 5);
  EvidenceStored s = upload(*store, bytes, "alice", 64 * 1024);
  uploading = false;
  writer.join();
  CHECK(s.stored);
  CHECK_FALSE(failed.load());
  CHECK(commits.load() >= 20);
  CHECK(store->head().position == static_cast<std::uint64_t>(commits.load()));
  CHECK(store->read_evidence(s.sha256).value_or("") == bytes);
  CHECK(store->verify().ok);
}
