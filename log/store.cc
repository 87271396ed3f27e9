// The event store on RocksDB: opening, commits, backups, checkpoints. Reads
// and scans are in scan.cc, verify in verify.cc, batches in batch.cc, the
// durable-head mark in store_mark.cc, the key and record grammar in
// store_format.{h,cc}.
#include "log/store.h"

#include <fcntl.h>
#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/table.h>
#include <rocksdb/utilities/checkpoint.h>
#include <rocksdb/write_batch.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <limits>

#include "base/assert.h"
#include "log/store_format.h"

namespace pl {

using namespace store_format;

std::string position_key(std::uint64_t position) {
  std::string k;
  put_u64(k, position);
  return k;
}

std::string stream_key(std::string_view stream, std::uint64_t version) {
  std::string k(stream);
  k.push_back('\0');
  put_u64(k, version);
  return k;
}

std::string programme_key(std::string_view programme, std::uint64_t position) {
  return stream_key(programme, position);
}

std::string_view verify_problem_name(VerifyProblem p) {
  switch (p) {
    case VerifyProblem::none:
      return "none";
    case VerifyProblem::undecodable:
      return "undecodable";
    case VerifyProblem::gap:
      return "gap";
    case VerifyProblem::reordered:
      return "reordered";
    case VerifyProblem::prev_hash_mismatch:
      return "prev_hash_mismatch";
    case VerifyProblem::hash_mismatch:
      return "hash_mismatch";
    case VerifyProblem::index_mismatch:
      return "index_mismatch";
    case VerifyProblem::head_mismatch:
      return "head_mismatch";
    case VerifyProblem::bad_key:
      return "bad_key";
    case VerifyProblem::unavailable:
      return "unavailable";
    case VerifyProblem::tree_mismatch:
      return "tree_mismatch";
  }
  return "unknown";
}

Result<std::unique_ptr<Store>> Store::open(const std::string& dir, const StoreOptions& options) {
  std::unique_ptr<Store> store(new Store());
  store->options_ = options;
  store->dir_ = dir;
  PL_RETURN_IF_ERROR(store->open_db());
  if (!options.read_only && store->consistent_ && store->tree_size() < store->head().position)
    PL_RETURN_IF_ERROR(store->backfill_tree());
  if (!options.read_only && store->consistent_ && store->programme_index_size_.load() < store->head().position)
    PL_RETURN_IF_ERROR(store->backfill_programme_index());
  if (!options.read_only) PL_RETURN_IF_ERROR(store->remove_unfinished_uploads());
  return store;
}

Status Store::open_db() {
  rocksdb::Options db_opts;
  db_opts.create_if_missing = options_.create_if_missing;
  db_opts.create_missing_column_families = true;
  db_opts.IncreaseParallelism(2);
  db_opts.max_background_jobs = 2;
  if (options_.env != nullptr) db_opts.env = options_.env;
  // A damaged record inside the write-ahead log stops the open; only a torn
  // last record (a write that never completed, so was never acknowledged) is
  // dropped. Point-in-time recovery would silently drop every record after
  // the damage, acknowledged or not.
  db_opts.wal_recovery_mode = rocksdb::WALRecoveryMode::kTolerateCorruptedTailRecords;

  rocksdb::BlockBasedTableOptions lookup_table;
  lookup_table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  rocksdb::ColumnFamilyOptions lookup_cf;
  lookup_cf.table_factory.reset(rocksdb::NewBlockBasedTableFactory(lookup_table));

  // Events are read in position order, by replays and exports: large blocks,
  // and no compression, whose cost dominated a full replay (snappy saved
  // about a third of the bytes and took a third of the time).
  rocksdb::BlockBasedTableOptions events_table;
  events_table.block_size = 32 * 1024;
  rocksdb::ColumnFamilyOptions events_cf;
  events_cf.compression = rocksdb::kNoCompression;
  events_cf.table_factory.reset(rocksdb::NewBlockBasedTableFactory(events_table));

  rocksdb::ColumnFamilyOptions streams_cf = lookup_cf;
  streams_cf.memtable_insert_with_hint_prefix_extractor = std::make_shared<StreamPrefix>();
  // The programme index is read in ranges (a programme's events in order):
  // prefix inserts as for streams; keys only, so no filter is worth its space.
  rocksdb::ColumnFamilyOptions programmes_cf;
  programmes_cf.memtable_insert_with_hint_prefix_extractor = std::make_shared<StreamPrefix>();
  // As-of snapshots are large values read whole, written rarely and
  // compressible many times over (ids and figures repeat): compressed in
  // large blocks, with LZ4 (its decompression is cheap next to decoding).
  rocksdb::BlockBasedTableOptions snapshots_table;
  snapshots_table.block_size = 256 * 1024;
  rocksdb::ColumnFamilyOptions snapshots_cf;
  snapshots_cf.compression = rocksdb::kLZ4Compression;
  snapshots_cf.table_factory.reset(rocksdb::NewBlockBasedTableFactory(snapshots_table));
  // Evidence documents: pieces of up to 1 MiB go to blob files (values of
  // 4 KiB and more), so that compactions move small keys, not documents;
  // uncompressed (PDF, PNG and JPEG are compressed already); the space of
  // pieces dropped (a duplicate, an aborted upload) comes back as blob files
  // are compacted.
  rocksdb::ColumnFamilyOptions evidence_cf = lookup_cf;
  evidence_cf.compression = rocksdb::kNoCompression;
  evidence_cf.enable_blob_files = true;
  evidence_cf.min_blob_size = 4096;
  evidence_cf.blob_compression_type = rocksdb::kNoCompression;
  evidence_cf.enable_blob_garbage_collection = true;
  std::vector<rocksdb::ColumnFamilyDescriptor> cfs = {
      {rocksdb::kDefaultColumnFamilyName, rocksdb::ColumnFamilyOptions()},
      {"events", events_cf},
      {"streams", streams_cf},
      {"commands", lookup_cf},
      {"meta", rocksdb::ColumnFamilyOptions()},
      {"checkpoints", rocksdb::ColumnFamilyOptions()},
      {"tree", lookup_cf},
      {"evidence", evidence_cf},
      {"programmes", programmes_cf},
      {"snapshots", snapshots_cf},
      {"snapshot_catalogue", rocksdb::ColumnFamilyOptions()},
      {"keys", rocksdb::ColumnFamilyOptions()},
  };
  rocksdb::DB* raw = nullptr;
  rocksdb::Status s;
  if (options_.read_only) {
    // A store from before evidence documents, the programme index or as-of
    // snapshots has no such column family, and a read-only open cannot make
    // it: it is then left out (no documents; programme reads answer
    // unavailable).
    std::vector<std::string> existing;
    if (rocksdb::DB::ListColumnFamilies(db_opts, dir_, &existing).ok())
      std::erase_if(cfs, [&](const rocksdb::ColumnFamilyDescriptor& d) {
        return std::find(existing.begin(), existing.end(), d.name) == existing.end();
      });
    s = rocksdb::DB::OpenForReadOnly(db_opts, dir_, cfs, &handles_, &raw);
  } else {
    s = rocksdb::DB::Open(db_opts, dir_, cfs, &handles_, &raw);
  }
  if (!s.ok()) {
    handles_.clear();
    if (s.IsCorruption())
      return Status::corruption("the ledger in " + dir_ + " is damaged and was not opened (" + s.ToString() +
                                "): acknowledged events could be lost if it were. Keep this directory as it is for "
                                "inspection, and restore the latest backup (ledger backup) into a new one");
    return from_rocks(s, "open " + dir_);
  }
  db_.reset(raw);
  auto handle = [&](std::string_view name) -> rocksdb::ColumnFamilyHandle* {
    for (auto* h : handles_)
      if (h->GetName() == name) return h;
    return nullptr;
  };
  events_ = handle("events");
  streams_ = handle("streams");
  commands_ = handle("commands");
  meta_ = handle("meta");
  checkpoints_ = handle("checkpoints");
  tree_ = handle("tree");
  evidence_ = handle("evidence");
  programmes_ = handle("programmes");
  snapshots_ = handle("snapshots");
  catalogue_ = handle("snapshot_catalogue");
  keys_ = handle("keys");

  std::string head_value;
  // One-off reads leave the block cache alone: a block only they touched is
  // not shared with RocksDB's compaction threads (whose uninstrumented
  // locking ThreadSanitizer cannot see).
  rocksdb::ReadOptions once;
  once.fill_cache = false;
  s = raw->Get(once, meta_, kHeadKey, &head_value);
  if (s.ok()) {
    if (!decode_head(head_value, &head_)) {
      consistent_ = false;
      inconsistency_ = "the head record is malformed";
    }
  } else if (!s.IsNotFound()) {
    return from_rocks(s, "read head");
  }
  // The head and the last event move in one write; if they disagree, the
  // store was changed under the ledger. Reading and verify still work.
  std::unique_ptr<rocksdb::Iterator> it(raw->NewIterator(once, events_));
  it->SeekToLast();
  std::uint64_t last = 0;
  if (it->Valid()) last = it->key().size() == 8 ? get_u64(it->key().data()) : ~0ull;
  if (!it->status().ok()) return from_rocks(it->status(), "read last event");
  if (consistent_ && last != head_.position) {
    consistent_ = false;
    inconsistency_ = "the head names position " + std::to_string(head_.position) + " but the last stored event is at " +
                     std::to_string(last);
  }
  PL_RETURN_IF_ERROR(check_mark());

  std::string size_value;
  s = raw->Get(once, meta_, kTreeSizeKey, &size_value);
  std::uint64_t tree_size = 0;
  if (s.ok() && size_value.size() == 8)
    tree_size = get_u64(size_value.data());
  else if (!s.ok() && !s.IsNotFound())
    return from_rocks(s, "read tree size");
  {
    std::lock_guard lock(head_mu_);
    tree_size_ = tree_size;
  }
  std::string index_value;
  programme_index_size_.store(0);
  s = raw->Get(once, meta_, kProgrammeIndexSizeKey, &index_value);
  if (s.ok() && index_value.size() == 8)
    programme_index_size_.store(get_u64(index_value.data()));
  else if (!s.ok() && !s.IsNotFound())
    return from_rocks(s, "read programme index size");
  if (programmes_ == nullptr) programme_index_size_.store(0);
  frontier_.reset();
  if (consistent_ && (tree_size == head_.position || tree_size == 0)) {
    auto f =
        merkle::Frontier::load(tree_size, [this](int level, std::uint64_t index) { return tree_node(level, index); });
    if (f) {
      frontier_ = std::make_unique<merkle::Frontier>(std::move(f).value());
    } else {
      // Reads and verify still work; a tree that cannot be extended refuses commits.
      consistent_ = false;
      inconsistency_ = "the Merkle tree cannot be read: " + f.status().message();
    }
  }
  return Status::ok();
}

Result<Hash> Store::tree_node(int level, std::uint64_t index) const {
  if (level < kTreeLowestStoredLevel) {
    // Not stored: made from the events' hashes (at most 8 events, checked as read).
    std::uint64_t first = (index << level) + 1, last = (index + 1) << level;
    merkle::Frontier f;
    std::string buf;
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), events_));
    std::uint64_t p = first;
    // (tree_node is called with db_mu_ held, or at open before any reader.)
    for (it->Seek(position_key(first)); it->Valid() && p <= last; it->Next(), ++p) {
      if (it->key().ToStringView() != position_key(p)) break;
      auto ev = decode_stored(aligned(it->value(), buf), it->key().ToStringView());
      if (!ev) return ev.status();
      Hash h;
      std::memcpy(h.data(), ev->hash_bytes().data(), 32);
      f.append(h, [](int, std::uint64_t, const Hash&) {});
    }
    if (!it->status().ok()) return from_rocks(it->status(), "read events for the tree");
    if (p <= last)
      return Status::corruption("the events under tree node (" + std::to_string(level) + ", " + std::to_string(index) +
                                ") end at position " + std::to_string(p - 1));
    return f.root();
  }
  std::string value;
  rocksdb::ReadOptions ro;
  ro.fill_cache = true;
  rocksdb::Status s = db_->Get(ro, tree_, merkle::node_key(level, index), &value);
  if (s.IsNotFound() || (s.ok() && value.size() != 32))
    return Status::corruption("the tree node at level " + std::to_string(level) + ", index " + std::to_string(index) +
                              (s.ok() ? " is malformed" : " is missing"));
  if (!s.ok()) return from_rocks(s, "read tree node");
  Hash h;
  std::memcpy(h.data(), value.data(), 32);
  return h;
}

