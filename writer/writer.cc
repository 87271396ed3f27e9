#include "writer/writer.h"

#include <chrono>
#include <cstring>
#include <exception>
#include <span>
#include <unordered_map>

#include "base/assert.h"
#include "domain/decide.h"
#include "log/vault.h"

namespace pl {

namespace {

// A personal field sealed, owned until its event is added; its subjects are
// the event's (or the actor's), which outlive it.
struct SealedField {
  std::uint16_t field = 0;
  std::span<const std::string> subjects;
  std::string box;
};

// The actor's name (field 0, for the actor) and the event's personal fields
// that are not empty, sealed at the position the event is about to take in
// `batch` (which gets the keys of subjects new to the ledger), in increasing
// field order.
Status seal_fields(Vault& vault, Batch& batch, const NewEvent& e, const Actor& actor, std::vector<SealedField>& out) {
  const std::uint64_t position = batch.head().position + 1;
  out.clear();
  auto type = static_cast<std::uint16_t>(e.type);
  auto add = [&](std::uint16_t field, std::span<const std::string> subjects, std::string_view text) -> Status {
    if (subjects.empty()) subjects = std::span<const std::string>(&actor.id, 1);
    auto box = vault.seal(FieldPlace{position, type, field}, subjects, text, batch);
    if (!box) return box.status();
    out.push_back({field, subjects, std::move(box).value()});
    return Status::ok();
  };
  if (!actor.name.empty()) PL_RETURN_IF_ERROR(add(0, {}, actor.name));
  std::uint16_t last = 0;
  for (const auto& p : e.personal) {
    PL_ASSERT(p.field > last);  // each field once, in increasing order
    last = p.field;
    if (!p.text.empty()) PL_RETURN_IF_ERROR(add(p.field, p.subjects, p.text));
  }
  return Status::ok();
}
// How long the writer is idle before it marks the commits since the last
// durable-head mark.
constexpr std::chrono::milliseconds kTrailingMarkWait{200};
}  // namespace

std::int64_t system_now_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Result<std::unique_ptr<Writer>> Writer::start(Store& store, WriterOptions options) {
  if (!options.vault)
    return Status::invalid("the writer needs the vault that seals personal data (WriterOptions::vault)");
  if (!options.clock) options.clock = system_now_us;
  std::unique_ptr<Writer> w(new Writer(store, std::move(options)));
  PL_RETURN_IF_ERROR(w->rebuild_state());
  w->thread_ = std::thread([p = w.get()] { p->run(); });
  w->answer_thread_ = std::thread([p = w.get()] { p->answer_loop(); });
  return w;
}

Writer::Writer(Store& store, WriterOptions options) : store_(store), options_(std::move(options)) {}

Writer::~Writer() { stop(); }

Status Writer::rebuild_state() {
  auto fresh = std::make_unique<State>();
  PL_RETURN_IF_ERROR(store_.scan(1, 0, [&](const EventView& e) {
    fresh->apply(e);
    return Status::ok();
  }));
  state_ = std::move(fresh);
  return Status::ok();
}

void Writer::submit(Command command, Callback done) {
  {
    std::lock_guard lock(mu_);
    if (!stopping_) {
      queue_.emplace_back(std::move(command), std::move(done));
      if (queue_.size() == 1) cv_.notify_one();
      return;
    }
  }
  done(Status::unavailable("the ledger is shutting down; nothing was written"));
}

Result<CommandOutcome> Writer::execute(Command command) {
  std::promise<Result<CommandOutcome>> p;
  auto f = p.get_future();
  submit(std::move(command), [&p](Result<CommandOutcome> r) { p.set_value(std::move(r)); });
  return f.get();
}

void Writer::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  {
    std::lock_guard lock(answer_mu_);
    answer_stopping_ = true;
  }
  answer_cv_.notify_all();
  if (answer_thread_.joinable()) answer_thread_.join();
}

