// The programme index (each event's position under its programme), the
// search of a position by recording time, and the as-of snapshots kept beside
// them. The key grammar is in store_format.h and docs/STORAGE.md.
#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <algorithm>

#include "log/store.h"
#include "log/store_format.h"

namespace pl {

using namespace store_format;

namespace {

// The id and position of a programmes or snapshots key; false if it is not one.
bool split_programme_key(std::string_view key, std::string_view* programme, std::uint64_t* position) {
  if (key.size() < 9 || key[key.size() - 9] != '\0') return false;
  *programme = key.substr(0, key.size() - 9);
  *position = get_u64(key.data() + key.size() - 8);
  return true;
}

}  // namespace

Status Store::backfill_programme_index() {
  // Every event from the index's size on, checked as it is read, in writes of
  // 16,384 entries, each with the index's new size.
  rocksdb::WriteBatch wb;
  std::uint64_t done = programme_index_size_.load();
  auto flush_batch = [&]() -> Status {
    std::string size;
    put_u64(size, done);
    wb.Put(meta_, kProgrammeIndexSizeKey, size);
    rocksdb::WriteOptions wo;
    wo.sync = options_.sync;
    PL_RETURN_IF_ERROR(from_rocks(db_->Write(wo, &wb), "back-fill the programme index"));
    wb.Clear();
    return Status::ok();
  };
  Status st = scan(done + 1, head().position, [&](const EventView& e) {
    std::string_view pid = e.programme_id();
    if (!pid.empty() && pid.find('\0') == std::string_view::npos)
      wb.Put(programmes_, programme_key(pid, e.position()), rocksdb::Slice());
    done = e.position();
    if (done % 16384 == 0) return flush_batch();
    return Status::ok();
  });
  if (st && done > programme_index_size_.load()) st = flush_batch();
  if (!st) return st;
  programme_index_size_ = done;
  return Status::ok();
}

Status Store::scan_programme(std::string_view programme, std::uint64_t from, std::uint64_t to,
                             const std::function<Status(const EventView&)>& fn) const {
  std::shared_lock db_lock(db_mu_);
  PL_RETURN_IF_ERROR(usable());
  if (programmes_ == nullptr)
    return Status::unavailable("this store has no programme index (open it for writing once)");
  // An index not complete up to the point asked (a store whose back-fill
  // has not run or did not finish) would leave events out: the caller
  // answers otherwise (a replay of the whole log).
  const std::uint64_t last = to == 0 ? head().position : to;
  if (programme_index_size_.load() < last)
    return Status::unavailable("the programme index covers positions up to " +
                               std::to_string(programme_index_size_.load()) + " only");

  rocksdb::ReadOptions ro;
  // One view of the store for the index and the events: an entry read names
  // an event the same view holds.
  const rocksdb::Snapshot* snap = db_->GetSnapshot();
  ro.snapshot = snap;
  struct Release {
    rocksdb::DB* db;
    const rocksdb::Snapshot* s;
    ~Release() { db->ReleaseSnapshot(s); }
  } release{db_.get(), snap};
  std::string upper = programme_key(programme, to == 0 ? ~0ull : to + 1);
  rocksdb::Slice upper_slice(upper);
  rocksdb::ReadOptions index_ro = ro;
  index_ro.iterate_upper_bound = &upper_slice;
  std::unique_ptr<rocksdb::Iterator> index(db_->NewIterator(index_ro, programmes_));
  std::unique_ptr<rocksdb::Iterator> events(db_->NewIterator(ro, events_));
  std::string buf;
  std::uint64_t at = 0;  // the events iterator's position (0: not placed)
  for (index->Seek(programme_key(programme, std::max<std::uint64_t>(from, 1))); index->Valid(); index->Next()) {
    std::string_view pid;
    std::uint64_t position = 0;
    if (!split_programme_key(view(index->key()), &pid, &position) || pid != programme)
      return Status::corruption("the programme index holds a malformed key");
    // A programme's events are often near one another: step when the next one
    // is a few positions on, seek otherwise.
    if (at != 0 && position > at && position - at <= 8) {
      while (events->Valid() && at < position) {
        events->Next();
        at = events->Valid() && events->key().size() == 8 ? get_u64(events->key().data()) : ~0ull;
      }
    }
    if (at != position) {
      events->Seek(position_key(position));
      at = events->Valid() && events->key().size() == 8 ? get_u64(events->key().data()) : ~0ull;
    }
    if (!events->Valid() || at != position) {
      if (!events->status().ok()) return from_rocks(events->status(), "read events");
      return Status::corruption("the programme index names position " + std::to_string(position) +
                                ", which holds no event" + std::string(kAltered));
    }
    auto ev = decode_stored(aligned(events->value(), buf), events->key().ToStringView());
    if (!ev) return ev.status();
    if (ev->programme_id() != programme)
      return Status::corruption("the programme index puts position " + std::to_string(position) + " under " +
                                std::string(programme) + ", but its event belongs to " +
                                std::string(ev->programme_id()) + std::string(kAltered));
    PL_RETURN_IF_ERROR(fn(*ev));
  }
  return from_rocks(index->status(), "read the programme index");
}

Result<std::vector<std::pair<std::string, std::uint64_t>>> Store::programme_sizes() const {
  std::shared_lock db_lock(db_mu_);
  PL_RETURN_IF_ERROR(usable());
  std::vector<std::pair<std::string, std::uint64_t>> out;
  if (programmes_ == nullptr) return out;
  rocksdb::ReadOptions ro;
  ro.fill_cache = false;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, programmes_));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    std::string_view pid;
    std::uint64_t position = 0;
    if (!split_programme_key(view(it->key()), &pid, &position))
      return Status::corruption("the programme index holds a malformed key");
    if (out.empty() || out.back().first != pid) out.emplace_back(std::string(pid), 0);
    ++out.back().second;
  }
  if (!it->status().ok()) return from_rocks(it->status(), "read the programme index");
  return out;
}

