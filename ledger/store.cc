// The event store on RocksDB.
//
// Column families and their keys (all integers big-endian):
//
//   events       u64 position                    -> Envelope FlatBuffer (schemas/events.fbs)
//   streams      stream id ‖ 0x00 ‖ u64 version  -> u64 position
//   commands     idempotency key                 -> command record
//   meta         "head"                          -> head record
//   checkpoints  projection name                 -> opaque projection snapshot
//
//   head record    := u64 position ‖ 32 bytes hash ‖ i64 recorded_at_us ‖ u16 schema_version
//   command record := 32 bytes fingerprint ‖ u32 len ‖ id ‖ u32 n ‖ n × u64 position
//
// A stream id never contains 0x00, so a stream's keys are contiguous and in
// version order. The hash of each event is defined in envelope.cc.
#include "ledger/store.h"

#include <condition_variable>
#include <deque>
#include <limits>
#include <mutex>
#include <thread>

#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/slice_transform.h>
#include <rocksdb/table.h>
#include <rocksdb/utilities/checkpoint.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <cstring>

#include "ledger/coding.h"

namespace pl {
namespace {

constexpr char kHeadKey[] = "head";

using coding::get_u32;
using coding::get_u64;
using coding::put_u32;
using coding::put_u64;

std::string encode_head(const Head& h) {
  std::string s;
  put_u64(s, h.position);
  s.append(reinterpret_cast<const char*>(h.hash.data()), h.hash.size());
  put_u64(s, static_cast<std::uint64_t>(h.recorded_at_us));
  coding::put_u16(s, kSchemaVersion);
  return s;
}

bool decode_head(std::string_view s, Head* h) {
  if (s.size() != 8 + 32 + 8 + 2) return false;
  h->position = get_u64(s.data());
  std::memcpy(h->hash.data(), s.data() + 8, 32);
  h->recorded_at_us = static_cast<std::int64_t>(get_u64(s.data() + 40));
  return true;
}

// The durable-head mark: a small file beside RocksDB's, rewritten (by rename)
// at most once a second after a commit and at every flush, naming a position
// and hash the ledger has acknowledged. A store that opens below it lost
// acknowledged events (a truncated write-ahead log looks like a clean end to
// RocksDB); one whose event there has another hash was rewritten.
constexpr char kMarkFile[] = "DURABLE-HEAD";
constexpr std::string_view kMarkMagic = "programme-ledger durable-head v1";

std::string encode_mark(const Head& h) {
  return std::string(kMarkMagic) + "\n" + std::to_string(h.position) + " " + to_hex(h.hash) + "\n";
}

bool decode_mark(const std::string& text, Head* h) {
  std::string magic(kMarkMagic);
  if (text.compare(0, magic.size() + 1, magic + "\n") != 0) return false;
  std::string rest = text.substr(magic.size() + 1);
  auto sp = rest.find(' ');
  if (sp == std::string::npos || sp == 0 || sp > 20 || rest.size() != sp + 1 + 64 + 1 || rest.back() != '\n') return false;
  std::uint64_t pos = 0;
  for (std::size_t i = 0; i < sp; ++i) {
    if (rest[i] < '0' || rest[i] > '9') return false;
    pos = pos * 10 + static_cast<std::uint64_t>(rest[i] - '0');
  }
  h->position = pos;
  return from_hex(rest.substr(sp + 1, 64), &h->hash);
}

std::string encode_command(const CommandRecord& r) {
  std::string s(reinterpret_cast<const char*>(r.fingerprint.data()), r.fingerprint.size());
  put_u32(s, static_cast<std::uint32_t>(r.id.size()));
  s += r.id;
  put_u32(s, static_cast<std::uint32_t>(r.positions.size()));
  for (auto p : r.positions) put_u64(s, p);
  return s;
}

bool decode_command(std::string_view s, CommandRecord* r) {
  if (s.size() < 32 + 4) return false;
  std::memcpy(r->fingerprint.data(), s.data(), 32);
  std::size_t off = 32;
  std::uint32_t n = get_u32(s.data() + off);
  off += 4;
  if (s.size() < off + n + 4) return false;
  r->id.assign(s.data() + off, n);
  off += n;
  std::uint32_t count = get_u32(s.data() + off);
  off += 4;
  if (s.size() != off + std::size_t{count} * 8) return false;
  r->positions.clear();
  for (std::uint32_t i = 0; i < count; ++i) r->positions.push_back(get_u64(s.data() + off + 8 * i));
  return true;
}

Status from_rocks(const rocksdb::Status& s, std::string_view what) {
  if (s.ok()) return Status::ok();
  std::string msg(what);
  msg += ": ";
  msg += s.ToString();
  if (s.IsCorruption()) return Status::corruption(std::move(msg));
  if (s.IsNotFound()) return Status::not_found(std::move(msg));
  return Status::io_error(std::move(msg));
}

std::string_view view(const rocksdb::Slice& s) { return std::string_view(s.data(), s.size()); }

// FlatBuffers are read in place and need their natural alignment; values
// under a RocksDB iterator have none, so a misaligned one is copied to `buf`.
std::string_view aligned(const rocksdb::Slice& s, std::string& buf) {
  if (reinterpret_cast<std::uintptr_t>(s.data()) % 8 == 0) return view(s);
  buf.assign(s.data(), s.size());
  return buf;
}

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

}  // namespace

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

std::string_view verify_problem_name(VerifyProblem p) {
  switch (p) {
    case VerifyProblem::none: return "none";
    case VerifyProblem::undecodable: return "undecodable";
    case VerifyProblem::gap: return "gap";
    case VerifyProblem::reordered: return "reordered";
    case VerifyProblem::prev_hash_mismatch: return "prev_hash_mismatch";
    case VerifyProblem::hash_mismatch: return "hash_mismatch";
    case VerifyProblem::index_mismatch: return "index_mismatch";
    case VerifyProblem::head_mismatch: return "head_mismatch";
    case VerifyProblem::bad_key: return "bad_key";
    case VerifyProblem::unavailable: return "unavailable";
  }
  return "unknown";
}

// ---------------------------------------------------------------- Store

Result<std::unique_ptr<Store>> Store::open(const std::string& dir, const StoreOptions& options) {
  std::unique_ptr<Store> store(new Store());
  store->options_ = options;
  store->dir_ = dir;
  PL_RETURN_IF_ERROR(store->open_db());
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
  std::vector<rocksdb::ColumnFamilyDescriptor> cfs = {
      {rocksdb::kDefaultColumnFamilyName, rocksdb::ColumnFamilyOptions()},
      {"events", events_cf},
      {"streams", streams_cf},
      {"commands", lookup_cf},
      {"meta", rocksdb::ColumnFamilyOptions()},
      {"checkpoints", rocksdb::ColumnFamilyOptions()},
  };
  rocksdb::DB* raw = nullptr;
  rocksdb::Status s;
  if (options_.read_only) {
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
  events_ = handles_[1];
  streams_ = handles_[2];
  commands_ = handles_[3];
  meta_ = handles_[4];
  checkpoints_ = handles_[5];

  std::string head_value;
  s = raw->Get(rocksdb::ReadOptions(), meta_, kHeadKey, &head_value);
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
  std::unique_ptr<rocksdb::Iterator> it(raw->NewIterator(rocksdb::ReadOptions(), events_));
  it->SeekToLast();
  std::uint64_t last = 0;
  if (it->Valid()) last = it->key().size() == 8 ? get_u64(it->key().data()) : ~0ull;
  if (!it->status().ok()) return from_rocks(it->status(), "read last event");
  if (consistent_ && last != head_.position) {
    consistent_ = false;
    inconsistency_ = "the head names position " + std::to_string(head_.position) +
                            " but the last stored event is at " + std::to_string(last);
  }
  PL_RETURN_IF_ERROR(check_mark());
  return Status::ok();
}

Status Store::check_mark() {
  std::string file = dir_ + "/" + kMarkFile, text;
  {
    std::ifstream in(file, std::ios::binary);
    if (!in) return Status::ok();  // a store from before the mark, or a copy
    std::stringstream ss;
    ss << in.rdbuf();
    text = ss.str();
  }
  Head mark;
  if (!decode_mark(text, &mark)) return Status::ok();  // a mark cut by a power loss: no claim
  std::string problem;
  if (mark.position > head_.position) {
    problem = "the ledger acknowledged position " + std::to_string(mark.position) + " (hash " + to_hex(mark.hash) +
              ") but the store opens at position " + std::to_string(head_.position) +
              ": acknowledged events were lost (a damaged or truncated write-ahead log)";
  } else if (mark.position > 0) {
    std::string value;
    auto s = db_->Get(rocksdb::ReadOptions(), events_, position_key(mark.position), &value);
    std::string buf;
    auto ev = s.ok() ? decode_event(aligned(rocksdb::Slice(value), buf)) : Result<EventView>(Status::not_found(""));
    if (!ev || ev->hash_bytes() != bytes_of(mark.hash))
      problem = "the event at position " + std::to_string(mark.position) +
                " is not the one the ledger acknowledged (hash " + to_hex(mark.hash) + "): the store was changed";
  }
  durable_mark_ = mark;
  if (problem.empty()) return Status::ok();
  if (!options_.read_only)
    return Status::corruption(problem + ". The ledger in " + dir_ +
                              " was not opened for writing; restore the latest backup into a new directory");
  // Read-only (verify, export): open, and let verify say what is wrong.
  if (consistent_) {
    consistent_ = false;
    inconsistency_ = problem;
  }
  return Status::ok();
}

void Store::write_mark(const Head& h) {
  if (options_.read_only || h.position == 0) return;
  std::string file = dir_ + "/" + kMarkFile, tmp = file + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << encode_mark(h);
    out.flush();
    if (!out) return;  // the mark is a safeguard; the events are durable without it
  }
  std::error_code ec;
  std::filesystem::rename(tmp, file, ec);
  mark_written_ = std::chrono::steady_clock::now();
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
  Status st = open_db();
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
  if (batch.count_ == 0 && batch.commands_.empty()) return Status::ok();
  for (const auto& [key, rec] : batch.commands_) batch.wb_->Put(commands_, key, encode_command(rec));
  batch.wb_->Put(meta_, kHeadKey, encode_head(batch.head_));
  if (needs_reopen_ || !db_) return Status::io_error("the store must be reopened after a storage failure; nothing was written");
  rocksdb::WriteOptions wo;
  wo.sync = options_.sync;
  Status st = from_rocks(db_->Write(wo, batch.wb_.get()), "commit");
  if (!st) {
    // RocksDB stops taking writes after a failed log write or sync, and the
    // failed write may or may not have reached the disk: only reopening the
    // store tells (see reopen()).
    needs_reopen_ = true;
    return Status::io_error("the storage failed while writing (" + st.message() +
                            "); the command may or may not have been recorded: the store is reopened before the "
                            "next command, and a retry with the same Idempotency-Key is answered exactly once");
  }
  {
    std::lock_guard lock(head_mu_);
    head_ = batch.head_;
  }
  if (std::chrono::steady_clock::now() - mark_written_ >= std::chrono::seconds(1)) write_mark(batch.head_);
  for (auto& [stream, version] : batch.versions_) version_cache_[stream] = version;
  batch.wb_->Clear();
  batch.versions_.clear();
  batch.undo_.clear();
  batch.commands_.clear();
  batch.command_index_.clear();
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

namespace {

// What every read of a stored event checks beyond its structure: that it sits
// under its own position, and that its contents still hash to the hash it
// was written with. A changed byte is an error naming the position, never a
// silently different event.
constexpr std::string_view kAltered = "; the ledger was altered outside the ledger (ledger verify reports the whole chain)";

Status corrupt_at(std::string_view key, const std::string& what) {
  std::uint64_t pos = key.size() == 8 ? get_u64(key.data()) : 0;
  return Status::corruption("event at position " + std::to_string(pos) + ": " + what);
}

Status check_stored(const EventView& ev, std::string_view key) {
  if (key.size() != 8 || ev.position() != get_u64(key.data()))
    return corrupt_at(key, "it holds position " + std::to_string(ev.position()) + std::string(kAltered));
  Hash h = envelope_hash(ev.ref());
  if (ev.hash_bytes() != bytes_of(h))
    return corrupt_at(key, "its contents hash to " + to_hex(h) + ", not to its stored hash " + to_hex(ev.hash_bytes()) +
                               std::string(kAltered));
  return Status::ok();
}

// The decoded, checked event stored under `key`, borrowed from `bytes`...
Result<EventView> decode_stored(std::string_view bytes, std::string_view key) {
  auto ev = decode_event(bytes);
  if (!ev) return corrupt_at(key, ev.status().message());
  PL_RETURN_IF_ERROR(check_stored(*ev, key));
  return ev;
}

// ... or owning them.
Result<StoredEvent> stored_event(std::string bytes, std::string_view key) {
  auto ev = StoredEvent::from_bytes(std::move(bytes));
  if (!ev) return corrupt_at(key, ev.status().message());
  PL_RETURN_IF_ERROR(check_stored(ev->view(), key));
  return ev;
}

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

}  // namespace

Result<std::vector<StoredEvent>> Store::read(std::uint64_t from, std::size_t limit) const {
  std::shared_lock db_lock(db_mu_);
  PL_RETURN_IF_ERROR(usable());

  std::vector<StoredEvent> out;
  if (limit == 0) return out;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), events_));
  for (it->Seek(position_key(std::max<std::uint64_t>(from, 1))); it->Valid() && out.size() < limit; it->Next()) {
    auto ev = stored_event(it->value().ToString(), it->key().ToStringView());
    if (!ev) return ev.status();
    out.push_back(std::move(ev).value());
  }
  if (!it->status().ok()) return from_rocks(it->status(), "read events");
  return out;
}

