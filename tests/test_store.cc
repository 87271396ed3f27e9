#include <doctest/doctest.h>
#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <atomic>
#include <cstring>
#include <thread>

#include "log/store.h"
#include "util.h"

using namespace pl;
using pl::test::TempDir;

namespace {

EventMeta meta_for(int i) {
  EventMeta m;
  m.actor_id = "staff:alice";
  m.actor_role = "coordinator";
  m.idempotency_key = "key-" + std::to_string(i);
  m.correlation_id = "corr-" + std::to_string(i);
  m.programme_id = "prog-1";
  m.rules_version = 1;
  return m;
}

std::unique_ptr<Store> open_store(const std::string& dir) {
  auto s = Store::open(dir);
  REQUIRE_MESSAGE(s.is_ok(), s.status().to_string());
  return std::move(s).value();
}

// Appends `n` small events, one per commit, to streams "pair-<i % 3>".
void fill(Store& store, int n, std::int64_t now = 1'600'000'000'000'000) {
  for (int i = 0; i < n; ++i) {
    Batch b = store.begin(now + i);
    auto r = b.add("pair-" + std::to_string(i % 3), std::nullopt, fb::Event::SessionLogged, test::small_payload(i),
                   meta_for(i));
    REQUIRE(r.is_ok());
    REQUIRE(store.commit(b).is_ok());
  }
}

std::string raw_get(Store& store, std::uint64_t pos) {
  std::string v = test::raw_get(store, pos);
  REQUIRE_FALSE(v.empty());
  return v;
}

void raw_put(Store& store, std::uint64_t pos, const std::string& v) { REQUIRE(test::raw_put(store, pos, v)); }

}  // namespace

