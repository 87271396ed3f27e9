// The projector: keeps the read models up to date with the store and
// publishes them to readers as immutable snapshots.
//
// It follows the store on its own thread. When told that events were
// committed (notify), it folds them into the spare copy of the read models,
// publishes that copy, and then brings the other copy up to date once the
// readers still holding it are gone ("left-right"): readers never wait, never
// see half a commit, and the writer only ever pays for a notify. A reader that
// keeps an old snapshot for long does not hold the projector back either: after
// a short wait the projector drops that copy to the reader and makes a fresh
// one.
//
// The events to fold are read from the store (every read checked against its
// hash and position), except those the writer hands over as it commits them
// (notify with envelopes): it encoded them itself, so they are folded from
// memory, and the store is not read back for them.
//
// Checkpoints: every `checkpoint_every` events (at most once per
// `checkpoint_interval`) and on stop, the models are saved in the
// `checkpoints` column family with the position they cover and that event's
// hash. The periodic ones are made on a thread of their own, from a third copy
// of the models that it folds from the store at its own pace: writing a large
// model's checkpoint takes a second or so, during which the projector goes on
// publishing (when the projector saved them itself, every command answered
// meanwhile waited for the save). On start, a checkpoint written by the same
// code version whose position and hash match the store is loaded and only the
// events after it are replayed; otherwise the models are rebuilt from
// position 1.
//
// Thread safety: notify(), snapshot(), published_position(), wait_for() and
// status() may be called from any thread at any time; stop() from one thread
// at a time. stop() and wait_for() must not be called from on_publish (it
// runs on the projector's thread).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "log/store.h"
#include "read/read_models.h"
#include "read/replay.h"

namespace pl {

struct ProjectorOptions {
  // Save a checkpoint after this many events folded; 0: only on stop (and
  // no checkpoint thread, nor its copy of the models).
  // Default: 100000
  std::uint64_t checkpoint_every = 100'000;
  // The version written into checkpoints; a stored checkpoint of another
  // version is ignored at start (tests change it to force a rebuild).
  // Default: kReadModelsVersion
  std::uint32_t code_version = kReadModelsVersion;
  // Called on the projector's thread after each publication it makes (not
  // the first, made by start()), with the position published (e.g. to wake
  // live feeds). Keep it short. Empty: none.
  // Default: empty
  std::function<void(std::uint64_t)> on_publish;
  // The least time between two periodic checkpoints.
  // Default: 30 s
  std::chrono::milliseconds checkpoint_interval = std::chrono::seconds(30);
  // Called on the projector's thread once, when it stops for good after a
  // failed read of the store (status() says the same from then on). Keep it
  // short. Empty: none.
  // Default: empty
  std::function<void(const Status&)> on_failure = nullptr;
  // Tests only: called before each publication with the position about to
  // be published; an error it returns is taken as a failed read of the store.
  // Empty: none.
  // Default: empty
  std::function<Status(std::uint64_t)> fault = nullptr;
  // The vault the published models open personal fields with (not owned;
  // it outlives the projector). Null: they read as sealed.
  // Default: null
  const Vault* vault = nullptr;
};

// What start() did.
struct ProjectorStart {
  std::uint64_t checkpoint_position = 0;  // 0: none used
  std::string checkpoint_ignored;         // why a stored checkpoint was not used
  std::uint64_t replayed = 0;             // events folded at start
};

class Projector {
 public:
  // Loads a usable checkpoint (or starts from nothing), folds the events up
  // to the store's head, publishes the result and starts the projector's
  // thread. Fails with the error of reading the store; a checkpoint that
  // cannot be used is not an error (start_info() says why). `store` is not
  // owned and must outlive the Projector.
  static Result<std::unique_ptr<Projector>> start(Store& store, ProjectorOptions options = {});
  ~Projector();  // stop()s
  Projector(const Projector&) = delete;
  Projector& operator=(const Projector&) = delete;

  // Events up to the store's head may be new; returns at once.
  void notify();
  // The same, with the envelopes just committed from position `first` on, as
  // the writer encoded them (Committed::envelopes): folded without reading
  // them back. REQUIRES: they are durable in the store at those positions,
  // and were encoded by this process (they are not checked against their
  // hash; an envelope whose position is not the one expected is ignored, and
  // read from the store instead).
  void notify(std::uint64_t first, std::vector<std::string> envelopes);
  // The latest published read models; never null, and never blocks on the
  // projector. The models do not change while the caller holds the pointer;
  // holding it long costs memory (the projector makes another copy), not
  // progress.
  std::shared_ptr<const ReadModels> snapshot() const;
  // The position the latest published read models cover.
  std::uint64_t published_position() const;
  // Waits until the published read models cover `position` and returns
  // true; false on timeout, or if the projector stopped or failed first.
  bool wait_for(std::uint64_t position, std::chrono::milliseconds timeout) const;
  // Folds and publishes the events up to the head, saves a checkpoint if
  // events were folded since the last one (a failure shows in status()), and
  // joins the thread. snapshot() still answers afterwards. Idempotent.
  void stop();

