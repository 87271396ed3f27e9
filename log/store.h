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
//  * nothing is ever updated or deleted (but the pieces of an evidence
//    upload that was not finished).
//
// Thread safety: the const methods (head, read, read_one, scan, read_stream,
// stream_version, find_command, verify, backup, get_checkpoint, the evidence
// reads), put_checkpoint and begin_evidence may be called from any thread at any time, without external
// locking. begin(), commit(), needs_reopen() and reopen() are for the writer
// thread alone, and a Batch is used by that thread only; flush() must not run
// concurrently with commit().
//
// Errors: a Status of kind corruption means stored bytes are not what the
// ledger wrote (the message names the position); io_error, that the storage
// failed; unavailable, that the store is open read-only (for a write) or is
// being reopened after a storage failure (for anything).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/status.h"
#include "log/envelope.h"
#include "log/evidence.h"
#include "log/merkle.h"

namespace rocksdb {
class DB;
struct ReadOptions;
class ColumnFamilyHandle;
class WriteBatch;
class Env;
}  // namespace rocksdb

namespace pl {

// The last committed event: position 0 and a zero hash for an empty store.
struct Head {
  std::uint64_t position = 0;
  Hash hash{};  // zeros for an empty store
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
  Hash fingerprint{};  // of the request that first used the key
  std::string id;      // the entity the command named
  std::vector<std::uint64_t> positions;
};

struct StoreOptions {
  // Sync the write-ahead log before commit() and put_checkpoint() return.
  // With false, a machine crash can lose acknowledged events.
  // Default: true
  bool sync = true;
  // Create the store when the directory holds none; with false, open() of a
  // directory without a store fails.
  // Default: true
  bool create_if_missing = true;
  // Open without the right to write (verify, export, backup): commit()
  // answers unavailable. Another process may hold the store open for writing;
  // this one then sees the store as it was when opened.
  // Default: false
  bool read_only = false;
  // The RocksDB environment (tests put a fault-injecting one here). Not owned:
  // it must outlive the Store. nullptr: rocksdb::Env::Default().
  // Default: nullptr
  rocksdb::Env* env = nullptr;
  // How long finishing an evidence upload waits for its pieces to reach the
  // disk before it fails (io_error) rather than hold its caller.
  // Default: 10 s
  std::chrono::milliseconds evidence_flush_bound{10'000};
};

enum class VerifyProblem : std::uint8_t {
  none = 0,
  undecodable = 1,  // the value is not a valid envelope
  gap = 2,          // a position is missing
  reordered = 3,    // the value under a key holds another position
  prev_hash_mismatch = 4,
  hash_mismatch = 5,   // recomputed hash differs from the stored one
  index_mismatch = 6,  // the streams index does not point at the event
  head_mismatch = 7,   // the head does not name the last event
  bad_key = 8,
  unavailable = 9,     // the store could not be read at all (first_bad_position 0)
  tree_mismatch = 10,  // the stored Merkle tree is not the tree of the events
};
// The problem's name as reports show it ("hash_mismatch").
std::string_view verify_problem_name(VerifyProblem p);

// What Store::verify() found.
struct VerifyReport {
  bool ok = true;
  std::uint64_t checked = 0;
  Head head;                             // the head as stored
  std::uint64_t first_bad_position = 0;  // 0 when ok
  VerifyProblem problem = VerifyProblem::none;
  std::string detail;  // a sentence saying what is wrong
};

class Store;

// Events about to be committed together. Made by Store::begin(); nothing in
// it is stored until Store::commit() succeeds, and a Batch dropped without a
// commit leaves no trace. It keeps a pointer to its Store, which must outlive
// it. Not thread safe: the writer thread alone uses it, one Batch at a time
// (two batches of one store would both claim the next positions).
class Batch {
 public:
  ~Batch();
  Batch(Batch&&) noexcept;
  Batch& operator=(Batch&&) = delete;

