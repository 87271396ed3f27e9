// The Store's column family `keys`: the data keys of the people the ledger
// names, wrapped by the master key (log/vault.h).
#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include "log/store.h"
#include "log/store_format.h"

namespace pl {

using store_format::from_rocks;

Status Store::put_key_record(std::string_view name, std::string_view value) {
  std::shared_lock db_lock(db_mu_);
  PL_RETURN_IF_ERROR(usable());
  if (options_.read_only || !keys_) return Status::unavailable("the store is open read-only");
  rocksdb::WriteOptions wo;
  wo.sync = true;  // a key is durable before anything is sealed under it
  std::lock_guard write_lock(write_mu_);
  return from_rocks(db_->Put(wo, keys_, name, value), "write key");
}

Status Store::put_key_records(const std::vector<std::pair<std::string, std::string>>& records) {
  std::shared_lock db_lock(db_mu_);
  PL_RETURN_IF_ERROR(usable());
  if (options_.read_only || !keys_) return Status::unavailable("the store is open read-only");
  rocksdb::WriteBatch wb;
  for (auto& [name, value] : records) wb.Put(keys_, name, value);
  rocksdb::WriteOptions wo;
  wo.sync = true;
  std::lock_guard write_lock(write_mu_);
  return from_rocks(db_->Write(wo, &wb), "write keys");
}

Result<std::optional<std::string>> Store::get_key_record(std::string_view name) const {
  std::shared_lock db_lock(db_mu_);
  PL_RETURN_IF_ERROR(usable());
  if (!keys_) return std::optional<std::string>();
  std::string value;
  rocksdb::ReadOptions once;
  once.fill_cache = false;
  rocksdb::Status s = db_->Get(once, keys_, name, &value);
  if (s.IsNotFound()) return std::optional<std::string>();
  if (!s.ok()) return from_rocks(s, "read key");
  return std::optional<std::string>(std::move(value));
}

Status Store::scan_key_records(const std::function<Status(std::string_view, std::string_view)>& fn) const {
  std::shared_lock db_lock(db_mu_);
  PL_RETURN_IF_ERROR(usable());
  if (!keys_) return Status::ok();
  rocksdb::ReadOptions once;
  once.fill_cache = false;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(once, keys_));
  for (it->SeekToFirst(); it->Valid(); it->Next())
    PL_RETURN_IF_ERROR(fn(std::string_view(it->key().data(), it->key().size()),
                          std::string_view(it->value().data(), it->value().size())));
  return from_rocks(it->status(), "read keys");
}

Status Store::purge_key_records() {
  std::shared_lock db_lock(db_mu_);
  PL_RETURN_IF_ERROR(usable());
  if (options_.read_only || !keys_) return Status::unavailable("the store is open read-only");
  // The memtable to a new table file, then every table file of the family
  // rewritten: a value replaced (a destroyed key) is then in none of them,
  // and the write-ahead log that held it is no longer needed.
  rocksdb::FlushOptions fo;
  fo.wait = true;
  PL_RETURN_IF_ERROR(from_rocks(db_->Flush(fo, keys_), "flush keys"));
  rocksdb::CompactRangeOptions co;
  co.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForce;
  PL_RETURN_IF_ERROR(from_rocks(db_->CompactRange(co, keys_, nullptr, nullptr), "compact keys"));
  return from_rocks(db_->FlushWAL(true), "sync the write-ahead log");
}

}  // namespace pl