Status Store::backfill_tree() {
  // Leaves from the tree's size on, every event checked as it is read, in
  // writes of 16,384 leaves, each with the tree's new size.
  std::uint64_t from = tree_size() + 1, to = head().position;
  auto f = merkle::Frontier::load(from - 1, [this](int level, std::uint64_t index) { return tree_node(level, index); });
  if (!f) return f.status();
  merkle::Frontier tree = std::move(f).value();
  rocksdb::WriteBatch wb;
  auto flush_batch = [&]() -> Status {
    std::string size;
    put_u64(size, tree.size());
    wb.Put(meta_, kTreeSizeKey, size);
    rocksdb::WriteOptions wo;
    wo.sync = options_.sync;
    PL_RETURN_IF_ERROR(from_rocks(db_->Write(wo, &wb), "back-fill the tree"));
    wb.Clear();
    return Status::ok();
  };
  Status st = scan(from, to, [&](const EventView& e) {
    Hash h;
    std::memcpy(h.data(), e.hash_bytes().data(), 32);
    tree.append(h, [&](int level, std::uint64_t index, const Hash& node) {
      if (level >= kTreeLowestStoredLevel) wb.Put(tree_, merkle::node_key(level, index), bytes_of(node));
    });
    if (tree.size() % 16384 == 0) return flush_batch();
    return Status::ok();
  });
  if (st && wb.Count() > 0) st = flush_batch();
  if (!st) return st;
  frontier_ = std::make_unique<merkle::Frontier>(std::move(tree));
  std::lock_guard lock(head_mu_);
  tree_size_ = frontier_->size();
  return Status::ok();
}