  // Appends one event at the next position and the next version of
  // `stream`, and returns them with the event's hash (final once committed).
  // `payload` is a finished Payload FlatBuffer; it is copied.
  // `expected_version`, when set, is the version the stream must be at before
  // this event (0: the stream must not exist). When `bytes_out` is given, it
  // receives the envelope bytes as they will be stored.
  //
  // On failure nothing is added: invalid_argument for an empty stream id or
  // one holding a NUL byte; conflict "version_conflict" when the stream is
  // not at `expected_version`; or the error of reading the stream's version.
  Result<EventRef> add(std::string_view stream, std::optional<std::uint64_t> expected_version, fb::Event type,
                       std::string_view payload, const EventMeta& meta, std::string* bytes_out = nullptr);
  // Replaces the key record `name` (Store::put_key_record) with the events:
  // a key destroyed lands with the event that says so, or neither does.
  void put_key_record(std::string_view name, std::string_view value);
  // The value this batch puts under the key record `name` (the latest), or
  // nullopt. Valid until the next put_key_record(), rollback() or commit.
  bool has_pending_key_records() const { return !key_records_.empty(); }
  std::optional<std::string_view> pending_key_record(std::string_view name) const;
  // Records the outcome of an idempotent command under `key`, to be written
  // with the events. A later record under the same key replaces it.
  void record_command(std::string_view key, const CommandRecord& record);
  // The record kept under `key` earlier in this batch, or nullptr. The
  // pointer is valid until the next record_command(), rollback() or commit.
  const CommandRecord* pending_command(std::string_view key) const;
  // The version `stream` is at, counting the events of this batch (0: no
  // events). May read the store; its errors are returned.
  Result<std::uint64_t> stream_version(std::string_view stream);

  // Marks the current end; rollback() drops what was added since the mark
  // (events and command records), release() keeps it and forgets the mark.
  // One mark at a time; without a mark, rollback() and release() do nothing.
  void mark();
  void rollback();
  void release();

  // The head the store will have once this batch is committed (the store's
  // head at begin() while the batch is empty).
  const Head& head() const { return head_; }
  // The number of events added.
  std::size_t size() const { return count_; }
  // The recorded-at every event of this batch carries.
  std::int64_t recorded_at_us() const { return recorded_at_us_; }

 private:
  friend class Store;
  Batch(Store* store, std::int64_t now_us);

  struct Saved {
    Head head;
    std::size_t count;
    std::size_t undo_size;
    std::size_t commands_size;
    std::size_t key_records;
  };
  Store* store_;
  std::unique_ptr<rocksdb::WriteBatch> wb_;
  Head head_;
  std::int64_t recorded_at_us_;
  std::size_t count_ = 0;
  std::vector<std::pair<std::string, std::string>> key_records_;  // put_key_record calls, in order
  std::unordered_map<std::string, std::uint64_t> versions_;       // streams touched
  std::vector<std::pair<std::string, std::uint64_t>> undo_;       // (stream, version before)
  std::vector<std::pair<std::string, CommandRecord>> commands_;
  std::unordered_map<std::string, std::size_t> command_index_;  // key -> index in commands_
  std::vector<Hash> hashes_;                                    // of the events added, in order: the tree's new leaves
  std::optional<Saved> saved_;
};

class Store {
 public:
  // Opens the store in `dir` (created if missing and options.create_if_missing)
  // and stores it in the result. The caller owns it. Fails with corruption
  // when the write-ahead log is damaged inside (not only a torn last record),
  // or, opened for writing, when the store is below or differs from the
  // durable-head mark (acknowledged events were lost or changed); a
  // read-only open succeeds then and leaves it to verify() to say so. A store
  // whose head does not name its last event opens, but refuses every commit.
  // Any other failure to open is io_error.
  static Result<std::unique_ptr<Store>> open(const std::string& dir, const StoreOptions& options = {});
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // The last committed position, hash and recorded-at, as of the call.
  Head head() const;

  // Starts a batch on top of the current head; its events carry recorded-at
  // max(now_us, head's recorded-at). Writer thread only.
  Batch begin(std::int64_t now_us);
  // Writes the batch's events, index entries, command records and the new
  // head in one RocksDB write (synced per StoreOptions::sync). Writer thread
  // only.
  //
  // On success the head moves and the batch is emptied (an empty batch
  // writes nothing). Otherwise:
  //  * unavailable (read-only), corruption (the store is inconsistent, see
  //    open()), or io_error while a reopen is pending: nothing was written;
  //  * io_error from the write itself: the outcome is not known (the write
  //    may have reached the disk); needs_reopen() turns true, and only
  //    reopen() says what the store holds.
  Status commit(Batch& batch);

