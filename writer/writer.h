// The single writer: one thread owns every write to the store.
//
// Callers on any thread submit a Command: a decide function that, given the
// write-side State, returns the events to append or a refusal. The writer
// takes every command queued while its previous commit was in flight, decides
// them in order, each against the State that includes the events of the ones
// before it, and commits the accepted ones together in one synced RocksDB
// write (group commit). A caller is answered only after its events are
// durable. A refused command writes nothing and does not disturb the others of
// its group. If the commit itself fails, the group's accepted commands are
// answered with that failure (io_error: their outcome is not known), and the
// store is reopened and the State rebuilt from it before anything else is
// decided; while the reopen fails, commands are answered with its error and
// nothing is written; if the State cannot be rebuilt, every later command is
// refused as unavailable.
//
// Thread safety: submit(), execute() and stats() may be called from any
// thread; stop() from one thread at a time. execute() and stop() must not be
// called from a Callback or from on_commit (they would wait for themselves).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "domain/decision.h"
#include "domain/state.h"
#include "log/store.h"
#include "log/vault.h"

namespace pl {

// What an accepted command wrote.
struct CommandOutcome {
  std::string id;                // the entity the command named
  std::vector<EventRef> events;  // in position order
  bool replayed = false;         // answered from the idempotency record; nothing written
};

// The outcome of one command: the CommandOutcome once its events are
// durable, or the Status saying why not (e.g. the decision's refusal,
// idempotency_key_reused, storage_error, unavailable). Called exactly once
// per command, in submission order, on the writer's answering thread (on the
// writer's own thread with WriterOptions::answer_inline), or on the
// submitting thread when the writer is stopping. Keep it short (set a
// promise, post to a queue).
using Callback = std::function<void(Result<CommandOutcome>)>;

// What one commit made durable: `count` events from position `first` on.
// `envelopes` holds them as stored (the bytes the store's reads check against
// their hash), in position order, when the writer encoded them itself; it is
// empty when the writer knows only that they are on disk (a failed write found
// there after a reopen): then whoever needs them reads them from the store.
struct Committed {
  std::uint64_t first = 0;
  std::size_t count = 0;
  std::vector<std::string> envelopes;
};

struct WriterOptions {
  // The vault that seals every event's personal fields and its actor's name
  // (log/vault.h), over the same store. Required; not owned: it must outlive
  // the Writer.
  Vault* vault = nullptr;
  // The time events are recorded at, in microseconds since the Unix epoch,
  // UTC; called on the writer thread. Empty: system_now_us.
  // Default: empty
  std::function<std::int64_t()> clock;
  // The most commands decided into one commit.
  // Default: 4096
  std::size_t max_group = 4096;
  // Called on the writer thread after each commit that wrote events (and
  // after a reopen that found the events of a failed commit on disk), with
  // the State as it now stands, valid during the call only, and what was
  // committed (its envelopes may be moved from). Called before the commit's
  // commands are answered. Keep it short; it must not submit and wait.
  // Empty: none.
  // Default: empty
  std::function<void(const State&, Committed&)> on_commit;
  // Answer each group's commands on the writer's thread, right after its
  // commit and on_commit, rather than on the answering thread: one thread
  // hop less per group, for callbacks that only hand the outcome on (a few
  // hundred nanoseconds each); a slower callback delays the next group.
  // Default: false
  bool answer_inline = false;
};

// Microseconds since the Unix epoch, from the system clock. Thread safe.
std::int64_t system_now_us();

class Writer {
 public:
  // Folds every event of `store` into a fresh State and starts the writer's
  // threads. Fails with the error of reading the store (corruption names the
  // position). `store` is not owned; it must outlive the Writer, and no one
  // else may commit to it meanwhile.
  static Result<std::unique_ptr<Writer>> start(Store& store, WriterOptions options = {});
  ~Writer();  // stop()s
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;

  // Queues a command; `done` is called exactly once with its outcome. After
  // stop() has begun, the command is answered unavailable at once and
  // nothing is written.
  void submit(Command command, Callback done);
  // Submits and waits for the outcome.
  Result<CommandOutcome> execute(Command command);
  // Stops taking commands, decides and commits those already queued, answers
  // them, and joins the threads; no callback runs after it returns.
  // Idempotent.
  void stop();

  // Counters since start, as of the call.
  struct Stats {
    std::uint64_t commits = 0;
    std::uint64_t commands = 0;
    std::uint64_t events = 0;
    std::uint64_t refused = 0;
    std::uint64_t failed_commits = 0;
    std::uint64_t subjects_erased = 0;
    // Erasures whose keys' old records could not be compacted away at once
    // (they go at the next compaction; the keys are destroyed either way).
    std::uint64_t key_purges_failed = 0;
    std::uint64_t decide_ns = 0;  // deciding and encoding
    std::uint64_t commit_ns = 0;  // the synced RocksDB write
    std::uint64_t answer_ns = 0;  // calling back the callers
  };
  Stats stats() const;

 private:
  Writer(Store& store, WriterOptions options);
  void run();
  void process(std::vector<std::pair<Command, Callback>>& group);
  Status rebuild_state();
  void answer_loop();
  // Gives the group's answers to the callers: inline or to the answering thread.
  void answer(std::vector<std::pair<Callback, Result<CommandOutcome>>>& answers);

  Store& store_;
  WriterOptions options_;
  std::unique_ptr<State> state_;
  Status broken_;  // writer thread only; not ok once the State could not be rebuilt

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::pair<Command, Callback>> queue_;
  bool stopping_ = false;
  Stats stats_;
  std::thread thread_;

  std::mutex answer_mu_;
  std::condition_variable answer_cv_;
  std::vector<std::pair<Callback, Result<CommandOutcome>>> answer_queue_;
  bool answer_stopping_ = false;
  std::thread answer_thread_;
};

}  // namespace pl
