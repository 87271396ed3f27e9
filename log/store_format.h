// The store's key and record grammar, and the checks every read of a stored
// event makes. Internal to ledger/ (store.cc, scan.cc, verify.cc, batch.cc);
// every persisted format is described in docs/STORAGE.md.
//
// Column families and their keys (all integers big-endian):
//
//   events       u64 position                    -> Envelope FlatBuffer (schemas/events.fbs)
//   streams      stream id ‖ 0x00 ‖ u64 version  -> u64 position
//   commands     scoped idempotency key          -> command record
//   meta         "head"                          -> head record
//   checkpoints  projection name                 -> opaque projection snapshot
//   programmes   programme id ‖ 0x00 ‖ u64 position -> empty (the programme's events)
//   snapshots    programme id ‖ 0x00 ‖ u64 position -> opaque as-of snapshot
//   snapshot_catalogue  the same keys           -> u64 count (the programme's events up to it)
//   evidence     documents and their pieces (the grammar is in evidence.cc)
//
//   head record    := u64 position ‖ 32 bytes hash ‖ i64 recorded_at_us ‖ u16 schema_version
//   command record := 32 bytes fingerprint ‖ u32 len ‖ id ‖ u32 n ‖ n × u64 position
//
// A stream id never contains 0x00, so a stream's keys are contiguous and in
// version order. The hash of each event is defined in envelope.cc.
#pragma once

#include <rocksdb/slice.h>
#include <rocksdb/slice_transform.h>
#include <rocksdb/status.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "base/coding.h"
#include "log/store.h"

namespace pl::store_format {

using coding::get_u32;
using coding::get_u64;
using coding::put_u32;
using coding::put_u64;

inline constexpr char kHeadKey[] = "head";
// The number of leaves the Merkle tree holds (column family "tree", keys
// merkle::node_key): the head's position once back-filled, written in the
// same RocksDB write as the events and the nodes they complete.
inline constexpr char kTreeSizeKey[] = "tree_size";
// Nodes below this level are not stored: a node of level L < 4 covers at most
// 8 leaves, read from the events' own hashes when a proof needs it. This
// keeps the tree at one stored node per 8 events (instead of two per event),
// which is what keeps its cost on commits small.
inline constexpr int kTreeLowestStoredLevel = 4;
// The position up to which the programmes column family indexes every event:
// the head's once back-filled, written in the same RocksDB write as the events.
inline constexpr char kProgrammeIndexSizeKey[] = "programme_index_size";
// Settings fixed or kept by the ledger itself (the origin of its signed
// checkpoints, its verifier keys), under "setting/<name>".
inline constexpr char kSettingPrefix[] = "setting/";

// The durable-head mark: a small file beside RocksDB's, rewritten (by rename)
// at most once a second after a commit and at every flush, naming a position
// and hash the ledger has acknowledged. A store that opens below it lost
// acknowledged events (a truncated write-ahead log looks like a clean end to
// RocksDB); one whose event there has another hash was rewritten.
inline constexpr char kMarkFile[] = "DURABLE-HEAD";
inline constexpr std::string_view kMarkMagic = "programme-ledger durable-head v1";

// The records above. Each decode_* returns false when its input is not a
// whole record (a mark cut by a power loss, say); the output may then be
// partly written and must not be used. Pure; thread safe.
std::string encode_head(const Head& h);
bool decode_head(std::string_view s, Head* h);
std::string encode_mark(const Head& h);
bool decode_mark(const std::string& text, Head* h);
std::string encode_command(const CommandRecord& r);
bool decode_command(std::string_view s, CommandRecord* r);

// A RocksDB status as the ledger's: OK, corruption, not_found, or io_error
// (every other failure), its message prefixed with `what`.
Status from_rocks(const rocksdb::Status& s, std::string_view what);
// The slice's bytes, borrowed.
std::string_view view(const rocksdb::Slice& s);
// FlatBuffers are read in place and need their natural alignment; values
// under a RocksDB iterator have none, so a misaligned one is copied to `buf`.
// The view returned borrows either the slice's bytes or `buf`.
std::string_view aligned(const rocksdb::Slice& s, std::string& buf);

// The stream id and its 0x00 of a streams key. Given to RocksDB as the
// memtable insert hint: a stream's versions arrive in order, so each insert
// starts where the stream's last one ended instead of at the skip list's top.
class StreamPrefix final : public rocksdb::SliceTransform {
 public:
  const char* Name() const override { return "pl.StreamPrefix"; }
  rocksdb::Slice Transform(const rocksdb::Slice& key) const override {
    auto n = view(key).find('\0');
    return rocksdb::Slice(key.data(), n + 1);
  }
  bool InDomain(const rocksdb::Slice& key) const override { return view(key).find('\0') != std::string_view::npos; }
};

// What every read of a stored event checks beyond its structure: that it sits
// under its own position, and that its contents still hash to the hash it
// was written with. A changed byte is an error naming the position, never a
// silently different event.
inline constexpr std::string_view kAltered =
    "; the ledger was altered outside the ledger (ledger verify reports the whole chain)";

Status corrupt_at(std::string_view key, const std::string& what);
// The stored event under `key` sits under its own position and still hashes
// to the hash it was written with: check_position() and check_hash(), the
// one cheap, the other a SHA-256 of the whole envelope (which a pipelined
// scan spreads over two threads).
Status check_stored(const EventView& ev, std::string_view key);
Status check_position(const EventView& ev, std::string_view key);
Status check_hash(const EventView& ev);
// The decoded, checked event stored under `key`, borrowing `bytes` (8-byte
// aligned, as decode_event() requires)...
Result<EventView> decode_stored(std::string_view bytes, std::string_view key);
// ... or owning them. Either fails with corruption naming the position.
Result<StoredEvent> stored_event(std::string bytes, std::string_view key);

// Scans also check each link: an event names the hash of the one before it
// (the first event of a scan that starts past position 1 has none to check).
class ChainCheck {
 public:
  Status follow(const EventView& ev) {
    if (have_prev_ && ev.prev_hash_bytes() != bytes_of(prev_))
      return Status::corruption("event at position " + std::to_string(ev.position()) +
                                ": it does not name the hash of the event before it" + std::string(kAltered));
    std::memcpy(prev_.data(), ev.hash_bytes().data(), prev_.size());  // 32 bytes: check_stored compared them
    have_prev_ = true;
    return Status::ok();
  }

 private:
  Hash prev_{};
  bool have_prev_ = false;
};

}  // namespace pl::store_format