Result<StoredEvent> Store::read_one(std::uint64_t position) const {
  std::shared_lock db_lock(db_mu_);
  PL_RETURN_IF_ERROR(usable());
  return read_one_unlocked(position);
}

Result<StoredEvent> Store::read_one_unlocked(std::uint64_t position) const {
  std::string value;
  auto s = db_->Get(rocksdb::ReadOptions(), events_, position_key(position), &value);
  if (s.IsNotFound()) return Status::not_found("no event at position " + std::to_string(position));
  if (!s.ok()) return from_rocks(s, "read event");
  return stored_event(std::move(value), position_key(position));
}

// An iterator over the events from `from` (at least 1) to `to` (0: the end),
// with the upper bound it needs kept alive beside it.
struct Store::EventCursor {
  std::string upper;
  rocksdb::Slice upper_slice;
  std::unique_ptr<rocksdb::Iterator> it;
  EventCursor(const EventCursor&) = delete;  // the bound points into `upper`
  EventCursor& operator=(const EventCursor&) = delete;
  EventCursor(const Store& store, std::uint64_t from, std::uint64_t to) {
    rocksdb::ReadOptions ro;
    ro.readahead_size = 2 << 20;
    // A scan reads each block once: it does not push the blocks of point
    // reads out of the cache, and it always reads (and checks) the files.
    ro.fill_cache = false;
    if (to != 0) {
      upper = position_key(to + 1);
      upper_slice = rocksdb::Slice(upper);
      ro.iterate_upper_bound = &upper_slice;
    }
    it.reset(store.db_->NewIterator(ro, store.events_));
    it->Seek(position_key(std::max<std::uint64_t>(from, 1)));
  }
};