  // Every event read is checked: its structure, its position, and its hash
  // against its contents; scans also check each link to the event before. A
  // failed check is a corruption error naming the position. The events
  // returned own their bytes.
  //
  // Up to `limit` events from position `from` (0 counts as 1) on, in order;
  // fewer at the end of the log, none past it.
  Result<std::vector<StoredEvent>> read(std::uint64_t from, std::size_t limit) const;
  // The event at `position`; not_found if there is none.
  Result<StoredEvent> read_one(std::uint64_t position) const;
  // Calls fn, on the calling thread, for each event with from <= position <=
  // to (from 0 counts as 1; to = 0: up to the last event committed when the
  // scan began), in order, stopping at the first non-ok status, which is
  // returned. The view passed to fn is valid during that call only. A
  // reopen() waits until the scan returns.
  Status scan(std::uint64_t from, std::uint64_t to, const std::function<Status(const EventView&)>& fn) const;
  // The same contract, for long ranges: a second thread reads and checks the
  // events ahead while fn runs on the calling thread, and the two share the
  // rehashing (the calling thread checks a block of events itself when the
  // reader has not yet). fn still sees only checked events, in order.
  Status scan_pipelined(std::uint64_t from, std::uint64_t to, const std::function<Status(const EventView&)>& fn) const;
  // The events of one stream from version `from_version` (0 counts as 1) on,
  // in version order; empty for a stream without events. An index entry
  // naming no event is corruption.
  Result<std::vector<StoredEvent>> read_stream(std::string_view stream, std::uint64_t from_version = 1) const;
  // The committed version of a stream (0 if it has no events).
  Result<std::uint64_t> stream_version(std::string_view stream) const;
  // The record kept under a scoped idempotency key, or nullopt if there is
  // none; corruption if the record does not decode.
  Result<std::optional<CommandRecord>> find_command(std::string_view key) const;

  // Recomputes the whole chain and checks every value, the index, the head
  // and the durable-head mark read at open, at one consistent point (commits
  // made meanwhile are not seen); reports the first bad position. A store
  // that cannot be read at all is a report with problem `unavailable`.
  // progress(checked, total) is called on the calling thread every 65,536
  // events and at the end.
  VerifyReport verify(const std::function<void(std::uint64_t, std::uint64_t)>& progress = {}) const;

  // True after a failed commit: the writer must reopen() the store before it
  // decides anything else, since what the reopened store holds is the truth
  // about the failed write. Writer thread only.
  bool needs_reopen() const { return needs_reopen_; }
  // Closes and reopens the RocksDB instance, waiting for reads in progress.
  // Fails (io_error) while the storage still fails; every read then answers
  // unavailable until a reopen succeeds. Writer thread only.
  Status reopen();

  // Whether the durable-head mark is behind the head (commits since the
  // last mark), and writing it for the head. For the writer thread, once it
  // is idle: a burst's last commits are marked within a moment of it.
  bool mark_behind() const { return mark_position_.load() < head().position; }
  Status write_trailing_mark();
  // Writes every memtable to sorted files, so that the next open has no
  // write-ahead log to replay (a clean shutdown does this), and rewrites the
  // durable-head mark. Not concurrently with commit().
  Status flush();

  // Makes durable every write this store's view holds, before a copy of it
  // (backup, audit pack) is taken: writable, the write-ahead log flushed and
  // synced; read-only (a server holds the ledger for writing), the view was
  // read from the files as they stood, write-ahead log included, and may hold
  // records the server has written but not yet synced (it acknowledges
  // nothing before its sync, but a reader sees the bytes at once): every log
  // file is synced from here (fsync syncs a file whoever wrote it; a log gone
  // meanwhile was flushed into synced table files first), and the folder.
  // Returns how many log files were synced.
  Result<std::size_t> sync_view();
  bool read_only() const { return options_.read_only; }

  // A consistent copy of the store in `dir`, which must not exist. Table files
  // may be hard-linked when `dir` is on the same file system. May run while
  // the store is written.
  Status backup(const std::string& dir) const;

  // The Merkle tree over the log (log/merkle.h), RFC 6962: leaf i is the
  // chain hash of the event at position i + 1. Its nodes are written in the
  // same RocksDB write as the events that complete them, so the tree always
  // has the head's size (a store from before the tree is back-filled at its
  // first open for writing, every event checked as it is read).
  //
  // The number of leaves: the head's position (less on a read-only open of a
  // store that was never back-filled).
  std::uint64_t tree_size() const;
  // The root of the tree of `size` leaves. invalid_argument for a size above
  // tree_size(); corruption if a stored node is missing.
  Result<Hash> tree_root(std::uint64_t size) const;
  // The audit path of leaf `index` in the tree of `size` leaves, leaf to root.
  // invalid_argument unless index < size <= tree_size().
  Result<std::vector<Hash>> inclusion_proof(std::uint64_t index, std::uint64_t size) const;
  // RFC 6962's consistency proof from size m to size n. invalid_argument
  // unless 0 < m <= n <= tree_size().
  Result<std::vector<Hash>> consistency_proof(std::uint64_t m, std::uint64_t n) const;