void Writer::answer_loop() {
  std::vector<std::pair<Callback, Result<CommandOutcome>>> batch;
  for (;;) {
    {
      std::unique_lock lock(answer_mu_);
      answer_cv_.wait(lock, [&] { return answer_stopping_ || !answer_queue_.empty(); });
      if (answer_queue_.empty()) return;  // stopping and drained
      batch.swap(answer_queue_);
    }
    auto t = std::chrono::steady_clock::now();
    for (auto& [done, result] : batch) done(std::move(result));
    auto ns = static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - t).count());
    batch.clear();
    std::lock_guard lock(mu_);
    stats_.answer_ns += ns;
  }
}

Writer::Stats Writer::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

void Writer::run() {
  std::vector<std::pair<Command, Callback>> group;
  for (;;) {
    {
      std::unique_lock lock(mu_);
      // Idle with commits the durable-head mark does not cover yet: mark
      // them after a moment without work (a burst's last commits are not
      // left unmarked until the next one).
      while (!stopping_ && queue_.empty() && store_.mark_behind()) {
        if (cv_.wait_for(lock, kTrailingMarkWait, [&] { return stopping_ || !queue_.empty(); })) break;
        lock.unlock();
        static_cast<void>(store_.write_trailing_mark());  // a safeguard: tried again after the next commits
        lock.lock();
      }
      cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping and drained
      if (queue_.size() <= options_.max_group) {
        group.swap(queue_);
      } else {
        auto cut = queue_.begin() + static_cast<std::ptrdiff_t>(options_.max_group);
        group.assign(std::make_move_iterator(queue_.begin()), std::make_move_iterator(cut));
        queue_.erase(queue_.begin(), cut);
      }
    }
    process(group);
    group.clear();
  }
}

namespace {

Result<CommandOutcome> replay_outcome(const Store& store, const CommandRecord& rec) {
  CommandOutcome out;
  out.id = rec.id;
  out.replayed = true;
  for (auto pos : rec.positions) {
    auto ev = store.read_one(pos);
    if (!ev) return ev.status();
    auto v = ev->view();
    EventRef r;
    r.position = pos;
    r.stream = std::string(v.stream());
    r.version = v.version();
    r.type = v.type();
    std::memcpy(r.hash.data(), v.hash_bytes().data(), 32);
    out.events.push_back(std::move(r));
  }
  return out;
}

}  // namespace

// "ik3" ‖ 0x1f ‖ role ‖ 0x1f ‖ actor id ‖ 0x1f ‖ key: a key names a command
// of one caller only, so another caller's key can never collide with it.
std::string scoped_command_key(const Command& cmd) {
  std::string k = "ik3\x1f";
  k += cmd.actor.role;
  k += '\x1f';
  k += cmd.actor.id;
  k += '\x1f';
  k += cmd.idempotency_key;
  return k;
}

namespace {

Status key_reused(std::string_view key) {
  return Status::conflict(
      "idempotency_key_reused",
      "the idempotency key '" + std::string(key) + "' was already used for a different request; nothing was written");
}

}  // namespace