std::uint64_t Store::tree_size() const {
  std::lock_guard lock(head_mu_);
  return tree_size_;
}

// Runs fn with the stored tree's nodes, if the tree holds `size` leaves;
// under the readers' lock.
template <class Fn>
auto Store::with_tree(std::uint64_t size, Fn fn) const -> decltype(fn(merkle::NodeReader())) {
  std::shared_lock db_lock(db_mu_);
  PL_RETURN_IF_ERROR(usable());
  if (size > tree_size())
    return Status::invalid("the tree has " + std::to_string(tree_size()) + " leaves, not " + std::to_string(size));
  return fn([this](int level, std::uint64_t index) { return tree_node(level, index); });
}

Result<Hash> Store::tree_root(std::uint64_t size) const {
  return with_tree(size, [&](const merkle::NodeReader& read) { return merkle::root(size, read); });
}

Result<std::vector<Hash>> Store::inclusion_proof(std::uint64_t index, std::uint64_t size) const {
  return with_tree(size, [&](const merkle::NodeReader& read) { return merkle::inclusion_proof(index, size, read); });
}

Result<std::vector<Hash>> Store::consistency_proof(std::uint64_t m, std::uint64_t n) const {
  return with_tree(n, [&](const merkle::NodeReader& read) { return merkle::consistency_proof(m, n, read); });
}

