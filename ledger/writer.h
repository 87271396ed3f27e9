// The single writer: one thread owns every write to the store.
//
// Callers on any thread submit a Command: a decide function that, given the
// write-side State, returns the events to append or a refusal. The writer
// takes every command queued while its previous commit was in flight, decides
// them in order, each against the State that includes the events of the ones
// before it, and commits the accepted ones together in one synced RocksDB
// write (group commit). A caller is answered only after its events are
// durable. A refused command writes nothing and does not disturb the others of
// its group. If the commit itself fails, every command of the group is
// answered with that failure and the State is rebuilt from the store; if
// that rebuild fails too, every later command is refused as unavailable.
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

#include "ledger/decision.h"
#include "ledger/state.h"
#include "ledger/store.h"

namespace pl {

struct CommandOutcome {
  std::string id;
  std::vector<EventRef> events;
  bool replayed = false;  // answered from the idempotency record; nothing written
};

// Called on the writer's answering thread, in submission order: keep it
// short (set a promise, post to a queue).
using Callback = std::function<void(Result<CommandOutcome>)>;

struct WriterOptions {
  // Microseconds since the Unix epoch, UTC. Default: the system clock.
  std::function<std::int64_t()> clock;
  // Most commands decided into one commit. Default: 4096.
  std::size_t max_group = 4096;
  // Called on the writer thread after each successful commit with the
  // State as it now stands and the number of events committed.
  std::function<void(const State&, std::size_t)> on_commit;
};

std::int64_t system_now_us();

class Writer {
 public:
  // Replays the store into a fresh State and starts the writer thread.
  static Result<std::unique_ptr<Writer>> start(Store& store, WriterOptions options = {});
  ~Writer();  // stop()s
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;

  // Queues a command; `done` is called once with its outcome. After stop()
  // has begun, commands are answered `unavailable` at once.
  void submit(Command command, Callback done);
  // Submits and waits for the outcome.
  Result<CommandOutcome> execute(Command command);
  // Stops taking commands, decides and commits those already queued, answers
  // them, and joins the thread. Idempotent.
  void stop();

  struct Stats {
    std::uint64_t commits = 0;
    std::uint64_t commands = 0;
    std::uint64_t events = 0;
    std::uint64_t refused = 0;
    std::uint64_t failed_commits = 0;
    std::uint64_t decide_ns = 0;    // deciding and encoding
    std::uint64_t commit_ns = 0;    // the synced RocksDB write
    std::uint64_t answer_ns = 0;    // calling back the callers
  };
  Stats stats() const;

 private:
  Writer(Store& store, WriterOptions options);
  void run();
  void process(std::vector<std::pair<Command, Callback>>& group);
  Status rebuild_state();
  void answer_loop();

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