Status Store::scan(std::uint64_t from, std::uint64_t to, const std::function<Status(const EventView&)>& fn) const {
  std::shared_lock db_lock(db_mu_);
  PL_RETURN_IF_ERROR(usable());

  EventCursor cur(*this, from, to);
  auto& it = cur.it;
  std::string buf;
  ChainCheck chain;
  for (; it->Valid(); it->Next()) {
    auto ev = decode_stored(aligned(it->value(), buf), it->key().ToStringView());
    if (!ev) return ev.status();
    PL_RETURN_IF_ERROR(chain.follow(*ev));
    PL_RETURN_IF_ERROR(fn(*ev));
  }
  return from_rocks(it->status(), "scan events");
}

Status Store::scan_pipelined(std::uint64_t from, std::uint64_t to,
                             const std::function<Status(const EventView&)>& fn) const {
  std::shared_lock db_lock(db_mu_);
  PL_RETURN_IF_ERROR(usable());

  // Batches of verified envelopes, each at an 8-byte aligned offset of one
  // buffer; at most kDepth batches wait for the caller.
  struct Chunk {
    std::string bytes;
    std::vector<std::pair<std::size_t, std::size_t>> spans;
  };
  constexpr std::size_t kChunkBytes = 512 * 1024, kDepth = 4;
  std::mutex mu;
  std::condition_variable cv;
  std::deque<Chunk> ready, spare;  // spare: drained chunks, their memory reused
  bool finished = false, cancelled = false;
  Status read_status = Status::ok();

  std::thread reader([&] {
    Status st = Status::ok();
    Chunk chunk;
    auto hand_over = [&](bool last) {
      std::unique_lock lock(mu);
      cv.wait(lock, [&] { return ready.size() < kDepth || cancelled; });
      if (!chunk.spans.empty()) ready.push_back(std::move(chunk));
      chunk = Chunk();
      if (!spare.empty()) {
        chunk = std::move(spare.front());
        spare.pop_front();
      }
      if (last) {
        finished = true;
        read_status = st;
      }
      cv.notify_all();
      return !cancelled;
    };
    EventCursor cur(*this, from, to);
    auto& it = cur.it;
    ChainCheck chain;
    for (; it->Valid(); it->Next()) {
      std::size_t off = (chunk.bytes.size() + 7) & ~std::size_t{7};
      chunk.bytes.resize(off);
      chunk.bytes.append(it->value().data(), it->value().size());
      auto ev = decode_stored(std::string_view(chunk.bytes).substr(off), it->key().ToStringView());
      st = ev ? chain.follow(*ev) : ev.status();
      if (!st) break;
      chunk.spans.emplace_back(off, it->value().size());
      if (chunk.bytes.size() >= kChunkBytes && !hand_over(false)) return;
    }
    if (st && !it->status().ok()) st = from_rocks(it->status(), "scan events");
    hand_over(true);
  });

  Status out = Status::ok();
  for (;;) {
    Chunk chunk;
    {
      std::unique_lock lock(mu);
      cv.wait(lock, [&] { return !ready.empty() || finished; });
      if (ready.empty()) {
        out = read_status;
        break;
      }
      chunk = std::move(ready.front());
      ready.pop_front();
      cv.notify_all();
    }
    for (auto& [off, len] : chunk.spans) {
      out = fn(view_of_verified(std::string_view(chunk.bytes).substr(off, len)));
      if (!out) break;
    }
    if (out) {
      chunk.bytes.clear();
      chunk.spans.clear();
      std::lock_guard lock(mu);
      spare.push_back(std::move(chunk));
    }
    if (!out) {
      std::lock_guard lock(mu);
      cancelled = true;
      cv.notify_all();
      break;
    }
  }
  reader.join();
  return out;
}