Status Store::put_setting(std::string_view name, std::string_view value) {
  std::shared_lock db_lock(db_mu_);
  PL_RETURN_IF_ERROR(usable());
  if (options_.read_only) return Status::unavailable("the store is open read-only");
  rocksdb::WriteOptions wo;
  wo.sync = options_.sync;
  std::lock_guard write_lock(write_mu_);
  return from_rocks(db_->Put(wo, meta_, std::string(kSettingPrefix) + std::string(name), value), "write setting");
}

Result<std::optional<std::string>> Store::get_setting(std::string_view name) const {
  std::shared_lock db_lock(db_mu_);
  PL_RETURN_IF_ERROR(usable());
  std::string value;
  rocksdb::ReadOptions once;
  once.fill_cache = false;
  rocksdb::Status s = db_->Get(once, meta_, std::string(kSettingPrefix) + std::string(name), &value);
  if (s.IsNotFound()) return std::optional<std::string>();
  if (!s.ok()) return from_rocks(s, "read setting");
  return std::optional<std::string>(std::move(value));
}

void Store::close_db() {
  if (!db_) return;
  for (auto* h : handles_) db_->DestroyColumnFamilyHandle(h).PermitUncheckedError();
  handles_.clear();
  db_->Close().PermitUncheckedError();
  db_.reset();
}