  // Small values the ledger keeps about itself (its origin, its verifier
  // keys), synced per StoreOptions::sync. get_setting returns nullopt when
  // there is none.
  Status put_setting(std::string_view name, std::string_view value);
  Result<std::optional<std::string>> get_setting(std::string_view name) const;

  // The data keys of the people the ledger names (column family "keys",
  // log/vault.h), each wrapped by the master key, under a name. put_key_record
  // writes one at once, synced; Batch::put_key_record with a commit.
  // get_key_record returns nullopt when there is none. purge_key_records
  // rewrites the family's files so that a value replaced or deleted is in
  // none of them (after a key is destroyed).
  Status put_key_record(std::string_view name, std::string_view value);
  // Several at once, in one synced write (all or none).
  Status put_key_records(const std::vector<std::pair<std::string, std::string>>& records);
  Result<std::optional<std::string>> get_key_record(std::string_view name) const;
  Status scan_key_records(const std::function<Status(std::string_view name, std::string_view value)>& fn) const;
  Status purge_key_records();

  // Projection checkpoints: an opaque value under a name. put_checkpoint
  // replaces any value under `name` (synced per StoreOptions::sync);
  // get_checkpoint returns nullopt when there is none.
  Status put_checkpoint(std::string_view name, std::string_view value);
  Result<std::optional<std::string>> get_checkpoint(std::string_view name) const;

  // The programme index (column family "programmes"): the position of each
  // event under the programme it belongs to (EventMeta::programme_id),
  // written in the same RocksDB write as the event; a store from before it
  // is back-filled at its first open for writing, every event checked.
  //
  // Calls fn, on the calling thread, for each event of `programme` with
  // from <= position <= to (to = 0: the head when the scan began), in order,
  // stopping at the first non-ok status, which is returned. Each event is
  // checked as read_one() checks it (its position and its hash against its
  // contents) and must belong to `programme`; links are checked by scans of
  // the whole log and verify(), which also checks the index against the
  // events. An index entry naming no event is corruption; unavailable when
  // the index is not complete up to `to` (a read-only open of a store from
  // before it, a back-fill not done). The view passed to fn is
  // valid during that call only.
  Status scan_programme(std::string_view programme, std::uint64_t from, std::uint64_t to,
                        const std::function<Status(const EventView&)>& fn) const;
  // Every programme of the index with its number of events (keys only).
  Result<std::vector<std::pair<std::string, std::uint64_t>>> programme_sizes() const;
  // The last position whose event was recorded at or before `at_us` (0 when
  // none was): recording times never decrease along positions, so a binary
  // search over checked reads.
  Result<std::uint64_t> position_at(std::int64_t at_us) const;

  // As-of snapshots (column family "snapshots"): opaque values kept under
  // (programme, position), written without a sync (a snapshot lost to a crash
  // is made again). The projections decide what they hold (read/asof.h).
  // `count` is kept in the catalogue (snapshot_list) beside the position.
  Status put_snapshot(std::string_view programme, std::uint64_t position, std::uint64_t count, std::string_view value);
  Status delete_snapshot(std::string_view programme, std::uint64_t position);
  struct SnapshotEntry {
    std::string programme;
    std::uint64_t position = 0;
    std::uint64_t count = 0;
  };
  // Every snapshot kept (of one programme, or of all when `programme` is
  // empty), in key order.
  Result<std::vector<SnapshotEntry>> snapshot_list(std::string_view programme = {}) const;
  // The snapshot of `programme` at the greatest position <= `position`, or
  // nullopt when there is none (no value is read).
  Result<std::optional<SnapshotEntry>> snapshot_before(std::string_view programme, std::uint64_t position) const;
  // The value of a snapshot; nullopt when there is none.
  Result<std::optional<std::string>> get_snapshot(std::string_view programme, std::uint64_t position) const;

