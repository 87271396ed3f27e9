// The event store: an append-only, hash-chained log of events in RocksDB.
//
// Promises:
//  * positions are dense, starting at 1; each stream's versions are dense,
//    starting at 1; a Batch lands whole or not at all;
//  * the head (last position, its hash, its recorded-at) moves in the same
//    RocksDB write as the events it covers;
//  * recorded-at never decreases, across commits and restarts;
//  * an idempotency key, once committed, maps forever to the positions its
//    command produced;
//  * nothing is ever updated or deleted.
//
// Thread safety: reads (head, read, read_stream, scan, find_command, verify)
// may run on any thread at any time. Building and committing a Batch is for
// one thread at a time (the Writer).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "ledger/envelope.h"
#include "ledger/status.h"

namespace rocksdb {
class DB;
class ColumnFamilyHandle;
class WriteBatch;
class Env;
}  // namespace rocksdb

namespace pl {

struct Head {
  std::uint64_t position = 0;
  Hash hash{};                  // zeros for an empty store
  std::int64_t recorded_at_us = 0;
};

// What an append reports for one event.
struct EventRef {
  std::uint64_t position = 0;
  std::string stream;
  std::uint64_t version = 0;
  fb::Event type = fb::Event::NONE;
  Hash hash{};
};

// The first outcome of an idempotent command, kept under its key.
struct CommandRecord {
  Hash fingerprint{};                  // of the request that first used the key
  std::string id;                      // the entity the command named
  std::vector<std::uint64_t> positions;
};

struct StoreOptions {
  // Sync the write-ahead log before a commit returns. With false, a machine
  // crash can lose acknowledged events. Default: true.
  bool sync = true;
  // Create the store when the directory holds none. Default: true.
  bool create_if_missing = true;
  // Open without the right to write (verify, export, backup). Default: false.
  bool read_only = false;
  // The RocksDB environment; tests put a fault-injecting one here.
  // Default: nullptr (rocksdb::Env::Default()).
  rocksdb::Env* env = nullptr;
};

enum class VerifyProblem : std::uint8_t {
  none = 0,
  undecodable = 1,     // the value is not a valid envelope
  gap = 2,             // a position is missing
  reordered = 3,       // the value under a key holds another position
  prev_hash_mismatch = 4,
  hash_mismatch = 5,   // recomputed hash differs from the stored one
  index_mismatch = 6,  // the streams index does not point at the event
  head_mismatch = 7,   // the head does not name the last event
  bad_key = 8,
  unavailable = 9,     // the store could not be read at all (first_bad_position 0)
};
std::string_view verify_problem_name(VerifyProblem p);

struct VerifyReport {
  bool ok = true;
  std::uint64_t checked = 0;
  Head head;                            // the head as stored
  std::uint64_t first_bad_position = 0; // 0 when ok
  VerifyProblem problem = VerifyProblem::none;
  std::string detail;                   // a sentence saying what is wrong
};

class Store;

// Events about to be committed together. Made by Store::begin().
class Batch {
 public:
  ~Batch();
  Batch(Batch&&) noexcept;
  Batch& operator=(Batch&&) = delete;

  // Appends one event. `expected_version`, when set, is the version the
  // stream must be at before this event (0: the stream must not exist).
  // Refuses with version_conflict and adds nothing when it is not.
  // When `bytes_out` is given, it receives the stored envelope bytes.
  Result<EventRef> add(std::string_view stream, std::optional<std::uint64_t> expected_version, fb::Event type,
                       std::string_view payload, const EventMeta& meta, std::string* bytes_out = nullptr);
  // Records the outcome of an idempotent command.
  void record_command(std::string_view key, const CommandRecord& record);
  // A command recorded earlier in this batch, if any.
  const CommandRecord* pending_command(std::string_view key) const;
  // The version `stream` is at, counting the events of this batch.
  Result<std::uint64_t> stream_version(std::string_view stream);

  // Marks the current end; rollback() drops what was added since the mark,
  // release() keeps it and forgets the mark. One mark at a time.
  void mark();
  void rollback();
  void release();

  const Head& head() const { return head_; }
  std::size_t size() const { return count_; }
  std::int64_t recorded_at_us() const { return recorded_at_us_; }

 private:
  friend class Store;
  Batch(Store* store, std::int64_t now_us);

  struct Saved {
    Head head;
    std::size_t count;
    std::size_t undo_size;
    std::size_t commands_size;
  };
  Store* store_;
  std::unique_ptr<rocksdb::WriteBatch> wb_;
  Head head_;
  std::int64_t recorded_at_us_;
  std::size_t count_ = 0;
  std::unordered_map<std::string, std::uint64_t> versions_;           // streams touched
  std::vector<std::pair<std::string, std::uint64_t>> undo_;           // (stream, version before)
  std::vector<std::pair<std::string, CommandRecord>> commands_;
  std::unordered_map<std::string, std::size_t> command_index_;        // key -> index in commands_
  std::optional<Saved> saved_;
};

class Store {
 public:
  static Result<std::unique_ptr<Store>> open(const std::string& dir, const StoreOptions& options = {});
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // The last committed position, hash and recorded-at.
  Head head() const;

