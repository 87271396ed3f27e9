// Reading the store: one event, a page, a stream, a scan and the pipelined
// scan (a second thread reads and checks while the caller folds, and the two
// share the rehashing). Every event read is checked (store_format.h).
#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>

#include "log/store.h"
#include "log/store_format.h"

namespace pl {

using namespace store_format;

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

namespace {

// A batch of envelopes for a pipelined scan, each at an 8-byte aligned offset
// of one buffer. The reader has checked their structure, positions and links
// (a link compares stored bytes); the rehash, most of the cost of checking,
// is done in blocks of kBlock events by whichever thread claims a block
// first: the caller just before it folds the block, or the reader while it
// would otherwise wait for room. So a slow fold leaves the rehashing to the
// reader, and a fast one shares it.
struct Chunk {
  enum : std::uint32_t { kOpen = 0, kClaimed = 1, kChecked = 2, kFailed = 3 };
  static constexpr std::size_t kBlock = 64;

  std::string bytes;
  std::vector<std::pair<std::size_t, std::size_t>> spans;
  std::size_t blocks = 0;
  std::unique_ptr<std::atomic<std::uint32_t>[]> state;  // per block
  std::size_t capacity = 0;                             // of `state`
  // Per block, written before its state turns kFailed: the first event whose
  // hash is wrong (an index of `spans`) and the error naming it.
  std::vector<std::size_t> failed_at;
  std::vector<Status> failure;

  EventView view(std::size_t i) const {
    return view_of_verified(std::string_view(bytes).substr(spans[i].first, spans[i].second));
  }
  std::size_t block_end(std::size_t b) const { return std::min(spans.size(), (b + 1) * kBlock); }
  // Every block open; before the chunk is handed over (the hand-over orders
  // these stores before any claim).
  void open_blocks() {
    blocks = (spans.size() + kBlock - 1) / kBlock;
    if (blocks > capacity) {
      capacity = blocks;
      state = std::make_unique<std::atomic<std::uint32_t>[]>(capacity);
    }
    for (std::size_t b = 0; b < blocks; ++b) state[b].store(kOpen, std::memory_order_relaxed);
    failed_at.assign(blocks, 0);
    failure.assign(blocks, Status::ok());
  }
  bool claim(std::size_t b) {
    std::uint32_t open = kOpen;
    return state[b].compare_exchange_strong(open, kClaimed, std::memory_order_acquire);
  }
  // Rehashes the events of block `b`, which the calling thread claimed.
  void check_block(std::size_t b) {
    std::uint32_t outcome = kChecked;
    for (std::size_t i = b * kBlock, end = block_end(b); i < end; ++i) {
      if (Status st = check_hash(view(i)); !st) {
        failed_at[b] = i;
        failure[b] = std::move(st);
        outcome = kFailed;
        break;
      }
    }
    state[b].store(outcome, std::memory_order_release);
    state[b].notify_all();
  }
  // The outcome of block `b` once checked, by this thread or the other.
  std::uint32_t checked(std::size_t b) {
    if (claim(b)) check_block(b);
    std::uint32_t s;
    while ((s = state[b].load(std::memory_order_acquire)) == kClaimed)
      state[b].wait(kClaimed, std::memory_order_acquire);
    return s;
  }
};

}  // namespace

Status Store::scan_pipelined(std::uint64_t from, std::uint64_t to,
                             const std::function<Status(const EventView&)>& fn) const {
  std::shared_lock db_lock(db_mu_);
  PL_RETURN_IF_ERROR(usable());

  // At most kDepth chunks wait for the caller. Chunks are shared: the reader
  // may still be rehashing a block of one the caller has taken.
  constexpr std::size_t kChunkBytes = 512 * 1024, kDepth = 4;
  std::mutex mu;
  std::condition_variable cv;
  std::deque<std::shared_ptr<Chunk>> ready, spare;  // spare: drained chunks, their memory reused
  bool finished = false, cancelled = false;
  Status read_status = Status::ok();

  std::thread reader([&] {
    // Under `lock`: rehashes one open block of a waiting chunk, newest
    // first (the caller starts from the oldest); false if there is none.
    auto help = [&](std::unique_lock<std::mutex>& lock) {
      for (auto it = ready.rbegin(); it != ready.rend(); ++it)
        for (std::size_t b = (*it)->blocks; b-- > 0;) {
          if ((*it)->state[b].load(std::memory_order_relaxed) != Chunk::kOpen || !(*it)->claim(b)) continue;
          std::shared_ptr<Chunk> keep = *it;
          lock.unlock();
          keep->check_block(b);
          lock.lock();
          return true;
        }
      return false;
    };
    Status st = Status::ok();
    auto chunk = std::make_shared<Chunk>();
    auto hand_over = [&](bool last) {
      std::unique_lock lock(mu);
      while (!cancelled && ready.size() >= kDepth)
        if (!help(lock)) cv.wait(lock, [&] { return ready.size() < kDepth || cancelled; });
      if (!chunk->spans.empty()) {
        chunk->open_blocks();
        ready.push_back(std::move(chunk));
      }
      chunk = std::make_shared<Chunk>();
      if (!spare.empty()) {
        chunk = std::move(spare.front());
        spare.pop_front();
      }
      if (last) {
        finished = true;
        read_status = st;
      }
      cv.notify_all();
      // At the end, the reader goes on rehashing while the caller folds.
      while (last && !cancelled && help(lock)) {
      }
      return !cancelled;
    };
    EventCursor cur(*this, from, to);
    auto& it = cur.it;
    ChainCheck chain;
    for (; it->Valid(); it->Next()) {
      std::size_t off = (chunk->bytes.size() + 7) & ~std::size_t{7};
      chunk->bytes.resize(off);
      chunk->bytes.append(it->value().data(), it->value().size());
      auto ev = decode_event(std::string_view(chunk->bytes).substr(off));
      st = ev ? check_position(*ev, it->key().ToStringView())
              : corrupt_at(it->key().ToStringView(), ev.status().message());
      if (st) st = chain.follow(*ev);
      if (!st) break;
      chunk->spans.emplace_back(off, it->value().size());
      if (chunk->bytes.size() >= kChunkBytes && !hand_over(false)) return;
    }
    if (st && !it->status().ok()) st = from_rocks(it->status(), "scan events");
    hand_over(true);
  });

  Status out = Status::ok();
  for (;;) {
    std::shared_ptr<Chunk> chunk;
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
    // Block by block, in order: an event is folded only once its hash has
    // been checked, and the first bad event stops the scan with its error.
    for (std::size_t b = 0; b < chunk->blocks && out; ++b) {
      std::size_t end = chunk->block_end(b);
      bool failed = chunk->checked(b) == Chunk::kFailed;
      if (failed) end = chunk->failed_at[b];
      for (std::size_t i = b * Chunk::kBlock; i < end && out; ++i) out = fn(chunk->view(i));
      if (out && failed) out = chunk->failure[b];
    }
    if (!out) {
      std::lock_guard lock(mu);
      cancelled = true;
      cv.notify_all();
      break;
    }
    chunk->bytes.clear();
    chunk->spans.clear();
    std::lock_guard lock(mu);
    spare.push_back(std::move(chunk));
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

}  // namespace pl