Result<std::vector<StoredEvent>> Store::read_stream(std::string_view stream, std::uint64_t from_version) const {
  std::shared_lock db_lock(db_mu_);
  PL_RETURN_IF_ERROR(usable());

  std::vector<StoredEvent> out;
  std::string prefix(stream);
  prefix.push_back('\0');
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), streams_));
  for (it->Seek(stream_key(stream, std::max<std::uint64_t>(from_version, 1))); it->Valid(); it->Next()) {
    auto k = view(it->key());
    if (k.size() != prefix.size() + 8 || k.substr(0, prefix.size()) != prefix) break;
    if (it->value().size() != 8) return Status::corruption("stream index value is not a position");
    auto ev = read_one_unlocked(get_u64(it->value().data()));
    if (!ev) return ev.status().is(Kind::not_found) ? Status::corruption(ev.status().message()) : ev.status();
    out.push_back(std::move(ev).value());
  }
  if (!it->status().ok()) return from_rocks(it->status(), "read stream");
  return out;
}

Result<std::optional<CommandRecord>> Store::find_command(std::string_view key) const {
  std::shared_lock db_lock(db_mu_);
  PL_RETURN_IF_ERROR(usable());

  std::string value;
  auto s = db_->Get(rocksdb::ReadOptions(), commands_, rocksdb::Slice(key.data(), key.size()), &value);
  if (s.IsNotFound()) return std::optional<CommandRecord>();
  if (!s.ok()) return from_rocks(s, "read command");
  CommandRecord r;
  if (!decode_command(value, &r)) return Status::corruption("command record for key is malformed");
  return std::optional<CommandRecord>(std::move(r));
}

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

