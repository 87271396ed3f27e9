#include "read/projector.h"

#include <algorithm>

#include "base/assert.h"
#include "base/coding.h"

namespace pl {
using namespace coding;
namespace {

// Checkpoint record, under the name "read_models":
//   "PLC1" ‖ code version u32 ‖ position u64 ‖ hash of that event (32 bytes)
//   ‖ archive bytes of ReadModels
constexpr std::string_view kCheckpointName = "read_models";
constexpr std::string_view kMagic = "PLC1";
constexpr std::size_t kHeaderSize = 4 + 4 + 8 + 32;

// How long the projector waits for readers to let go of the copy it wants to
// bring up to date before it makes a fresh copy instead.
constexpr auto kDrainWait = std::chrono::milliseconds(20);

// How soon the projector looks again when the store was being reopened.
constexpr auto kRetryWait = std::chrono::milliseconds(50);

}  // namespace

Status Projector::save_checkpoint(Store& store, const ReadModels& rm, std::uint32_t code_version) {
  if (rm.position() == 0) return Status::ok();
  auto ev = store.read_one(rm.position());
  if (!ev) return ev.status();
  std::string value(kMagic);
  put_u32(value, code_version);
  put_u64(value, rm.position());
  value.append(ev->view().hash_bytes());
  OutArchive a;
  a.save(rm);
  value.append(a.bytes());
  return store.put_checkpoint(kCheckpointName, value);
}

Result<std::optional<ReadModels>> Projector::load_checkpoint(const Store& store, std::uint32_t code_version,
                                                             std::string* why) {
  auto value = store.get_checkpoint(kCheckpointName);
  if (!value) return value.status();
  if (!*value) return std::optional<ReadModels>();
  const std::string& v = **value;
  auto ignore = [&](std::string reason) {
    *why = std::move(reason);
    return std::optional<ReadModels>();
  };
  if (v.size() < kHeaderSize || v.compare(0, 4, kMagic) != 0) return ignore("not a checkpoint record");
  std::uint32_t version = get_u32(v.data() + 4);
  if (version != code_version)
    return ignore("written by read models version " + std::to_string(version) + ", this is version " +
                  std::to_string(code_version));
  std::uint64_t position = get_u64(v.data() + 8);
  if (position > store.head().position)
    return ignore("covers position " + std::to_string(position) + ", past the head " +
                  std::to_string(store.head().position));
  auto ev = store.read_one(position);
  if (!ev) return ignore("its position " + std::to_string(position) + " cannot be read: " + ev.status().message());
  if (ev->view().hash_bytes() != std::string_view(v.data() + 16, 32))
    return ignore("the event at position " + std::to_string(position) + " is not the one it covered");
  ReadModels rm;
  InArchive in(std::string_view(v).substr(kHeaderSize));
  in.get(rm);
  if (!in.ok() || !in.at_end() || rm.position() != position) return ignore("its contents do not decode");
  return std::optional<ReadModels>(std::move(rm));
}

Projector::Projector(Store& store, ProjectorOptions options) : store_(store), options_(std::move(options)) {}

Projector::~Projector() { stop(); }

Status Projector::catch_up(ReadModels& rm, std::uint64_t to) {
  while (rm.position() < to) {
    std::uint64_t next = rm.position() + 1;
    // The handed envelopes that hold `next`, or, if none do, how far the
    // store is to be read before the next ones that were handed.
    std::uint64_t read_to = to;
    const Handed* from_memory = nullptr;
    for (const Handed& h : handed_) {
      if (h.last() < next) continue;
      if (h.first <= next)
        from_memory = &h;
      else
        read_to = std::min(to, h.first - 1);
      break;
    }
    if (from_memory) {
      std::uint64_t last = std::min(to, from_memory->last());
      for (std::uint64_t pos = next; pos <= last; ++pos) {
        EventView e = view_of_verified(from_memory->envelopes[pos - from_memory->first]);
        if (e.position() != pos) {
          // Not the event expected there: read that one from the store.
          read_to = pos;
          from_memory = nullptr;
          break;
        }
        rm.apply(e);
      }
      if (from_memory) continue;
    }
    PL_RETURN_IF_ERROR(store_.scan(next, read_to, [&](const EventView& e) {
      rm.apply(e);
      return Status::ok();
    }));
    if (rm.position() < next) break;  // the log ends before `to`
  }
  return Status::ok();
}

void Projector::prune_handed(std::uint64_t folded) {
  while (!handed_.empty() && handed_.front().last() <= folded) handed_.pop_front();
}

Result<std::unique_ptr<Projector>> Projector::start(Store& store, ProjectorOptions options) {
  std::unique_ptr<Projector> p(new Projector(store, std::move(options)));
  auto loaded = load_checkpoint(store, p->options_.code_version, &p->start_info_.checkpoint_ignored);
  if (!loaded) return loaded.status();
  auto rm = std::make_unique<ReadModels>();
  if (*loaded) {
    *rm = std::move(**loaded);
    p->start_info_.checkpoint_position = rm->position();
  }
  rm->set_vault(p->options_.vault);
  std::uint64_t from = rm->position();
  PL_RETURN_IF_ERROR(p->catch_up(*rm, store.head().position));
  p->start_info_.replayed = rm->position() - from;
  p->checkpoint_position_ = p->start_info_.checkpoint_position;
  p->spare_ = std::make_unique<ReadModels>(*rm);
  if (p->options_.checkpoint_every != 0) p->checkpoint_models_ = std::make_unique<ReadModels>(*rm);
  (void)p->publish(std::move(rm));
  p->thread_ = std::thread([raw = p.get()] { raw->run(); });
  if (p->checkpoint_models_) p->checkpoint_thread_ = std::thread([raw = p.get()] { raw->checkpoint_loop(); });
  return p;
}

std::shared_ptr<Projector::Lease> Projector::publish(std::unique_ptr<ReadModels> models) {
  auto lease = std::make_shared<Lease>();
  const ReadModels* raw = models.get();
  lease->models = std::move(models);
  std::shared_ptr<const ReadModels> snapshot(raw, [lease](const ReadModels*) {
    std::unique_ptr<ReadModels> gone;
    {
      std::lock_guard lock(lease->mu);
      lease->released = true;
      gone = std::move(lease->abandoned);
    }
    lease->cv.notify_all();
  });
  std::shared_ptr<const ReadModels> old;
  std::shared_ptr<Lease> old_lease;
  // Published models only move forward, and never past the log's head.
  PL_ASSERT(raw->position() <= store_.head().position);
  {
    std::lock_guard lock(mu_);
    PL_ASSERT(raw->position() >= published_position_);
    old = std::move(published_);
    old_lease = std::move(published_lease_);
    published_ = std::move(snapshot);
    published_lease_ = std::move(lease);
    published_position_ = raw->position();
  }
  published_cv_.notify_all();
  return old_lease;  // `old` goes here: if no reader holds it, it is released now
}

void Projector::notify() {
  {
    std::lock_guard lock(mu_);
    notified_ = true;
  }
  cv_.notify_one();
}

void Projector::notify(std::uint64_t first, std::vector<std::string> envelopes) {
  {
    std::lock_guard lock(mu_);
    notified_ = true;
    // A projector that stopped folds nothing more: nothing is kept for it.
    if (!envelopes.empty() && !stopped_) incoming_.push_back(Handed{first, std::move(envelopes)});
  }
  cv_.notify_one();
}

std::shared_ptr<const ReadModels> Projector::snapshot() const {
  std::lock_guard lock(mu_);
  return published_;
}

std::uint64_t Projector::published_position() const {
  std::lock_guard lock(mu_);
  return published_position_;
}

Status Projector::status() const {
  std::lock_guard lock(mu_);
  return failed_;
}

bool Projector::wait_for(std::uint64_t position, std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mu_);
  return published_cv_.wait_for(lock, timeout, [&] {
    return published_position_ >= position || stopped_ || !failed_;
  }) && published_position_ >= position;
}

