// verify: the whole chain, every value, the streams index and the head, at
// one consistent snapshot.
#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <memory>

#include "log/store.h"
#include "log/store_format.h"

namespace pl {

using namespace store_format;

namespace {

// An order-independent digest of a set of key/value entries: the lane-wise
// sum of SHA-256(key ‖ value), and their count. The streams index is checked
// by comparing the digest of what the events say it holds with the digest of
// what it holds, read in key order, instead of one lookup per event (which
// was most of verify's time).
struct IndexDigest {
  std::array<std::uint64_t, 4> lanes{};
  std::uint64_t count = 0;
  void add(std::string_view key, std::string_view value) {
    std::string kv;
    kv.reserve(key.size() + value.size() + 4);
    coding::put_u32(kv, static_cast<std::uint32_t>(key.size()));
    kv.append(key);
    kv.append(value);
    Hash h = sha256(kv);
    for (std::size_t i = 0; i < lanes.size(); ++i) lanes[i] += get_u64(reinterpret_cast<const char*>(h.data()) + 8 * i);
    ++count;
  }
  bool operator==(const IndexDigest&) const = default;
};

}  // namespace

Status Store::scan_unlocked_hashes(const rocksdb::ReadOptions& ro, const std::function<bool(const Hash&)>& fn) const {
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, events_));
  std::string buf;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    auto ev = decode_event(aligned(it->value(), buf));
    if (!ev) return ev.status();
    Hash h;
    std::memcpy(h.data(), ev->hash_bytes().data(), 32);
    if (!fn(h)) break;
  }
  return from_rocks(it->status(), "read events");
}