Status Store::usable() const {
  if (!db_) return Status::unavailable("the store is being reopened after a storage failure");
  return Status::ok();
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
  std::shared_ptr<const rocksdb::Snapshot> snapshot(db_->GetSnapshot(),
                                                    [db = db_.get()](const rocksdb::Snapshot* s) { db->ReleaseSnapshot(s); });
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
  if (!hs.ok() && !hs.IsNotFound()) return fail(1, VerifyProblem::head_mismatch, "cannot read the head: " + hs.ToString());
  if (hs.ok() && !have_head) return fail(1, VerifyProblem::head_mismatch, "the head record is malformed");

  ro.readahead_size = 2 << 20;
  ro.fill_cache = false;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, events_));
  Hash prev{};
  std::uint64_t expected = 1;
  std::string index_value, buf;
  IndexDigest should_hold;  // what the events say the streams index holds
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    if (it->key().size() != 8)
      return fail(expected, VerifyProblem::bad_key, "a key of " + std::to_string(it->key().size()) + " bytes is not a position");
    std::uint64_t key_pos = get_u64(it->key().data());
    if (key_pos != expected)
      return fail(expected, VerifyProblem::gap,
                  "position " + std::to_string(expected) + " is missing (next stored key is " + std::to_string(key_pos) + ")");
    auto ev = decode_event(aligned(it->value(), buf));
    if (!ev) return fail(expected, VerifyProblem::undecodable, "position " + std::to_string(expected) + ": " + ev.status().message());
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
    prev = h;
    rep.checked = expected;
    if (progress && (expected & 0xffff) == 0) progress(expected, rep.head.position);
    ++expected;
  }
  if (!it->status().ok()) return fail(expected, VerifyProblem::undecodable, "reading events failed: " + it->status().ToString());

  if (durable_mark_ && durable_mark_->position > rep.checked)
    return fail(rep.checked + 1, VerifyProblem::head_mismatch,
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
    return fail(rep.checked, VerifyProblem::index_mismatch, "reading the streams index failed: " + ix->status().ToString());
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
        return fail(pos, VerifyProblem::index_mismatch,
                    "the streams index holds an entry that names no event of its stream at position " +
                        std::to_string(pos));
    }
    return fail(rep.checked, VerifyProblem::index_mismatch, "the streams index differs from the events");
  }

  if (progress) progress(rep.checked, rep.head.position);
  return rep;
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
  if (st) write_mark(head());
  return st;
}