void Writer::process(std::vector<std::pair<Command, Callback>>& group) {
  using SteadyClock = std::chrono::steady_clock;
  auto ns_since = [](SteadyClock::time_point t) {
    return static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(SteadyClock::now() - t).count());
  };
  auto t_decide = SteadyClock::now();
  if (store_.needs_reopen()) {
    // The last commit failed: the reopened store says what it holds, and the
    // State is rebuilt from it before anything else is decided.
    std::uint64_t head_before = store_.head().position;
    Status reopened = store_.reopen();
    if (reopened) reopened = rebuild_state();
    if (!reopened) {
      std::vector<std::pair<Callback, Result<CommandOutcome>>> refusals;
      for (auto& [cmd, done] : group) refusals.emplace_back(std::move(done), reopened);
      answer(refusals);
      return;
    }
    broken_ = Status::ok();
    // The failed write reached the disk after all: its events are in the
    // ledger, and whoever follows the commits (the read models) is told; it
    // reads them from the store, which checks them.
    std::uint64_t head_after = store_.head().position;
    if (head_after > head_before && options_.on_commit) {
      Committed found;
      found.first = head_before + 1;
      found.count = head_after - head_before;
      options_.on_commit(*state_, found);
    }
  }
  if (!broken_) {
    // A State that no longer matches the store must not decide anything.
    std::vector<std::pair<Callback, Result<CommandOutcome>>> refusals;
    for (auto& [cmd, done] : group) refusals.emplace_back(std::move(done), broken_);
    answer(refusals);
    return;
  }
  Batch batch = store_.begin(options_.clock());
  // Answers are given after the commit; index -1 in `dup_of` means none.
  std::vector<std::optional<Result<CommandOutcome>>> answers(group.size());
  std::vector<std::ptrdiff_t> dup_of(group.size(), -1);
  std::unordered_map<std::string, std::size_t> key_owner;  // key -> index in group
  std::vector<std::string> bytes;
  // The accepted commands' envelopes, in position order, for on_commit.
  Committed committed_events;
  committed_events.first = store_.head().position + 1;
  std::uint64_t refused = 0;
  std::vector<std::string> erased;  // subjects whose keys this group destroys
  std::vector<SealedField> sealed;  // the fields of the event being added
  bool purge_failed = false;

  for (std::size_t i = 0; i < group.size(); ++i) {
    Command& cmd = group[i].first;
    // The actor as the log keeps it: a pseudonym, the name sealed.
    auto actor_id = options_.vault->staff_id(cmd.actor.name);
    if (!actor_id) {
      answers[i] = actor_id.status();
      continue;
    }
    cmd.actor.id = std::move(actor_id).value();
    const std::string scoped = cmd.idempotency_key.empty() ? std::string() : scoped_command_key(cmd);
    if (!scoped.empty()) {
      if (const CommandRecord* pending = batch.pending_command(scoped)) {
        if (pending->fingerprint == cmd.fingerprint) {
          dup_of[i] = static_cast<std::ptrdiff_t>(key_owner.at(scoped));
        } else {
          answers[i] = key_reused(cmd.idempotency_key);
        }
        continue;
      }
      auto found = store_.find_command(scoped);
      if (!found) {
        answers[i] = found.status();
        continue;
      }
      if (found->has_value()) {
        answers[i] = (*found)->fingerprint == cmd.fingerprint ? replay_outcome(store_, **found)
                                                              : Result<CommandOutcome>(key_reused(cmd.idempotency_key));
        continue;
      }
    }

    Result<Decision> decision = Status::internal("the command did not decide");
    try {
      decision = cmd.decide(*state_, batch.recorded_at_us(), cmd.actor);
    } catch (const std::exception& ex) {
      decision = Status::internal(std::string("deciding the command failed: ") + ex.what());
    }
    if (!decision) {
      ++refused;
      answers[i] = decision.status();
      continue;
    }

    EventMeta meta;
    meta.actor_id = cmd.actor.id;
    meta.actor_role = cmd.actor.role;
    meta.idempotency_key = cmd.idempotency_key;
    meta.correlation_id = cmd.correlation_id;
    meta.programme_id = decision->programme_id;
    meta.rules_version = decision->rules_version;

    CommandOutcome outcome;
    outcome.id = decision->id;
    batch.mark();
    Status st;
    bytes.clear();
    const std::size_t erased_before = erased.size();
    // An erasure destroys the subjects' keys in the same write as its event.
    for (const auto& subject : decision->erase_subjects) {
      st = options_.vault->erasable(subject, batch);
      if (!st) break;
      options_.vault->destroy(batch, subject, batch.recorded_at_us());
      erased.push_back(subject);
    }
    for (auto& ne : decision->events) {
      if (!st) break;
      // Its personal fields and its actor's name, sealed at the position it
      // is about to take.
      st = seal_fields(*options_.vault, batch, ne, cmd.actor, sealed);
      if (!st) break;
      meta.sealed.resize(sealed.size());
      for (std::size_t k = 0; k < sealed.size(); ++k) {
        SealedRef& r = meta.sealed[k];
        r.field = sealed[k].field;
        r.subjects.assign(sealed[k].subjects.begin(), sealed[k].subjects.end());
        r.box = sealed[k].box;
      }
      std::string encoded;
      auto ref = batch.add(ne.stream, ne.expected_version, ne.type, ne.payload, meta, &encoded);
      if (!ref) {
        st = ref.status();
        break;
      }
      outcome.events.push_back(std::move(ref).value());
      bytes.push_back(std::move(encoded));
    }
    if (!st) {
      batch.rollback();
      erased.resize(erased_before);
      ++refused;
      answers[i] = st;
      continue;
    }
    batch.release();
    if (!scoped.empty()) {
      CommandRecord rec;
      rec.fingerprint = cmd.fingerprint;
      rec.id = outcome.id;
      for (auto& r : outcome.events) rec.positions.push_back(r.position);
      batch.record_command(scoped, rec);
      key_owner[scoped] = i;
    }
    for (auto& b : bytes) {
      EventView v;
      v.env = flatbuffers::GetRoot<fb::Envelope>(b.data());
      v.payload = v.env->payload_nested_root();
      state_->apply(v);
      committed_events.envelopes.push_back(std::move(b));
    }
    answers[i] = std::move(outcome);
  }

  std::size_t events = batch.size();
  std::uint64_t decide_ns = ns_since(t_decide);
  auto t_commit = SteadyClock::now();
  Status committed = store_.commit(batch);
  std::uint64_t commit_ns = ns_since(t_commit);
  if (!committed) {
    // Nothing of this group is durable: answer the accepted ones with the
    // failure and bring the State back to what the store holds.
    for (std::size_t i = 0; i < group.size(); ++i) {
      if (dup_of[i] >= 0 || (answers[i] && answers[i]->is_ok() && !(*answers[i])->replayed)) answers[i] = committed;
      dup_of[i] = -1;
    }
    // The State is rebuilt once the store is reopened (next group); until
    // then it must not decide anything.
    broken_ = Status::unavailable("the store is being reopened after a storage failure; nothing was written");
  } else {
    // The write-side state folded exactly the events the store now holds.
    PL_ASSERT(state_->position() == store_.head().position);
    // The destroyed keys leave the vault's memory, then the store's files.
    for (const auto& subject : erased) options_.vault->forget(subject);
    if (!erased.empty() && !store_.purge_key_records()) purge_failed = true;
  }
  if (committed && options_.on_commit && events > 0) {
    committed_events.count = events;
    options_.on_commit(*state_, committed_events);
  }
  {
    std::lock_guard lock(mu_);
    if (!committed) {
      ++stats_.failed_commits;
    } else {
      if (events > 0) ++stats_.commits;
      stats_.events += events;
      stats_.subjects_erased += erased.size();
      if (purge_failed) ++stats_.key_purges_failed;
    }
    stats_.commands += group.size();
    stats_.refused += refused;
    stats_.decide_ns += decide_ns;
    stats_.commit_ns += commit_ns;
  }
  // A repeat of a key first used in this group gets a copy of that answer.
  for (std::size_t i = 0; i < group.size(); ++i) {
    if (dup_of[i] < 0) continue;
    answers[i] = *answers[static_cast<std::size_t>(dup_of[i])];
    if (*answers[i]) (*answers[i])->replayed = true;
  }
  std::vector<std::pair<Callback, Result<CommandOutcome>>> out;
  out.reserve(group.size());
  for (std::size_t i = 0; i < group.size(); ++i) out.emplace_back(std::move(group[i].second), std::move(*answers[i]));
  answer(out);
}

void Writer::answer(std::vector<std::pair<Callback, Result<CommandOutcome>>>& answers) {
  if (options_.answer_inline) {
    auto t = std::chrono::steady_clock::now();
    for (auto& [done, result] : answers) done(std::move(result));
    answers.clear();
    auto ns = static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - t).count());
    std::lock_guard lock(mu_);
    stats_.answer_ns += ns;
    return;
  }
  // The answers go out on their own thread, so that the next group is
  // decided and committed while the callers are being woken.
  {
    std::lock_guard lock(answer_mu_);
    for (auto& a : answers) answer_queue_.push_back(std::move(a));
  }
  answers.clear();
  answer_cv_.notify_one();
}

}  // namespace pl