  // Evidence documents (EvidenceUpload above), in the column family
  // "evidence" (docs/STORAGE.md). Any thread, any number at once.
  //
  // A new upload, by `uploader` (a token's name) at `now_us`, of a document
  // declared as `content_type` and named `filename` (both kept as given: the
  // caller checks them). unavailable on a read-only store.
  Result<std::unique_ptr<EvidenceUpload>> begin_evidence(std::string content_type, std::string filename,
                                                         std::string uploader, std::int64_t now_us);
  // The record of a stored document; not_found if there is none.
  Result<EvidenceMeta> evidence_meta(const Hash& sha256) const;
  // The document's bytes, hashed again: corruption if they are not the bytes
  // stored under that hash (a piece missing, changed or of another size);
  // not_found if there is no such document.
  Result<std::string> read_evidence(const Hash& sha256) const;
  // The same bytes, a piece at a time (EvidenceReader); not_found if there
  // is no such document.
  Result<std::unique_ptr<EvidenceReader>> evidence_reader(const Hash& sha256) const;
  // Everyone who uploaded the document, by name (empty if none or unknown).
  Result<std::vector<EvidenceUploader>> evidence_uploaders(const Hash& sha256) const;
  // Every stored document's hash, in hash order.
  Result<std::vector<Hash>> evidence_list() const;
  // The documents whose last read found them damaged (corruption), each with
  // what was found; a document leaves the list when it is next read whole.
  std::map<Hash, std::string> evidence_faults() const;
  // Why the last write of an evidence document failed (the storage), until
  // one succeeds; nullopt when the last one succeeded.
  std::optional<std::string> evidence_write_failure() const;
  // Removes a document: its record, its uploaders and its bytes (synced).
  // For `ledger evidence purge`, which removes only documents no event names;
  // not_found if there is none; unavailable on a read-only store.
  Status remove_evidence(const Hash& sha256);

  // Raw access, for tools and tests that need to look under the ledger:
  // writing through it bypasses every check. The pointers are owned by the
  // store and valid until reopen() or its destruction (raw_db() is null while
  // a reopen has failed).
  rocksdb::DB* raw_db() const { return db_.get(); }
  rocksdb::ColumnFamilyHandle* cf_events() const { return events_; }
  rocksdb::ColumnFamilyHandle* cf_streams() const { return streams_; }
  rocksdb::ColumnFamilyHandle* cf_commands() const { return commands_; }
  rocksdb::ColumnFamilyHandle* cf_meta() const { return meta_; }
  rocksdb::ColumnFamilyHandle* cf_tree() const { return tree_; }
  // Null on a read-only open of a store from before evidence documents.
  rocksdb::ColumnFamilyHandle* cf_evidence() const { return evidence_; }
  // Null on a read-only open of a store from before them.
  rocksdb::ColumnFamilyHandle* cf_programmes() const { return programmes_; }
  rocksdb::ColumnFamilyHandle* cf_snapshots() const { return snapshots_; }