void Projector::run() {
  bool retry = false;  // the store was being reopened: look again soon
  for (;;) {
    bool stopping;
    {
      std::unique_lock lock(mu_);
      if (retry)
        cv_.wait_for(lock, kRetryWait, [&] { return notified_ || stopping_; });
      else
        cv_.wait(lock, [&] { return notified_ || stopping_; });
      notified_ = false;
      stopping = stopping_;
      for (Handed& h : incoming_) handed_.push_back(std::move(h));
      incoming_.clear();
    }
    retry = false;
    std::uint64_t head = store_.head().position;
    Status st = Status::ok();
    if (head > spare_->position()) {
      st = catch_up(*spare_, head);
      if (st && options_.fault) st = options_.fault(head);
      if (st) {
        // Publish the spare; the copy readers had becomes the spare once they
        // let go of it.
        const ReadModels* published = spare_.get();
        std::shared_ptr<Lease> old = publish(std::move(spare_));
        if (options_.on_publish) options_.on_publish(head);
        if (options_.checkpoint_every != 0) {
          std::lock_guard lock(mu_);
          if (head >= checkpoint_position_ + options_.checkpoint_every) {
            checkpoint_due_ = true;
            checkpoint_cv_.notify_one();
          }
        }
        {
          std::unique_lock lock(old->mu);
          if (old->cv.wait_for(lock, kDrainWait, [&] { return old->released; })) {
            spare_ = std::move(old->models);
          } else {
            // A reader still holds it: leave it to them and copy the published one.
            old->abandoned = std::move(old->models);
          }
        }
        if (!spare_) spare_ = std::make_unique<ReadModels>(*published);
        st = catch_up(*spare_, head);
      }
    }
    if (st && spare_) prune_handed(std::min(spare_->position(), published_position()));
    if (st && stopping && spare_ && spare_->position() > checkpoint_saved()) {
      // The spare is ours alone and equal to the published models; the
      // checkpoint thread has stopped (stop() joins it first).
      st = save_checkpoint(store_, *spare_, options_.code_version);
      if (st) {
        std::lock_guard lock(mu_);
        checkpoint_position_ = spare_->position();
      }
    }
    if (!st && st.is(Kind::unavailable) && !stopping) {
      // The writer is reopening the store after a storage failure: not a
      // failure of the read models. What was folded stays folded (a copy's
      // position says how far it got); the rest is read once the store is back.
      retry = true;
      continue;
    }
    if (!st) {
      {
        std::lock_guard lock(mu_);
        failed_ = st;
        stopped_ = true;
        published_cv_.notify_all();
      }
      if (options_.on_failure) options_.on_failure(st);
      return;
    }
    if (stopping) break;
  }
  std::lock_guard lock(mu_);
  stopped_ = true;
  published_cv_.notify_all();
}