VerifyReport Store::verify(const std::function<void(std::uint64_t, std::uint64_t)>& progress) const {
  std::shared_lock db_lock(db_mu_);

  VerifyReport rep;
  if (Status st = usable(); !st) {
    rep.ok = false;
    rep.problem = VerifyProblem::unavailable;
    rep.detail = st.message();
    return rep;
  }
  // One snapshot for the head, the events and the index, so that commits
  // made while verify runs are not half seen.
  std::shared_ptr<const rocksdb::Snapshot> snapshot(
      db_->GetSnapshot(), [db = db_.get()](const rocksdb::Snapshot* s) { db->ReleaseSnapshot(s); });
  rocksdb::ReadOptions ro;
  ro.snapshot = snapshot.get();
  std::string head_value;
  bool have_head = false;
  auto hs = db_->Get(ro, meta_, kHeadKey, &head_value);
  if (hs.ok()) have_head = decode_head(head_value, &rep.head);
  auto fail = [&](std::uint64_t pos, VerifyProblem p, std::string detail) {
    rep.ok = false;
    rep.first_bad_position = pos;
    rep.problem = p;
    rep.detail = std::move(detail);
    return rep;
  };
  if (!hs.ok() && !hs.IsNotFound())
    return fail(1, VerifyProblem::head_mismatch, "cannot read the head: " + hs.ToString());
  if (hs.ok() && !have_head) return fail(1, VerifyProblem::head_mismatch, "the head record is malformed");

  ro.readahead_size = 2 << 20;
  ro.fill_cache = false;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, events_));
  Hash prev{};
  std::uint64_t expected = 1;
  std::string index_value, buf;
  IndexDigest should_hold;             // what the events say the streams index holds
  IndexDigest programmes_should_hold;  // and the programme index
  merkle::Frontier tree;               // the tree the events make, to compare with the stored one
  IndexDigest tree_should_hold;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    if (it->key().size() != 8)
      return fail(expected, VerifyProblem::bad_key,
                  "a key of " + std::to_string(it->key().size()) + " bytes is not a position");
    std::uint64_t key_pos = get_u64(it->key().data());
    if (key_pos != expected)
      return fail(
          expected, VerifyProblem::gap,
          "position " + std::to_string(expected) + " is missing (next stored key is " + std::to_string(key_pos) + ")");
    auto ev = decode_event(aligned(it->value(), buf));
    if (!ev)
      return fail(expected, VerifyProblem::undecodable,
                  "position " + std::to_string(expected) + ": " + ev.status().message());
    if (ev->position() != key_pos)
      return fail(expected, VerifyProblem::reordered,
                  "the value stored at position " + std::to_string(key_pos) + " is the event of position " +
                      std::to_string(ev->position()));
    if (ev->prev_hash_bytes() != bytes_of(prev))
      return fail(expected, VerifyProblem::prev_hash_mismatch,
                  "position " + std::to_string(expected) + " names previous hash " + to_hex(ev->prev_hash_bytes()) +
                      " but the event before it hashes to " + to_hex(prev));
    Hash h = envelope_hash(ev->ref());
    if (ev->hash_bytes() != bytes_of(h))
      return fail(expected, VerifyProblem::hash_mismatch,
                  "position " + std::to_string(expected) + " stores hash " + to_hex(ev->hash_bytes()) +
                      " but its contents hash to " + to_hex(h));
    if (durable_mark_ && durable_mark_->position == expected && durable_mark_->hash != h)
      return fail(expected, VerifyProblem::hash_mismatch,
                  "position " + std::to_string(expected) + " hashes to " + to_hex(h) + " but the ledger acknowledged " +
                      to_hex(durable_mark_->hash) + " there (" + kMarkFile + "): the store was rewritten");
    should_hold.add(stream_key(ev->stream(), ev->version()), it->key().ToStringView());
    if (!ev->programme_id().empty()) programmes_should_hold.add(programme_key(ev->programme_id(), key_pos), {});
    prev = h;
    tree.append(h, [&](int level, std::uint64_t index, const Hash& node) {
      if (level >= kTreeLowestStoredLevel) tree_should_hold.add(merkle::node_key(level, index), bytes_of(node));
    });
    rep.checked = expected;
    if (progress && (expected & 0xffff) == 0) progress(expected, rep.head.position);
    ++expected;
  }
  if (!it->status().ok())
    return fail(expected, VerifyProblem::undecodable, "reading events failed: " + it->status().ToString());

  if (durable_mark_ && durable_mark_->position > rep.checked)
    return fail(
        rep.checked + 1, VerifyProblem::head_mismatch,
        "the ledger acknowledged position " + std::to_string(durable_mark_->position) + " (" + kMarkFile +
            ") but the chain ends at " + std::to_string(rep.checked) +
            ": acknowledged events were lost (a damaged or truncated write-ahead log); restore the latest backup");
  if (rep.head.position != rep.checked)
    return fail(std::min(rep.head.position, rep.checked) + 1, VerifyProblem::head_mismatch,
                "the head names position " + std::to_string(rep.head.position) + " but the chain ends at " +
                    std::to_string(rep.checked));
  if (rep.checked > 0 && rep.head.hash != prev)
    return fail(rep.checked, VerifyProblem::head_mismatch,
                "the head hash " + to_hex(rep.head.hash) + " differs from the last event's hash " + to_hex(prev));
  // The streams index, read in one sequential pass and compared as a whole.
  IndexDigest holds;
  std::unique_ptr<rocksdb::Iterator> ix(db_->NewIterator(ro, streams_));
  for (ix->SeekToFirst(); ix->Valid(); ix->Next()) holds.add(ix->key().ToStringView(), ix->value().ToStringView());
  if (!ix->status().ok())
    return fail(rep.checked, VerifyProblem::index_mismatch,
                "reading the streams index failed: " + ix->status().ToString());
  if (!(holds == should_hold)) {
    // They differ: look the entries up one by one to name the first event
    // whose entry is wrong, then the first entry that names no such event.
    for (std::uint64_t pos = 1; pos <= rep.checked; ++pos) {
      auto ev = read_one_unlocked(pos);
      if (!ev) return fail(pos, VerifyProblem::undecodable, ev.status().message());
      auto v = ev->view();
      auto is = db_->Get(ro, streams_, stream_key(v.stream(), v.version()), &index_value);
      if (!is.ok() || index_value != position_key(pos))
        return fail(pos, VerifyProblem::index_mismatch,
                    "the streams index for " + std::string(v.stream()) + " version " + std::to_string(v.version()) +
                        " does not point at position " + std::to_string(pos));
    }
    for (ix->SeekToFirst(); ix->Valid(); ix->Next()) {
      std::uint64_t pos = ix->value().size() == 8 ? get_u64(ix->value().data()) : 0;
      auto ev = pos == 0 ? Result<StoredEvent>(Status::not_found("")) : read_one_unlocked(pos);
      if (!ev || stream_key(ev->view().stream(), ev->view().version()) != ix->key().ToStringView())
        return fail(
            pos, VerifyProblem::index_mismatch,
            "the streams index holds an entry that names no event of its stream at position " + std::to_string(pos));
    }
    return fail(rep.checked, VerifyProblem::index_mismatch, "the streams index differs from the events");
  }

  // The programme index, once complete (a store from before it is
  // back-filled at its first open for writing): one entry per event, under
  // the event's programme, and no other.
  std::string index_size;
  if (programmes_ != nullptr && db_->Get(ro, meta_, kProgrammeIndexSizeKey, &index_size).ok() &&
      index_size.size() == 8 && get_u64(index_size.data()) == rep.checked) {
    IndexDigest programmes_hold;
    std::unique_ptr<rocksdb::Iterator> px(db_->NewIterator(ro, programmes_));
    for (px->SeekToFirst(); px->Valid(); px->Next())
      programmes_hold.add(px->key().ToStringView(), px->value().ToStringView());
    if (!px->status().ok())
      return fail(rep.checked, VerifyProblem::index_mismatch,
                  "reading the programme index failed: " + px->status().ToString());
    if (!(programmes_hold == programmes_should_hold)) {
      for (std::uint64_t pos = 1; pos <= rep.checked; ++pos) {
        auto ev = read_one_unlocked(pos);
        if (!ev) return fail(pos, VerifyProblem::undecodable, ev.status().message());
        std::string_view pid = ev->view().programme_id();
        if (pid.empty()) continue;
        auto is = db_->Get(ro, programmes_, programme_key(pid, pos), &index_value);
        if (!is.ok() || !index_value.empty())
          return fail(
              pos, VerifyProblem::index_mismatch,
              "the programme index has no entry for position " + std::to_string(pos) + " under " + std::string(pid));
      }
      return fail(rep.checked, VerifyProblem::index_mismatch,
                  "the programme index holds an entry that names no event of its programme");
    }
  }

  // The stored tree, as of the same snapshot, must be the one the events
  // make: its size, and its root read from the stored nodes.
  std::string size_value;
  auto ts = db_->Get(ro, meta_, kTreeSizeKey, &size_value);
  std::uint64_t tree_size = 0;
  if (ts.ok() && size_value.size() == 8)
    tree_size = get_u64(size_value.data());
  else if (!ts.IsNotFound())
    return fail(rep.checked, VerifyProblem::tree_mismatch, "the Merkle tree's size record cannot be read");
  if (tree_size == rep.checked) {
    // Every stored node, read in one pass, against every node of the events' tree.
    IndexDigest tree_holds;
    std::unique_ptr<rocksdb::Iterator> tx(db_->NewIterator(ro, tree_));
    for (tx->SeekToFirst(); tx->Valid(); tx->Next())
      tree_holds.add(tx->key().ToStringView(), tx->value().ToStringView());
    if (!tx->status().ok())
      return fail(rep.checked, VerifyProblem::tree_mismatch,
                  "reading the Merkle tree failed: " + tx->status().ToString());
    if (!(tree_holds == tree_should_hold)) {
      // Name the first leaf whose node differs, walking the tree again.
      merkle::Frontier again;
      std::uint64_t bad = 0;
      std::string detail = "the stored Merkle tree holds nodes that are not the events' tree";
      Status walk = scan_unlocked_hashes(ro, [&](const Hash& h) {
        again.append(h, [&](int level, std::uint64_t index, const Hash& node) {
          if (bad || level < kTreeLowestStoredLevel) return;
          std::string v;
          auto st = db_->Get(ro, tree_, merkle::node_key(level, index), &v);
          if (!st.ok() || v != bytes_of(node)) {
            bad = again.size();
            detail = "the stored Merkle tree's node (level " + std::to_string(level) + ", index " +
                     std::to_string(index) + "), completed by position " + std::to_string(bad) + ", " +
                     (st.ok() ? "is " + to_hex(v) + ", not " + to_hex(node) : "is missing");
          }
        });
        return bad == 0;
      });
      (void)walk;
      return fail(bad ? bad : rep.checked, VerifyProblem::tree_mismatch, detail);
    }
  } else if (tree_size > rep.checked || !options_.read_only) {
    // (A read-only open of a store from before the tree: not back-filled yet.)
    return fail(rep.checked, VerifyProblem::tree_mismatch,
                "the Merkle tree holds " + std::to_string(tree_size) + " leaves for " + std::to_string(rep.checked) +
                    " events");
  }

  if (progress) progress(rep.checked, rep.head.position);
  return rep;
}

}  // namespace pl