  // Set by start(); unchanged afterwards.
  const ProjectorStart& start_info() const { return start_info_; }
  // OK, or why the projector stopped publishing: a read of the store failed,
  // or the checkpoint written at stop did (a periodic one that fails is tried
  // again later and stops nothing). A store being reopened after a storage
  // failure (unavailable) is waited for, not a failure.
  Status status() const;

  // Saves `rm` as the store's checkpoint, with its position, the hash of the
  // event there and `code_version`; nothing for models at position 0.
  // Returns the error of reading that event or of writing.
  static Status save_checkpoint(Store& store, const ReadModels& rm, std::uint32_t code_version);
  // The models of the stored checkpoint if it is usable: written with
  // `code_version`, at a position the store holds, whose event still has the
  // hash it had, and decoding whole. nullopt when there is none, or when it
  // is not usable, with the reason in *why (required, non-null). Fails only
  // when the checkpoint itself cannot be read.
  static Result<std::optional<ReadModels>> load_checkpoint(const Store& store, std::uint32_t code_version,
                                                           std::string* why);

 private:
  Projector(Store& store, ProjectorOptions options);
  void run();
  // Folds the events after rm's position up to `to`: the handed ones from
  // memory, the others read from the store.
  Status catch_up(ReadModels& rm, std::uint64_t to);
  // Drops the handed envelopes that both copies have folded.
  void prune_handed(std::uint64_t folded);
  // The checkpoint thread: folds its copy from the store and saves it, every
  // checkpoint_every events, at most once per checkpoint_interval.
  void checkpoint_loop();
  std::uint64_t checkpoint_saved() const;

  Store& store_;
  ProjectorOptions options_;
  ProjectorStart start_info_;

  mutable std::mutex mu_;
  mutable std::condition_variable cv_;  // notify / stop
  mutable std::condition_variable published_cv_;
  bool notified_ = false;
  // Envelopes handed over by notify(first, ...), not yet taken by the
  // projector's thread.
  struct Handed {
    std::uint64_t first = 0;
    std::vector<std::string> envelopes;
    std::uint64_t last() const { return first + envelopes.size() - 1; }
  };
  std::vector<Handed> incoming_;
  bool stopping_ = false;
  bool stopped_ = false;
  Status failed_;
  // Who holds a published copy: the snapshots handed out share one deleter,
  // which, when the last of them goes, marks the copy released under the
  // lease's mutex. The projector takes that mutex before it writes the copy
  // again, so every read of a reader happens before (a real happens-before,
  // not a poll of use_count()). A copy the projector stopped waiting for is
  // left to the lease, and freed by the last reader.
  struct Lease {
    std::mutex mu;
    std::condition_variable cv;
    bool released = false;
    std::unique_ptr<ReadModels> models;     // the copy, while the projector owns it
    std::unique_ptr<ReadModels> abandoned;  // the copy, once left to its readers
  };
  // Publishes `models` (projector thread, or start()); returns the lease of
  // the copy published before, if any.
  std::shared_ptr<Lease> publish(std::unique_ptr<ReadModels> models);

  std::shared_ptr<const ReadModels> published_;
  std::shared_ptr<Lease> published_lease_;
  std::uint64_t published_position_ = 0;

  std::unique_ptr<ReadModels> spare_;  // projector thread only
  // The handed envelopes that a copy may still have to fold, in position
  // order (projector thread only).
  std::deque<Handed> handed_;
  std::thread thread_;
  // The position of the last checkpoint saved (either thread); guarded by mu_.
  std::uint64_t checkpoint_position_ = 0;
  std::unique_ptr<ReadModels> checkpoint_models_;  // checkpoint thread only
  std::condition_variable checkpoint_cv_;          // stop
  bool checkpoint_stopping_ = false;               // guarded by mu_
  bool checkpoint_due_ = false;                    // guarded by mu_
  std::thread checkpoint_thread_;
};

}  // namespace pl