Status Store::reopen() {
  std::unique_lock lock(db_mu_);
  close_db();
  {
    std::lock_guard hl(head_mu_);
    head_ = Head{};
  }
  version_cache_.clear();
  consistent_ = true;
  inconsistency_.clear();
  ++generation_;  // uploads begun before cannot go on: their pieces may be gone
  Status st = open_db();
  if (st && !options_.read_only) st = remove_unfinished_uploads();
  if (!st) {
    close_db();
    return Status::io_error("the store could not be reopened after a storage failure (" + st.message() +
                            "); nothing was written");
  }
  needs_reopen_ = false;
  return Status::ok();
}

Store::~Store() { close_db(); }

Head Store::head() const {
  std::lock_guard lock(head_mu_);
  return head_;
}

Batch Store::begin(std::int64_t now_us) { return Batch(this, now_us); }

Status Store::commit(Batch& batch) {
  if (options_.read_only) return Status::unavailable("the store is open read-only");
  if (!consistent_) return Status::corruption("refusing to write: " + inconsistency_);
  if (batch.count_ == 0 && batch.commands_.empty() && batch.key_records_.empty()) return Status::ok();
  if (needs_reopen_ || !db_ || !frontier_)
    return Status::io_error("the store must be reopened after a storage failure; nothing was written");
  // The batch's events follow the head, one position each, each with its hash.
  PL_ASSERT(batch.hashes_.size() == batch.count_);
  PL_ASSERT(batch.head_.position == head().position + batch.count_);
  for (const auto& [key, rec] : batch.commands_) batch.wb_->Put(commands_, key, encode_command(rec));
  batch.wb_->Put(meta_, kHeadKey, encode_head(batch.head_));
  // The tree's new leaves and every node they complete, in the same write.
  merkle::Frontier tree = *frontier_;
  for (const Hash& h : batch.hashes_)
    tree.append(h, [&](int level, std::uint64_t index, const Hash& node) {
      if (level >= kTreeLowestStoredLevel) batch.wb_->Put(tree_, merkle::node_key(level, index), bytes_of(node));
    });
  std::string tree_size;
  put_u64(tree_size, tree.size());
  batch.wb_->Put(meta_, kTreeSizeKey, tree_size);
  if (programme_index_size_.load() == head().position && batch.count_ > 0) {
    std::string index_size;
    put_u64(index_size, batch.head_.position);
    batch.wb_->Put(meta_, kProgrammeIndexSizeKey, index_size);
  }
  rocksdb::WriteOptions wo;
  wo.sync = options_.sync;
  Status st;
  {
    std::lock_guard write_lock(write_mu_);
    st = from_rocks(db_->Write(wo, batch.wb_.get()), "commit");
  }
  if (!st) {
    // RocksDB stops taking writes after a failed log write or sync, and the
    // failed write may or may not have reached the disk: only reopening the
    // store tells (see reopen()).
    needs_reopen_ = true;
    return Status::io_error("the storage failed while writing (" + st.message() +
                            "); the command may or may not have been recorded: the store is reopened before the "
                            "next command, and a retry with the same Idempotency-Key is answered exactly once");
  }
  *frontier_ = std::move(tree);
  if (programme_index_size_.load() == head().position) programme_index_size_.store(batch.head_.position);
  {
    std::lock_guard lock(head_mu_);
    head_ = batch.head_;
    tree_size_ = frontier_->size();
  }
  // The mark is a safeguard (the events are durable without it): one that
  // cannot be written is tried again after the next commits or once idle.
  if (std::chrono::steady_clock::now() - mark_written_ >= std::chrono::seconds(1))
    static_cast<void>(write_mark(batch.head_));
  for (auto& [stream, version] : batch.versions_) version_cache_[stream] = version;
  batch.wb_->Clear();
  batch.versions_.clear();
  batch.undo_.clear();
  batch.commands_.clear();
  batch.command_index_.clear();
  batch.hashes_.clear();
  batch.count_ = 0;
  return Status::ok();
}

Result<std::uint64_t> Store::cached_version(std::string_view stream) {
  auto it = version_cache_.find(std::string(stream));
  if (it != version_cache_.end()) return it->second;
  auto v = stream_version(stream);
  if (!v) return v;
  version_cache_.emplace(std::string(stream), *v);
  return v;
}