Status Store::put_checkpoint(std::string_view name, std::string_view value) {
  std::shared_lock db_lock(db_mu_);
  PL_RETURN_IF_ERROR(usable());

  rocksdb::WriteOptions wo;
  wo.sync = options_.sync;
  return from_rocks(db_->Put(wo, checkpoints_, rocksdb::Slice(name.data(), name.size()),
                             rocksdb::Slice(value.data(), value.size())),
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

// ---------------------------------------------------------------- Batch

Batch::Batch(Store* store, std::int64_t now_us)
    : store_(store), wb_(std::make_unique<rocksdb::WriteBatch>()), head_(store->head()) {
  recorded_at_us_ = std::max(now_us, head_.recorded_at_us);
}

Batch::~Batch() = default;
Batch::Batch(Batch&&) noexcept = default;

Result<std::uint64_t> Batch::stream_version(std::string_view stream) {
  auto it = versions_.find(std::string(stream));
  if (it != versions_.end()) return it->second;
  return store_->cached_version(stream);
}

Result<EventRef> Batch::add(std::string_view stream, std::optional<std::uint64_t> expected_version, fb::Event type,
                            std::string_view payload, const EventMeta& meta, std::string* bytes_out) {
  if (stream.empty() || stream.find('\0') != std::string_view::npos)
    return Status::invalid("a stream id is not empty and holds no NUL byte");
  auto current = stream_version(stream);
  if (!current) return current.status();
  if (expected_version && *expected_version != *current)
    return Status::conflict("version_conflict", "stream " + std::string(stream) + " is at version " +
                                                    std::to_string(*current) + ", not " +
                                                    std::to_string(*expected_version));
  EnvelopeRef e;
  e.position = head_.position + 1;
  e.stream = stream;
  e.stream_version = *current + 1;
  e.type = static_cast<std::uint16_t>(type);
  e.recorded_at_us = recorded_at_us_;
  e.actor_name = meta.actor_name;
  e.actor_role = meta.actor_role;
  e.idempotency_key = meta.idempotency_key;
  e.correlation_id = meta.correlation_id;
  e.programme_id = meta.programme_id;
  e.rules_version = meta.rules_version;
  e.prev_hash = bytes_of(head_.hash);
  e.payload = payload;
  EventRef ref;
  std::string bytes = encode_envelope(e, &ref.hash);
  wb_->Put(store_->events_, position_key(e.position), bytes);
  wb_->Put(store_->streams_, stream_key(stream, e.stream_version), position_key(e.position));
  if (bytes_out) *bytes_out = std::move(bytes);

  std::string key(stream);
  undo_.emplace_back(key, *current);
  versions_[key] = e.stream_version;
  head_.position = e.position;
  head_.hash = ref.hash;
  head_.recorded_at_us = recorded_at_us_;
  ++count_;

  ref.position = e.position;
  ref.stream = std::move(key);
  ref.version = e.stream_version;
  ref.type = type;
  return ref;
}

void Batch::record_command(std::string_view key, const CommandRecord& record) {
  commands_.emplace_back(std::string(key), record);
  command_index_[commands_.back().first] = commands_.size() - 1;
}

const CommandRecord* Batch::pending_command(std::string_view key) const {
  auto it = command_index_.find(std::string(key));
  return it == command_index_.end() ? nullptr : &commands_[it->second].second;
}

void Batch::release() {
  if (!saved_) return;
  wb_->PopSavePoint().PermitUncheckedError();
  saved_.reset();
}

void Batch::mark() {
  wb_->SetSavePoint();
  saved_ = Saved{head_, count_, undo_.size(), commands_.size()};
}

void Batch::rollback() {
  if (!saved_) return;
  wb_->RollbackToSavePoint().PermitUncheckedError();
  while (undo_.size() > saved_->undo_size) {
    auto& [stream, before] = undo_.back();
    versions_[stream] = before;
    undo_.pop_back();
  }
  while (commands_.size() > saved_->commands_size) {
    command_index_.erase(commands_.back().first);
    commands_.pop_back();
  }
  head_ = saved_->head;
  count_ = saved_->count;
  saved_.reset();
}

}  // namespace pl