TEST_CASE("every event type of the catalogue round-trips through the store") {
  TempDir dir;
  auto store = open_store(dir.path());
  std::vector<fb::PayloadT> written;
  Batch batch = store->begin(1'700'000'000'000'000);
  int seed = 1;
  for (auto type : fb::EnumValuesEvent()) {
    if (type == fb::Event::NONE) continue;
    written.push_back(test::sample_event(type, seed));
    REQUIRE(written.back().event.type == type);
    auto r =
        batch.add("stream-" + std::to_string(seed % 4), std::nullopt, type, test::pack(written.back()), meta_for(seed));
    REQUIRE(r.is_ok());
    CHECK(r->position == static_cast<std::uint64_t>(seed));
    ++seed;
  }
  REQUIRE(written.size() == 31);
  REQUIRE(store->commit(batch).is_ok());
  CHECK(store->head().position == 31);

  auto events = store->read(1, 100);
  REQUIRE(events.is_ok());
  REQUIRE(events->size() == 31);
  for (std::size_t i = 0; i < events->size(); ++i) {
    auto v = (*events)[i].view();
    CAPTURE(v.type_name());
    CHECK(v.position() == i + 1);
    CHECK(v.type() == written[i].event.type);
    CHECK(v.recorded_at_us() == 1'700'000'000'000'000);
    CHECK(v.actor_id() == "staff:alice");
    CHECK(EventView::sv(v.env->actor_role()) == "coordinator");
    CHECK(EventView::sv(v.env->idempotency_key()) == "key-" + std::to_string(i + 1));
    CHECK(EventView::sv(v.env->correlation_id()) == "corr-" + std::to_string(i + 1));
    CHECK(v.programme_id() == "prog-1");
    CHECK(v.env->rules_version() == 1);
    fb::PayloadT back;
    v.payload->UnPackTo(&back);
    CHECK(back == written[i]);
  }
  // Stream reads: versions dense from 1, in order.
  auto s1 = store->read_stream("stream-1");
  REQUIRE(s1.is_ok());
  REQUIRE(s1->size() == 8);  // seeds 1, 5, 9, 13, 17, 21, 25, 29
  for (std::size_t i = 0; i < s1->size(); ++i) {
    CHECK((*s1)[i].view().version() == i + 1);
    CHECK((*s1)[i].view().position() == 1 + 4 * i);
  }
  CHECK(store->stream_version("stream-1").value() == 8);
  CHECK(store->stream_version("stream-").value() == 0);
  CHECK(store->stream_version("nothing").value() == 0);
  auto rep = store->verify();
  CHECK_MESSAGE(rep.ok, rep.detail);
  CHECK(rep.checked == 31);
}

TEST_CASE("expected stream version: a conflict adds nothing; rollback drops a partial group") {
  TempDir dir;
  auto store = open_store(dir.path());
  fill(*store, 3);  // pair-0, pair-1, pair-2 at version 1
  Batch b = store->begin(1);
  auto ok = b.add("pair-0", 1, fb::Event::SessionLogged, test::small_payload(9), meta_for(9));
  REQUIRE(ok.is_ok());
  CHECK(ok->version == 2);
  b.mark();
  auto second = b.add("pair-1", 1, fb::Event::SessionLogged, test::small_payload(10), meta_for(10));
  REQUIRE(second.is_ok());
  auto conflict = b.add("pair-2", 0, fb::Event::SessionLogged, test::small_payload(11), meta_for(11));
  REQUIRE_FALSE(conflict.is_ok());
  CHECK(conflict.status().reason() == "version_conflict");
  CHECK(conflict.status().kind() == Kind::conflict);
  b.rollback();  // drops pair-1's event as well
  CHECK(b.size() == 1);
  CHECK(b.stream_version("pair-1").value() == 1);
  REQUIRE(store->commit(b).is_ok());
  CHECK(store->head().position == 4);
  CHECK(store->stream_version("pair-0").value() == 2);
  CHECK(store->stream_version("pair-1").value() == 1);
  CHECK(store->verify().ok);
}

// A batch's WriteBatch is reused by the next batch of the thread (its buffer
// kept): nothing of a batch dropped without a commit, nor of a committed one,
// reaches the next, and a savepoint does not outlive its batch.
TEST_CASE("a batch dropped without a commit leaves nothing to the next one") {
  TempDir dir;
  auto store = open_store(dir.path());
  fill(*store, 2);
  {
    Batch dropped = store->begin(1);
    REQUIRE(dropped.add("pair-0", std::nullopt, fb::Event::SessionLogged, test::small_payload(7), meta_for(7)).is_ok());
    dropped.mark();
    REQUIRE(dropped.add("pair-1", std::nullopt, fb::Event::SessionLogged, test::small_payload(8), meta_for(8)).is_ok());
  }
  Batch b = store->begin(1);
  REQUIRE(b.add("pair-2", std::nullopt, fb::Event::SessionLogged, test::small_payload(9), meta_for(9)).is_ok());
  b.rollback();  // no mark in this batch: does nothing
  CHECK(b.size() == 1);
  REQUIRE(store->commit(b).is_ok());
  CHECK(store->head().position == 3);
  CHECK(store->stream_version("pair-0").value() == 1);
  CHECK(store->stream_version("pair-1").value() == 1);
  CHECK(store->stream_version("pair-2").value() == 1);
  auto third = store->read_one(3);
  REQUIRE(third.is_ok());
  CHECK(third->view().stream() == "pair-2");
  CHECK_FALSE(store->read_one(4).is_ok());
  // The next batch after a commit starts empty too.
  Batch next = store->begin(1);
  REQUIRE(next.add("pair-0", 1, fb::Event::SessionLogged, test::small_payload(10), meta_for(10)).is_ok());
  REQUIRE(store->commit(next).is_ok());
  CHECK(store->head().position == 4);
  auto rep = store->verify();
  CHECK_MESSAGE(rep.ok, rep.detail);
  CHECK(rep.checked == 4);
}

TEST_CASE("idempotency records survive and decode") {
  TempDir dir;
  auto store = open_store(dir.path());
  Batch b = store->begin(1);
  REQUIRE(b.add("s", std::nullopt, fb::Event::SessionLogged, test::small_payload(1), meta_for(1)).is_ok());
  CommandRecord rec;
  rec.fingerprint = sha256("body");
  rec.id = "s1";
  rec.positions = {1};
  b.record_command("key-1", rec);
  REQUIRE(b.pending_command("key-1") != nullptr);
  REQUIRE(store->commit(b).is_ok());
  auto found = store->find_command("key-1");
  REQUIRE(found.is_ok());
  REQUIRE(found->has_value());
  CHECK((*found)->fingerprint == rec.fingerprint);
  CHECK((*found)->id == "s1");
  CHECK((*found)->positions == std::vector<std::uint64_t>{1});
  CHECK_FALSE(store->find_command("key-2")->has_value());
}

TEST_CASE("restart continuity: positions, versions, chain and recorded-at carry on") {
  TempDir dir;
  Head before;
  {
    auto store = open_store(dir.path());
    fill(*store, 5, 2'000'000'000'000'000);
    before = store->head();
  }
  auto store = open_store(dir.path());
  CHECK(store->head().position == before.position);
  CHECK(store->head().hash == before.hash);
  CHECK(store->head().recorded_at_us == before.recorded_at_us);
  // A clock that went backwards does not move recorded-at backwards.
  Batch b = store->begin(1'000);
  auto r = b.add("pair-0", 2, fb::Event::SessionLogged, test::small_payload(6), meta_for(6));
  REQUIRE(r.is_ok());
  CHECK(r->position == 6);
  CHECK(r->version == 3);
  REQUIRE(store->commit(b).is_ok());
  auto ev = store->read_one(6);
  REQUIRE(ev.is_ok());
  CHECK(ev->view().recorded_at_us() == before.recorded_at_us);
  CHECK(ev->view().prev_hash_bytes() == std::string_view(reinterpret_cast<const char*>(before.hash.data()), 32));
  auto rep = store->verify();
  CHECK_MESSAGE(rep.ok, rep.detail);
  CHECK(rep.checked == 6);
}

TEST_CASE("verify names the first bad position for each kind of tampering") {
  TempDir dir;
  auto fresh = [&](const std::string& name) {
    auto store = open_store(dir.sub(name));
    fill(*store, 10);
    REQUIRE(store->verify().ok);
    return store;
  };

  SUBCASE("one flipped byte in a payload") {
    auto store = fresh("flip");
    std::string v = raw_get(*store, 5);
    auto at = v.find("Reviewed");
    REQUIRE(at != std::string::npos);
    v[at] = 'r';
    raw_put(*store, 5, v);
    auto rep = store->verify();
    CHECK_FALSE(rep.ok);
    CHECK(rep.first_bad_position == 5);
    CHECK(rep.problem == VerifyProblem::hash_mismatch);
    CHECK(rep.checked == 4);
    // Every way of reading it is an error naming its position.
    auto one = store->read_one(5);
    CHECK(one.status().kind() == Kind::corruption);
    CHECK(one.status().message().find("position 5") != std::string::npos);
    CHECK(store->read(1, 100).status().kind() == Kind::corruption);
    std::uint64_t seen = 0;
    auto count = [&](const EventView&) {
      ++seen;
      return Status::ok();
    };
    CHECK(store->scan(1, 0, count).kind() == Kind::corruption);
    CHECK(seen == 4);
    seen = 0;
    CHECK(store->scan_pipelined(1, 0, count).kind() == Kind::corruption);
    CHECK(seen == 4);
    CHECK(store->read_one(4).is_ok());
  }
  SUBCASE("a changed hash") {
    auto store = fresh("hash");
    std::string v = raw_get(*store, 7);
    auto ev = decode_event(v);
    REQUIRE(ev.is_ok());
    auto off = static_cast<std::size_t>(ev->hash_bytes().data() - v.data());
    v[off] = static_cast<char>(v[off] ^ 0x01);
    raw_put(*store, 7, v);
    auto rep = store->verify();
    CHECK_FALSE(rep.ok);
    CHECK(rep.first_bad_position == 7);
    CHECK(rep.problem == VerifyProblem::hash_mismatch);
  }
  SUBCASE("a deleted event leaves a gap") {
    auto store = fresh("gap");
    REQUIRE(store->raw_db()->Delete(rocksdb::WriteOptions(), store->cf_events(), position_key(4)).ok());
    auto rep = store->verify();
    CHECK_FALSE(rep.ok);
    CHECK(rep.first_bad_position == 4);
    CHECK(rep.problem == VerifyProblem::gap);
  }
  SUBCASE("the last event deleted: the head names a missing event") {
    auto store = fresh("tail");
    REQUIRE(store->raw_db()->Delete(rocksdb::WriteOptions(), store->cf_events(), position_key(10)).ok());
    auto rep = store->verify();
    CHECK_FALSE(rep.ok);
    CHECK(rep.first_bad_position == 10);
    CHECK(rep.problem == VerifyProblem::head_mismatch);
  }
  SUBCASE("the streams index points elsewhere, lacks an entry, or holds one too many") {
    auto store = fresh("index");
    auto key_of = [&](std::uint64_t pos) {
      auto ev = store->read_one(pos);
      REQUIRE(ev.is_ok());
      return stream_key(ev->view().stream(), ev->view().version());
    };
    auto* db = store->raw_db();
    SUBCASE("elsewhere") {
      REQUIRE(db->Put(rocksdb::WriteOptions(), store->cf_streams(), key_of(4), position_key(5)).ok());
      auto rep = store->verify();
      CHECK_FALSE(rep.ok);
      CHECK(rep.first_bad_position == 4);
      CHECK(rep.problem == VerifyProblem::index_mismatch);
    }
    SUBCASE("lacking") {
      REQUIRE(db->Delete(rocksdb::WriteOptions(), store->cf_streams(), key_of(7)).ok());
      auto rep = store->verify();
      CHECK_FALSE(rep.ok);
      CHECK(rep.first_bad_position == 7);
      CHECK(rep.problem == VerifyProblem::index_mismatch);
    }
    SUBCASE("one too many") {
      REQUIRE(db->Put(rocksdb::WriteOptions(), store->cf_streams(), stream_key("ghost", 1), position_key(3)).ok());
      auto rep = store->verify();
      CHECK_FALSE(rep.ok);
      CHECK(rep.first_bad_position == 3);
      CHECK(rep.problem == VerifyProblem::index_mismatch);
      CHECK(rep.detail.find("names no event") != std::string::npos);
    }
  }
  SUBCASE("two events swapped") {
    auto store = fresh("swap");
    std::string a = raw_get(*store, 3), b = raw_get(*store, 4);
    raw_put(*store, 3, b);
    raw_put(*store, 4, a);
    auto rep = store->verify();
    CHECK_FALSE(rep.ok);
    CHECK(rep.first_bad_position == 3);
    CHECK(rep.problem == VerifyProblem::reordered);
    CHECK(store->read_one(3).status().kind() == Kind::corruption);
  }
  SUBCASE("a value that is not a valid envelope") {
    auto store = fresh("garbage");
    raw_put(*store, 6, std::string("\x10\x00\x00\x00not an envelope at all", 26));
    auto rep = store->verify();
    CHECK_FALSE(rep.ok);
    CHECK(rep.first_bad_position == 6);
    CHECK(rep.problem == VerifyProblem::undecodable);
    // Reading it is an error, not a crash.
    auto one = store->read_one(6);
    CHECK(one.status().kind() == Kind::corruption);
    auto many = store->read(1, 100);
    CHECK(many.status().kind() == Kind::corruption);
  }
  SUBCASE("a truncated envelope") {
    auto store = fresh("trunc");
    std::string v = raw_get(*store, 2);
    raw_put(*store, 2, v.substr(0, v.size() / 2));
    auto rep = store->verify();
    CHECK_FALSE(rep.ok);
    CHECK(rep.first_bad_position == 2);
    CHECK(rep.problem == VerifyProblem::undecodable);
  }
  SUBCASE("a rewritten event with a recomputed hash breaks the next link") {
    auto store = fresh("rechain");
    auto ev = store->read_one(5);
    REQUIRE(ev.is_ok());
    auto ref = ev->view().ref();
    std::string payload = test::small_payload(999);
    ref.payload = payload;
    Hash h;
    raw_put(*store, 5, encode_envelope(ref, &h));
    auto rep = store->verify();
    CHECK_FALSE(rep.ok);
    CHECK(rep.first_bad_position == 6);
    CHECK(rep.problem == VerifyProblem::prev_hash_mismatch);
    // Each event alone is self-consistent; a scan across the link is not.
    CHECK(store->read_one(5).is_ok());
    CHECK(store->read_one(6).is_ok());
    auto none = [](const EventView&) { return Status::ok(); };
    auto st = store->scan(1, 0, none);
    CHECK(st.kind() == Kind::corruption);
    CHECK(st.message().find("position 6") != std::string::npos);
    CHECK(store->scan_pipelined(1, 0, none).kind() == Kind::corruption);
    CHECK(store->scan(6, 0, none).is_ok());  // a scan from 6 has no link to check
  }
}

// A pipelined scan checks links and positions on its reader thread and
// rehashes in blocks on whichever thread claims them first: over many chunks
// (here about 15: the queue fills, and the reader rehashes ahead), the first
// bad event is still the one reported, after exactly the events before it.
TEST_CASE("a pipelined scan over many chunks reports the first bad event, after every event before it") {
  TempDir dir;
  constexpr int kEvents = 30'000;
  auto fresh = [&](const std::string& name) {
    auto store = open_store(dir.sub(name));
    for (int c = 0; c < kEvents / 1000; ++c) {
      Batch b = store->begin(1'600'000'000'000'000 + c);
      for (int i = c * 1000; i < (c + 1) * 1000; ++i)
        REQUIRE(b.add("pair-" + std::to_string(i % 3), std::nullopt, fb::Event::SessionLogged, test::small_payload(i),
                      meta_for(i))
                    .is_ok());
      REQUIRE(store->commit(b).is_ok());
    }
    return store;
  };
  // Counts the events seen and checks that they come in order.
  std::uint64_t seen = 0, last = 0;
  bool in_order = true;
  auto count = [&](const EventView& e) {
    in_order = in_order && e.position() == last + 1;
    last = e.position();
    ++seen;
    return Status::ok();
  };
  auto reset = [&](std::uint64_t from) {
    seen = 0;
    last = from - 1;
    in_order = true;
  };
  auto flip_payload = [&](Store& store, std::uint64_t pos) {
    std::string v = raw_get(store, pos);
    auto at = v.find("Reviewed");
    REQUIRE(at != std::string::npos);
    v[at] = 'r';
    raw_put(store, pos, v);
  };

  SUBCASE("a clean log, whole and from the middle") {
    auto store = fresh("clean");
    reset(1);
    CHECK(store->scan_pipelined(1, 0, count).is_ok());
    CHECK(seen == kEvents);
    CHECK(in_order);
    reset(12'345);
    CHECK(store->scan_pipelined(12'345, 20'000, count).is_ok());
    CHECK(seen == 20'000 - 12'345 + 1);
    CHECK(in_order);
  }
  SUBCASE("one flipped byte deep in the log") {
    auto store = fresh("flip");
    flip_payload(*store, 17'321);
    reset(1);
    Status st = store->scan_pipelined(1, 0, count);
    CHECK(st.kind() == Kind::corruption);
    CHECK(st.message().find("position 17321") != std::string::npos);
    CHECK(seen == 17'320);
    CHECK(in_order);
  }
  SUBCASE("a bad hash before a gap: the earlier one is reported") {
    // The reader finds the broken link at 20,001 first; the rehash of 9,000
    // comes before it in the order of the log.
    auto store = fresh("both");
    flip_payload(*store, 9'000);
    REQUIRE(store->raw_db()->Delete(rocksdb::WriteOptions(), store->cf_events(), position_key(20'000)).ok());
    reset(1);
    Status st = store->scan_pipelined(1, 0, count);
    CHECK(st.kind() == Kind::corruption);
    CHECK(st.message().find("position 9000") != std::string::npos);
    CHECK(seen == 8'999);
    CHECK(in_order);
    // Past the bad hash, the gap is what stops the scan.
    reset(9'001);
    st = store->scan_pipelined(9'001, 0, count);
    CHECK(st.kind() == Kind::corruption);
    CHECK(st.message().find("position 20001") != std::string::npos);
    CHECK(seen == 20'000 - 9'001);
  }
  SUBCASE("the caller stops early while the reader is ahead") {
    auto store = fresh("stop");
    reset(1);
    Status st = store->scan_pipelined(1, 0, [&](const EventView& e) {
      if (e.position() == 4'321) return Status::invalid("enough");
      return count(e);
    });
    CHECK(st.kind() == Kind::invalid_argument);
    CHECK(seen == 4'320);
    CHECK(in_order);
  }
}

TEST_CASE("verify while events are being written sees one consistent point") {
  TempDir dir;
  auto store = open_store(dir.path());
  fill(*store, 50);
  std::atomic<bool> stop{false};
  std::atomic<int> failed{0};
  std::thread writer([&] {
    for (int i = 0; !stop; ++i) {
      Batch b = store->begin(1'700'000'000'000'000 + i);
      for (int k = 0; k < 5; ++k)
        if (!b.add("pair-w" + std::to_string((i + k) % 7), std::nullopt, fb::Event::SessionLogged,
                   test::small_payload(i * 5 + k), meta_for(i))
                 .is_ok())
          ++failed;
      if (!store->commit(b).is_ok()) ++failed;
    }
  });
  for (int round = 0; round < 30; ++round) {
    auto rep = store->verify();
    CHECK_MESSAGE(rep.ok, rep.detail);
    CHECK(rep.checked == rep.head.position);
  }
  stop = true;
  writer.join();
  CHECK(failed == 0);
  CHECK(store->verify().ok);
}

TEST_CASE("a store whose head disagrees with its events refuses to write") {
  TempDir dir;
  {
    auto store = open_store(dir.path());
    fill(*store, 3);
    REQUIRE(store->raw_db()->Delete(rocksdb::WriteOptions(), store->cf_events(), position_key(3)).ok());
  }
  auto store = open_store(dir.path());
  Batch b = store->begin(1);
  REQUIRE(b.add("x", std::nullopt, fb::Event::SessionLogged, test::small_payload(1), meta_for(1)).is_ok());
  auto st = store->commit(b);
  CHECK(st.kind() == Kind::corruption);
}

TEST_CASE("backup is a consistent copy that opens and verifies") {
  TempDir dir;
  auto store = open_store(dir.sub("live"));
  fill(*store, 20);
  REQUIRE(store->backup(dir.sub("copy")).is_ok());
  fill(*store, 5);
  StoreOptions ro;
  ro.read_only = true;
  ro.create_if_missing = false;
  auto copy = Store::open(dir.sub("copy"), ro);
  REQUIRE(copy.is_ok());
  CHECK((*copy)->head().position == 20);
  CHECK((*copy)->verify().ok);
}

TEST_CASE("the Merkle tree: written with the events, its root that of the events' hashes, proofs that verify") {
  TempDir dir;
  auto store = open_store(dir.path());
  CHECK(store->tree_size() == 0);
  CHECK(store->tree_root(0).value() == merkle::empty_root());
  // Commits of one and of several events.
  fill(*store, 7);
  {
    Batch b = store->begin(1'700'000'000'000'000);
    for (int i = 0; i < 6; ++i)
      REQUIRE(b.add("pair-x", std::nullopt, fb::Event::SessionLogged, test::small_payload(100 + i), meta_for(i)));
    b.mark();
    REQUIRE(b.add("pair-y", std::nullopt, fb::Event::SessionLogged, test::small_payload(9), meta_for(9)));
    b.rollback();  // a dropped event leaves no leaf
    REQUIRE(store->commit(b).is_ok());
  }
  REQUIRE(store->head().position == 13);
  CHECK(store->tree_size() == 13);

  // The root of every size, from the events' own hashes.
  merkle::Frontier f;
  std::vector<Hash> leaves;
  auto events = store->read(1, 100).value();
  for (auto& e : events) {
    Hash h;
    std::memcpy(h.data(), e.view().hash_bytes().data(), 32);
    leaves.push_back(merkle::leaf_hash(h));
    f.append(h, [](int, std::uint64_t, const Hash&) {});
    CHECK(store->tree_root(f.size()).value() == f.root());
  }
  Hash root13 = f.root();
  for (std::uint64_t n = 1; n <= 13; ++n) {
    Hash rn = store->tree_root(n).value();
    for (std::uint64_t i = 0; i < n; ++i)
      CHECK(merkle::verify_inclusion(i, n, leaves[i], store->inclusion_proof(i, n).value(), rn));
    CHECK(merkle::verify_consistency(n, 13, rn, root13, store->consistency_proof(n, 13).value()));
  }
  CHECK_FALSE(store->tree_root(14));
  CHECK_FALSE(store->inclusion_proof(0, 14));
  CHECK_FALSE(store->consistency_proof(0, 13));
  CHECK_FALSE(store->consistency_proof(5, 14));
  CHECK(store->verify().ok);

  // Restarted, it goes on from the same tree.
  store.reset();
  store = open_store(dir.path());
  CHECK(store->tree_root(13).value() == root13);
  fill(*store, 3);
  CHECK(store->tree_size() == 16);
  CHECK(merkle::verify_consistency(13, 16, root13, store->tree_root(16).value(),
                                   store->consistency_proof(13, 16).value()));
  CHECK(store->verify().ok);
}

TEST_CASE("a store from before the tree gets it back-filled at its first open; verify finds a changed node") {
  TempDir dir;
  Hash root;
  {
    auto store = open_store(dir.path());
    fill(*store, 40);
    root = store->tree_root(40).value();
    // What a store written before the tree looks like: no nodes, no size.
    rocksdb::WriteBatch wb;
    wb.DeleteRange(store->cf_tree(), std::string(1, '\0'), std::string(1, '\x7f'));
    wb.Delete(store->cf_meta(), "tree_size");
    REQUIRE(store->raw_db()->Write(rocksdb::WriteOptions(), &wb).ok());
  }
  {
    StoreOptions ro;
    ro.read_only = true;
    auto store = Store::open(dir.path(), ro).value();
    CHECK(store->tree_size() == 0);  // a read-only open does not write the tree
    CHECK(store->verify().ok);       // nor holds its absence against the store
  }
  auto store = open_store(dir.path());
  CHECK(store->tree_size() == 40);
  CHECK(store->tree_root(40).value() == root);
  CHECK(store->verify().ok);
  fill(*store, 2);
  CHECK(store->verify().ok);

  // One node changed under the ledger (a stored one: level 4 and up).
  std::string key = merkle::node_key(4, 1), v;
  REQUIRE(store->raw_db()->Get(rocksdb::ReadOptions(), store->cf_tree(), key, &v).ok());
  v[0] ^= 1;
  REQUIRE(store->raw_db()->Put(rocksdb::WriteOptions(), store->cf_tree(), key, v).ok());
  auto rep = store->verify();
  CHECK_FALSE(rep.ok);
  CHECK(rep.problem == VerifyProblem::tree_mismatch);
  CHECK(rep.first_bad_position == 32);  // leaves 16..31 (positions 17..32) make node (4, 1)
  CHECK(rep.detail.find("node (level 4, index 1)") != std::string::npos);
}

TEST_CASE("the programme index: written with the events, back-filled for a store from before it, checked on read") {
  TempDir dir;
  // Events of two programmes, mixed; the third of every four has none.
  auto fill_two = [](Store& store, int from, int n) {
    for (int i = from; i < from + n; ++i) {
      Batch b = store.begin(1'600'000'000'000'000 + i);
      EventMeta m = meta_for(i);
      m.programme_id = i % 4 == 3 ? "" : i % 2 ? "prog-b" : "prog-a";
      REQUIRE(b.add("pair-" + std::to_string(i % 3), std::nullopt, fb::Event::SessionLogged, test::small_payload(i), m)
                  .is_ok());
      REQUIRE(store.commit(b).is_ok());
    }
  };
  auto positions = [](Store& store, const std::string& pid, std::uint64_t from = 1, std::uint64_t to = 0) {
    std::vector<std::uint64_t> out;
    Status st = store.scan_programme(pid, from, to, [&](const EventView& e) {
      CHECK(e.programme_id() == pid);
      out.push_back(e.position());
      return Status::ok();
    });
    REQUIRE_MESSAGE(st.is_ok(), st.to_string());
    return out;
  };
  auto expected = [](const std::string& pid, int n) {
    std::vector<std::uint64_t> out;
    for (int i = 0; i < n; ++i)
      if (i % 4 != 3 && (i % 2 ? "prog-b" : "prog-a") == pid) out.push_back(static_cast<std::uint64_t>(i) + 1);
    return out;
  };
  {
    auto store = open_store(dir.path());
    fill_two(*store, 0, 40);
    CHECK(positions(*store, "prog-a") == expected("prog-a", 40));
    CHECK(positions(*store, "prog-b") == expected("prog-b", 40));
    CHECK(positions(*store, "prog-b", 10, 20) == std::vector<std::uint64_t>{10, 14, 18});
    CHECK(positions(*store, "prog-c").empty());
    auto sizes = store->programme_sizes().value();
    REQUIRE(sizes.size() == 2);
    CHECK(sizes[0] == std::pair<std::string, std::uint64_t>{"prog-a", 20});
    CHECK(sizes[1] == std::pair<std::string, std::uint64_t>{"prog-b", 10});
    // Recording times: event i was recorded at base + i.
    CHECK(store->position_at(1'600'000'000'000'000 - 1).value() == 0);
    CHECK(store->position_at(1'600'000'000'000'000 + 9).value() == 10);
    CHECK(store->position_at(1'700'000'000'000'000).value() == 40);
    // What a store written before the index looks like: no entries, no size.
    rocksdb::WriteBatch wb;
    wb.DeleteRange(store->cf_programmes(), std::string(1, '\0'), std::string(1, '\x7f'));
    wb.Delete(store->cf_meta(), "programme_index_size");
    REQUIRE(store->raw_db()->Write(rocksdb::WriteOptions(), &wb).ok());
  }
  {
    // Read-only, the index is not back-filled: a read through it is refused.
    StoreOptions ro;
    ro.read_only = true;
    auto store = Store::open(dir.path(), ro).value();
    Status st = store->scan_programme("prog-a", 1, 0, [](const EventView&) { return Status::ok(); });
    CHECK_MESSAGE(st.is(Kind::unavailable), st.to_string());
  }
  auto store = open_store(dir.path());
  CHECK(positions(*store, "prog-a") == expected("prog-a", 40));
  CHECK(store->verify().ok);
  fill_two(*store, 40, 8);
  CHECK(store->verify().ok);
  CHECK(positions(*store, "prog-a") == expected("prog-a", 48));
  CHECK(positions(*store, "prog-b") == expected("prog-b", 48));

  // An event's entry missing: verify names it.
  REQUIRE(store->raw_db()->Delete(rocksdb::WriteOptions(), store->cf_programmes(), programme_key("prog-b", 14)).ok());
  auto rep = store->verify();
  CHECK_FALSE(rep.ok);
  CHECK(rep.problem == VerifyProblem::index_mismatch);
  CHECK(rep.first_bad_position == 14);
  REQUIRE(store->raw_db()->Put(rocksdb::WriteOptions(), store->cf_programmes(), programme_key("prog-b", 14), "").ok());
  CHECK(store->verify().ok);

  // An entry that names an event of another programme, or no event.
  REQUIRE(store->raw_db()->Put(rocksdb::WriteOptions(), store->cf_programmes(), programme_key("prog-a", 2), "").ok());
  Status st = store->scan_programme("prog-a", 1, 0, [](const EventView&) { return Status::ok(); });
  CHECK(st.is(Kind::corruption));
  CHECK(st.message().find("position 2") != std::string::npos);
  CHECK_FALSE(store->verify().ok);
  REQUIRE(store->raw_db()->Delete(rocksdb::WriteOptions(), store->cf_programmes(), programme_key("prog-a", 2)).ok());
  REQUIRE(store->raw_db()->Put(rocksdb::WriteOptions(), store->cf_programmes(), programme_key("prog-a", 99), "").ok());
  st = store->scan_programme("prog-a", 1, 0, [](const EventView&) { return Status::ok(); });
  CHECK(st.is(Kind::corruption));
  CHECK(st.message().find("position 99") != std::string::npos);
  // A changed event is found as every read finds it.
  REQUIRE(store->raw_db()->Delete(rocksdb::WriteOptions(), store->cf_programmes(), programme_key("prog-a", 99)).ok());
  std::string v = raw_get(*store, 5);
  v[v.size() / 2] = static_cast<char>(v[v.size() / 2] ^ 1);
  raw_put(*store, 5, v);
  st = store->scan_programme("prog-a", 1, 0, [](const EventView&) { return Status::ok(); });
  CHECK(st.is(Kind::corruption));
}