  // Starts a batch; recorded-at = max(now_us, head's recorded-at).
  Batch begin(std::int64_t now_us);
  // Writes the batch atomically (synced per StoreOptions::sync). On success
  // the head moves; on failure nothing is written and the store is as before.
  Status commit(Batch& batch);

  // Every event read is checked: its structure, its position, and its hash
  // against its contents (scans also check each link to the event before).
  // A failed check is a corruption error naming the position.
  //
  // Up to `limit` events from position `from` on, in order.
  Result<std::vector<StoredEvent>> read(std::uint64_t from, std::size_t limit) const;
  // One event; not_found if there is none at that position.
  Result<StoredEvent> read_one(std::uint64_t position) const;
  // Calls fn for each event with from <= position <= to (to = 0: to the end),
  // stopping at the first non-ok status, which is returned.
  Status scan(std::uint64_t from, std::uint64_t to, const std::function<Status(const EventView&)>& fn) const;
  // The same, for long ranges: a second thread reads and verifies batches of
  // events while `fn` runs on the calling thread.
  Status scan_pipelined(std::uint64_t from, std::uint64_t to,
                        const std::function<Status(const EventView&)>& fn) const;
  // The events of one stream from version `from_version` on, in version order.
  Result<std::vector<StoredEvent>> read_stream(std::string_view stream, std::uint64_t from_version = 1) const;
  // The committed version of a stream (0 if it has no events).
  Result<std::uint64_t> stream_version(std::string_view stream) const;
  // The record kept under an idempotency key, or nullopt.
  Result<std::optional<CommandRecord>> find_command(std::string_view key) const;

  // Recomputes the whole chain and checks every value, the index and the
  // head; reports the first bad position. progress(checked, total) is called
  // every 65,536 events.
  VerifyReport verify(const std::function<void(std::uint64_t, std::uint64_t)>& progress = {}) const;

  // After a failed commit (see commit()), the writer reopens the store before
  // it decides anything else: what the reopened store holds is the truth about
  // the failed write. Fails while the storage still fails; then every read
  // answers unavailable until a reopen succeeds. Writer thread only.
  bool needs_reopen() const { return needs_reopen_; }
  Status reopen();

  // Writes every memtable to sorted files, so that the next open has no
  // write-ahead log to replay (a clean shutdown does this).
  Status flush();

  // A consistent copy of the store in `dir` (which must not exist).
  Status backup(const std::string& dir) const;

  // Projection checkpoints: an opaque value under a name.
  Status put_checkpoint(std::string_view name, std::string_view value);
  Result<std::optional<std::string>> get_checkpoint(std::string_view name) const;

  // Raw access, for tools and tests that need to look under the ledger.
  rocksdb::DB* raw_db() const { return db_.get(); }
  rocksdb::ColumnFamilyHandle* cf_events() const { return events_; }
  rocksdb::ColumnFamilyHandle* cf_streams() const { return streams_; }
  rocksdb::ColumnFamilyHandle* cf_commands() const { return commands_; }
  rocksdb::ColumnFamilyHandle* cf_meta() const { return meta_; }

 private:
  friend class Batch;
  Store() = default;
  Result<std::uint64_t> cached_version(std::string_view stream);
  struct EventCursor;
  Status open_db();
  void close_db();
  Result<StoredEvent> read_one_unlocked(std::uint64_t position) const;
  // ok while a RocksDB instance is open; every method that reads or writes
  // asks first (after a failed reopen there is none).
  Status usable() const;
  // The durable-head mark (see store.cc): checked at open, written after
  // commits (at most once a second) and at every flush.
  Status check_mark();
  void write_mark(const Head& h);
  std::optional<Head> durable_mark_;
  std::chrono::steady_clock::time_point mark_written_{};

  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
  rocksdb::ColumnFamilyHandle* events_ = nullptr;
  rocksdb::ColumnFamilyHandle* streams_ = nullptr;
  rocksdb::ColumnFamilyHandle* commands_ = nullptr;
  rocksdb::ColumnFamilyHandle* meta_ = nullptr;
  rocksdb::ColumnFamilyHandle* checkpoints_ = nullptr;
  StoreOptions options_;
  bool consistent_ = true;
  bool needs_reopen_ = false;  // writer thread only: the last commit failed
  std::string dir_;
  // Readers share it; reopen() takes it alone, to swap the RocksDB instance.
  mutable std::shared_mutex db_mu_;
  std::string inconsistency_;

  mutable std::mutex head_mu_;
  Head head_;
  // Writer thread only.
  std::unordered_map<std::string, std::uint64_t> version_cache_;
};

// Key encodings (exposed for tools and tests).
std::string position_key(std::uint64_t position);
std::string stream_key(std::string_view stream, std::uint64_t version);

}  // namespace pl