std::uint64_t Projector::checkpoint_saved() const {
  std::lock_guard lock(mu_);
  return checkpoint_position_;
}

void Projector::checkpoint_loop() {
  auto last = std::chrono::steady_clock::now() - options_.checkpoint_interval;
  for (;;) {
    {
      std::unique_lock lock(mu_);
      // Woken by the projector when checkpoint_every events were published
      // since the last checkpoint; then no sooner than checkpoint_interval
      // after the last.
      checkpoint_cv_.wait(lock, [&] { return checkpoint_stopping_ || checkpoint_due_; });
      checkpoint_cv_.wait_until(lock, last + options_.checkpoint_interval, [&] { return checkpoint_stopping_; });
      if (checkpoint_stopping_) return;
      checkpoint_due_ = false;
      // Asked again while the last one was being written: not due yet.
      if (published_position_ < checkpoint_position_ + options_.checkpoint_every) continue;
    }
    // Folded from the store, every event checked; a failed read (the store
    // being reopened, say) is tried again when the projector next wakes this
    // thread: what was folded stays folded.
    ReadModels& rm = *checkpoint_models_;
    Status st = store_.scan(rm.position() + 1, store_.head().position, [&](const EventView& e) {
      rm.apply(e);
      return Status::ok();
    });
    if (st) st = save_checkpoint(store_, rm, options_.code_version);
    // A failure (a full disk, say) is tried again no sooner than a success
    // would be; the checkpoint at stop reports its own in status().
    last = std::chrono::steady_clock::now();
    if (!st) continue;
    std::lock_guard lock(mu_);
    checkpoint_position_ = std::max(checkpoint_position_, rm.position());
  }
}

void Projector::stop() {
  {
    std::lock_guard lock(mu_);
    checkpoint_stopping_ = true;
  }
  checkpoint_cv_.notify_all();
  if (checkpoint_thread_.joinable()) checkpoint_thread_.join();
  {
    std::lock_guard lock(mu_);
    if (stopping_ && !thread_.joinable()) return;
    stopping_ = true;
  }
  cv_.notify_one();
  if (thread_.joinable()) thread_.join();
}

}  // namespace pl