Result<std::uint64_t> Store::position_at(std::int64_t at_us) const {
  // The first position recorded after at_us, in [lo, hi]; hi + 1 if none.
  std::uint64_t lo = 1, hi = head().position;
  while (lo <= hi) {
    std::uint64_t mid = lo + (hi - lo) / 2;
    auto ev = read_one(mid);
    if (!ev) return ev.status();
    if (ev->view().recorded_at_us() <= at_us)
      lo = mid + 1;
    else
      hi = mid - 1;
  }
  return lo - 1;
}

Status Store::put_snapshot(std::string_view programme, std::uint64_t position, std::uint64_t count,
                           std::string_view value) {
  std::shared_lock db_lock(db_mu_);
  PL_RETURN_IF_ERROR(usable());
  if (snapshots_ == nullptr || catalogue_ == nullptr || options_.read_only)
    return Status::unavailable("the store is open read-only");
  rocksdb::WriteBatch wb;
  wb.Put(snapshots_, programme_key(programme, position), rocksdb::Slice(value.data(), value.size()));
  std::string count_value;
  put_u64(count_value, count);
  wb.Put(catalogue_, programme_key(programme, position), count_value);
  // Not through the write-ahead log: a snapshot lost to a crash is made
  // again, and its bytes do not join the next commit's sync. A value lost
  // while its catalogue entry survives is not found, and an earlier one used.
  rocksdb::WriteOptions wo;
  wo.disableWAL = true;
  std::lock_guard write_lock(write_mu_);
  return from_rocks(db_->Write(wo, &wb), "write snapshot");
}

Status Store::delete_snapshot(std::string_view programme, std::uint64_t position) {
  std::shared_lock db_lock(db_mu_);
  PL_RETURN_IF_ERROR(usable());
  if (snapshots_ == nullptr || catalogue_ == nullptr || options_.read_only)
    return Status::unavailable("the store is open read-only");
  rocksdb::WriteBatch wb;
  wb.Delete(snapshots_, programme_key(programme, position));
  wb.Delete(catalogue_, programme_key(programme, position));
  rocksdb::WriteOptions wo;
  std::lock_guard write_lock(write_mu_);
  return from_rocks(db_->Write(wo, &wb), "delete snapshot");
}

Result<std::optional<Store::SnapshotEntry>> Store::snapshot_before(std::string_view programme,
                                                                   std::uint64_t position) const {
  std::shared_lock db_lock(db_mu_);
  PL_RETURN_IF_ERROR(usable());
  if (catalogue_ == nullptr) return std::optional<SnapshotEntry>();
  std::string lower = programme_key(programme, 0);
  rocksdb::Slice lower_slice(lower);
  rocksdb::ReadOptions ro;
  ro.iterate_lower_bound = &lower_slice;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, catalogue_));
  it->SeekForPrev(programme_key(programme, position));
  if (!it->Valid()) {
    if (!it->status().ok()) return from_rocks(it->status(), "read snapshots");
    return std::optional<SnapshotEntry>();
  }
  std::string_view pid;
  SnapshotEntry out;
  if (!split_programme_key(view(it->key()), &pid, &out.position) || pid != programme || it->value().size() != 8)
    return std::optional<SnapshotEntry>();
  out.programme = std::string(pid);
  out.count = get_u64(it->value().data());
  return std::optional<SnapshotEntry>(std::move(out));
}

Result<std::optional<std::string>> Store::get_snapshot(std::string_view programme, std::uint64_t position) const {
  std::shared_lock db_lock(db_mu_);
  PL_RETURN_IF_ERROR(usable());
  if (snapshots_ == nullptr) return std::optional<std::string>();
  std::string value;
  rocksdb::ReadOptions ro;
  ro.fill_cache = false;  // read whole, once: the caller keeps what it decoded
  auto s = db_->Get(ro, snapshots_, programme_key(programme, position), &value);
  if (s.IsNotFound()) return std::optional<std::string>();
  if (!s.ok()) return from_rocks(s, "read snapshot");
  return std::optional<std::string>(std::move(value));
}

Result<std::vector<Store::SnapshotEntry>> Store::snapshot_list(std::string_view programme) const {
  std::shared_lock db_lock(db_mu_);
  PL_RETURN_IF_ERROR(usable());
  std::vector<SnapshotEntry> out;
  if (catalogue_ == nullptr) return out;
  // The catalogue only: no snapshot's value is read.
  rocksdb::ReadOptions ro;
  ro.fill_cache = false;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, catalogue_));
  std::string prefix;
  if (!programme.empty()) prefix = std::string(programme) + '\0';
  for (it->Seek(prefix); it->Valid(); it->Next()) {
    auto k = view(it->key());
    if (k.substr(0, prefix.size()) != prefix) break;
    std::string_view pid;
    std::uint64_t position = 0;
    if (!split_programme_key(k, &pid, &position) || it->value().size() != 8) continue;
    out.push_back({std::string(pid), position, get_u64(it->value().data())});
  }
  if (!it->status().ok()) return from_rocks(it->status(), "list snapshots");
  return out;
}

}  // namespace pl
