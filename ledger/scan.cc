// Reading the store: one event, a page, a stream, a scan and the pipelined
// scan (a second thread reads and checks while the caller folds). Every
// event read is checked (store_format.h).
#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <thread>

#include "ledger/store.h"
#include "ledger/store_format.h"

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

}  // namespace pl