Result<std::uint64_t> Store::stream_version(std::string_view stream) const {
  std::shared_lock db_lock(db_mu_);
  PL_RETURN_IF_ERROR(usable());

  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), streams_));
  std::string upper = stream_key(stream, ~0ull);
  it->SeekForPrev(upper);
  if (!it->status().ok()) return from_rocks(it->status(), "read stream version");
  if (!it->Valid()) return std::uint64_t{0};
  auto k = view(it->key());
  if (k.size() != stream.size() + 9 || k.substr(0, stream.size()) != stream || k[stream.size()] != '\0')
    return std::uint64_t{0};
  return get_u64(k.data() + stream.size() + 1);
}

Status Store::usable() const {
  if (!db_) return Status::unavailable("the store is being reopened after a storage failure");
  return Status::ok();
}

Result<std::size_t> Store::sync_view() {
  std::shared_lock db_lock(db_mu_);
  PL_RETURN_IF_ERROR(usable());
  if (!options_.read_only) {
    PL_RETURN_IF_ERROR(from_rocks(db_->FlushWAL(true), "sync the write-ahead log"));
    return std::size_t{1};
  }
  std::size_t synced = 0;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir_, ec)) {
    if (entry.path().extension() != ".log") continue;
    int fd = ::open(entry.path().c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT) continue;  // flushed into table files and removed
    if (fd < 0 || ::fsync(fd) != 0) {
      int err = errno;
      if (fd >= 0) ::close(fd);
      return Status::io_error("cannot sync " + entry.path().string() + ": " + std::strerror(err));
    }
    ::close(fd);
    ++synced;
  }
  if (ec) return Status::io_error("cannot list " + dir_ + ": " + ec.message());
  int dfd = ::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0 || ::fsync(dfd) != 0) {
    int err = errno;
    if (dfd >= 0) ::close(dfd);
    return Status::io_error("cannot sync " + dir_ + ": " + std::strerror(err));
  }
  ::close(dfd);
  return synced;
}

Status Store::backup(const std::string& dir) const {
  std::shared_lock db_lock(db_mu_);
  PL_RETURN_IF_ERROR(usable());

  rocksdb::Checkpoint* cp = nullptr;
  auto s = rocksdb::Checkpoint::Create(db_.get(), &cp);
  if (!s.ok()) return from_rocks(s, "backup");
  std::unique_ptr<rocksdb::Checkpoint> holder(cp);
  // A read-only store (another process holds the ledger open for writing)
  // cannot flush: its view is the files and the write-ahead log as they were
  // when it opened, which the checkpoint copies as they are.
  std::uint64_t log_size_for_flush = options_.read_only ? std::numeric_limits<std::uint64_t>::max() : 0;
  return from_rocks(cp->CreateCheckpoint(dir, log_size_for_flush), "backup to " + dir);
}

Status Store::flush() {
  std::shared_lock db_lock(db_mu_);
  PL_RETURN_IF_ERROR(usable());

  rocksdb::FlushOptions fo;
  Status st = from_rocks(db_->Flush(fo, handles_), "flush");
  if (st) st = write_mark(head());
  return st;
}

Status Store::put_checkpoint(std::string_view name, std::string_view value) {
  std::shared_lock db_lock(db_mu_);
  PL_RETURN_IF_ERROR(usable());

  rocksdb::WriteOptions wo;
  wo.sync = options_.sync;
  std::lock_guard write_lock(write_mu_);
  return from_rocks(
      db_->Put(wo, checkpoints_, rocksdb::Slice(name.data(), name.size()), rocksdb::Slice(value.data(), value.size())),
      "write checkpoint");
}

Result<std::optional<std::string>> Store::get_checkpoint(std::string_view name) const {
  std::shared_lock db_lock(db_mu_);
  PL_RETURN_IF_ERROR(usable());

  std::string value;
  auto s = db_->Get(rocksdb::ReadOptions(), checkpoints_, rocksdb::Slice(name.data(), name.size()), &value);
  if (s.IsNotFound()) return std::optional<std::string>();
  if (!s.ok()) return from_rocks(s, "read checkpoint");
  return std::optional<std::string>(std::move(value));
}

}  // namespace pl