 private:
  friend class Batch;
  friend class EvidenceUpload;
  friend class EvidenceReader;
  Store() = default;
  // Removes what uploads cut by a crash left (open for writing only).
  Status remove_unfinished_uploads();
  // Writes evidence records without the write-ahead log, under write_mu_.
  Status write_evidence(rocksdb::WriteBatch& wb, bool wal);
  Result<std::optional<EvidenceMeta>> find_evidence(const Hash& sha256) const;
  // The record of a document to read: not_found when there is none,
  // corruption when its size does not fit its pieces. With db_mu_ held.
  Result<EvidenceMeta> readable_evidence(const Hash& sha256) const;
  // Makes the pieces written so far durable (a flush of the column family),
  // within StoreOptions::evidence_flush_bound; io_error otherwise.
  Status flush_evidence();
  bool evidence_flushed() const;
  void note_evidence_write(const Status& st) const;
  std::atomic<bool> flush_overdue_{false};  // the last flush passed its bound
  // read_evidence() without keeping its faults.
  Result<std::string> read_evidence_unchecked(const Hash& sha256) const;
  Result<std::uint64_t> cached_version(std::string_view stream);
  struct EventCursor;
  Status open_db();
  void close_db();
  Result<StoredEvent> read_one_unlocked(std::uint64_t position) const;
  // ok while a RocksDB instance is open; every method that reads or writes
  // asks first (after a failed reopen there is none).
  Status usable() const;
  // The durable-head mark (see store.cc): checked at open, written after
  // commits (at most once a second), once the writer is idle
  // (write_trailing_mark) and at every flush; file and folder synced.
  Status check_mark();
  Status write_mark(const Head& h);
  std::optional<Head> durable_mark_;
  std::chrono::steady_clock::time_point mark_written_{};
  std::atomic<std::uint64_t> mark_position_{0};  // of the last mark written

  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
  rocksdb::ColumnFamilyHandle* events_ = nullptr;
  rocksdb::ColumnFamilyHandle* streams_ = nullptr;
  rocksdb::ColumnFamilyHandle* commands_ = nullptr;
  rocksdb::ColumnFamilyHandle* meta_ = nullptr;
  rocksdb::ColumnFamilyHandle* checkpoints_ = nullptr;
  rocksdb::ColumnFamilyHandle* tree_ = nullptr;
  rocksdb::ColumnFamilyHandle* evidence_ = nullptr;
  rocksdb::ColumnFamilyHandle* programmes_ = nullptr;  // null: a read-only store from before them
  rocksdb::ColumnFamilyHandle* snapshots_ = nullptr;
  // Which snapshots there are, apart from their values: finding one reads
  // no block of values (each one a snapshot, decompressed whole).
  rocksdb::ColumnFamilyHandle* catalogue_ = nullptr;
  rocksdb::ColumnFamilyHandle* keys_ = nullptr;  // null: a read-only store from before them
  // The position up to which the programme index is complete: set at open
  // and by the writer's commits, read by scan_programme.
  std::atomic<std::uint64_t> programme_index_size_{0};
  Status backfill_programme_index();
  // Evidence uploads: the next upload's id; the reopen count (an upload
  // begun before a reopen cannot go on); finishing one at a time (whether
  // the bytes are stored already, and storing them, in one step).
  std::atomic<std::uint64_t> next_upload_{1};
  std::atomic<std::uint64_t> generation_{0};
  std::mutex evidence_mu_;
  mutable std::mutex faults_mu_;
  mutable std::map<Hash, std::string> evidence_faults_;  // under faults_mu_
  mutable std::optional<std::string> write_failure_;     // under faults_mu_
  // Back-fills the tree of a store from before it (open for writing only).
  Status backfill_tree();
  // Calls fn with each stored event's hash, in order, until it returns false
  // (verify's second look, under its snapshot); the caller holds db_mu_.
  Status scan_unlocked_hashes(const rocksdb::ReadOptions& ro, const std::function<bool(const Hash&)>& fn) const;
  template <class Fn>
  auto with_tree(std::uint64_t size, Fn fn) const -> decltype(fn(merkle::NodeReader()));
  // Reads a stored node; for the merkle:: functions.
  Result<Hash> tree_node(int level, std::uint64_t index) const;
  // The tree's right edge at the head (writer thread; loaded at open).
  std::unique_ptr<merkle::Frontier> frontier_;
  std::uint64_t tree_size_ = 0;  // under head_mu_
  StoreOptions options_;
  bool consistent_ = true;
  bool needs_reopen_ = false;  // writer thread only: the last commit failed
  std::string dir_;
  // Readers share it; reopen() takes it alone, to swap the RocksDB instance.
  mutable std::shared_mutex db_mu_;
  // Taken around every write to RocksDB (a commit, a checkpoint, a setting,
  // a piece or record of an evidence document), after db_mu_: the writes of
  // this store go one at a time rather than in RocksDB's write groups, whose
  // leader copies the other writers' batches under synchronisation that
  // ThreadSanitizer cannot see (Debian's library is not instrumented). One
  // thread writes nearly all of them, so nothing waits that would not have
  // waited for the same sync; an evidence write holds it for a memtable
  // insert only (no log, no sync), and the flush that makes a document
  // durable runs without it.
  std::mutex write_mu_;
  std::string inconsistency_;

  mutable std::mutex head_mu_;
  Head head_;
  // Writer thread only.
  std::unordered_map<std::string, std::uint64_t> version_cache_;
};

// Key encodings of the events and streams column families (exposed for tools
// and tests): big-endian, so that keys sort by number.
std::string position_key(std::uint64_t position);
std::string stream_key(std::string_view stream, std::uint64_t version);
// A key of the programmes and snapshots column families.
std::string programme_key(std::string_view programme, std::uint64_t position);
// Keys of the evidence column family (docs/STORAGE.md): a piece of an upload,
// a document's record, one uploader of a document, an upload not finished.
std::string evidence_chunk_key(std::uint64_t upload, std::uint32_t index);
std::string evidence_doc_key(const Hash& sha256);
std::string evidence_uploader_key(const Hash& sha256, std::string_view name);
std::string evidence_pending_key(std::uint64_t upload);
// The size of an upload's pieces: each piece but the last holds this many bytes.
inline constexpr std::size_t kEvidenceChunkBytes = 1 << 20;

}  // namespace pl
