// Batch: the events of one commit, built by the writer before Store::commit.
#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <cstring>

#include "log/store.h"
#include "log/store_format.h"

namespace pl {

using namespace store_format;

namespace {

// The last batch's WriteBatch on this thread (the writer's), emptied, for the
// next batch. A commit of 1,000 events grows its buffer to half a MiB; a
// fresh one per commit was mapped anew and zeroed by the kernel page by
// page: a quarter of the writer's CPU for such commits. A WriteBatch names
// its column families at each Put, so one serves any store.
thread_local std::unique_ptr<rocksdb::WriteBatch> spare_write_batch;

}  // namespace

Batch::Batch(Store* store, std::int64_t now_us)
    : store_(store), wb_(std::move(spare_write_batch)), head_(store->head()) {
  if (!wb_) wb_ = std::make_unique<rocksdb::WriteBatch>();
  recorded_at_us_ = std::max(now_us, head_.recorded_at_us);
}

// The WriteBatch is kept, emptied, with its buffer (unless a large import
// grew it past what is worth keeping).
Batch::~Batch() {
  constexpr std::size_t kKeepBytes = 16 << 20;
  if (!wb_ || wb_->Data().capacity() > kKeepBytes) return;
  wb_->Clear();
  spare_write_batch = std::move(wb_);
}

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
  e.actor_id = meta.actor_id;
  e.actor_role = meta.actor_role;
  e.idempotency_key = meta.idempotency_key;
  e.correlation_id = meta.correlation_id;
  e.programme_id = meta.programme_id;
  e.rules_version = meta.rules_version;
  e.prev_hash = bytes_of(head_.hash);
  e.payload = payload;
  e.sealed = meta.sealed;
  EventRef ref;
  std::string bytes = encode_envelope(e, &ref.hash);
  wb_->Put(store_->events_, position_key(e.position), bytes);
  wb_->Put(store_->streams_, stream_key(stream, e.stream_version), position_key(e.position));
  if (!meta.programme_id.empty() && meta.programme_id.find('\0') == std::string::npos)
    wb_->Put(store_->programmes_, programme_key(meta.programme_id, e.position), rocksdb::Slice());
  if (bytes_out) *bytes_out = std::move(bytes);

  std::string key(stream);
  undo_.emplace_back(key, *current);
  versions_[key] = e.stream_version;
  head_.position = e.position;
  head_.hash = ref.hash;
  head_.recorded_at_us = recorded_at_us_;
  hashes_.push_back(ref.hash);
  ++count_;

  ref.position = e.position;
  ref.stream = std::move(key);
  ref.version = e.stream_version;
  ref.type = type;
  return ref;
}

void Batch::put_key_record(std::string_view name, std::string_view value) {
  wb_->Put(store_->keys_, name, value);
  key_records_.emplace_back(std::string(name), std::string(value));
}

std::optional<std::string_view> Batch::pending_key_record(std::string_view name) const {
  for (auto it = key_records_.rbegin(); it != key_records_.rend(); ++it)
    if (it->first == name) return std::string_view(it->second);
  return std::nullopt;
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
  saved_ = Saved{head_, count_, undo_.size(), commands_.size(), key_records_.size()};
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
  key_records_.resize(saved_->key_records);
  hashes_.resize(count_);
  saved_.reset();
}

}  // namespace pl
