// As-of read models of one programme, from kept snapshots.
//
// A programme's views (its budget, pairs, hours, mentees, invoices, control)
// read only what its own events made: every event belongs to one programme
// (EventMeta::programme_id), and no event of another programme changes what
// those views read. So the models of a programme as of position X are a fold
// of that programme's events up to X alone, found through the store's
// programme index, then moved on to X (ReadModels::pass). The tests compare
// every view so made with the same view of a fold of the whole log.
//
// Snapshots make the fold short: the models of a programme after its n-th
// event are kept (column family "snapshots") at every multiple of a spacing
// that starts at `every` events and doubles whenever a programme would hold
// more than `max_per_programme` of them, dropping every other one: a
// programme of N events keeps at most max_per_programme + 1 snapshots, the
// last at most 2N / max_per_programme events behind its head. A snapshot is
// tied to the hash of the event it covers and the code version that wrote it,
// like the read-model checkpoints: one that does not match is not used (and is
// made again). An answer is a snapshot's load plus a fold of at most one
// spacing of that programme's events.
//
// Thread safety: every method may be called from any thread; answers are
// made one at a time.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "log/store.h"
#include "read/read_models.h"
#include "read/timeline.h"

namespace pl {

struct AsOfOptions {
  // The first spacing of a programme's snapshots, in events of that programme.
  // Default: 4096
  std::uint64_t every = 4096;
  // The most snapshots of one programme before the spacing doubles.
  // Default: 32
  std::uint64_t max_per_programme = 32;
  // The version written into snapshots; one of another version is not used.
  // Default: kReadModelsVersion
  std::uint32_t code_version = kReadModelsVersion;
  // False: snapshots are read and used, never written (a read-only store).
  // Default: true
  bool write = true;
  // The vault the models open personal fields with (not owned). Null: they
  // read as sealed.
  // Default: null
  const Vault* vault = nullptr;
};

struct AsOfStats {
  std::uint64_t answers = 0;
  std::uint64_t snapshots_loaded = 0, snapshots_written = 0, snapshots_dropped = 0;
  std::uint64_t snapshots_ignored = 0;  // not matching the store or the code
  std::uint64_t keep_failures = 0;      // snapshots that could not be written
  std::uint64_t events_folded = 0;
  std::uint64_t timeline_answers = 0, timeline_records = 0;
  // Time spent loading snapshots (reading, decompressing, decoding) and
  // folding events, in microseconds.
  std::uint64_t load_us = 0, fold_us = 0;
};

class AsOfModels {
 public:
  // `store` is not owned and must outlive this object.
  AsOfModels(Store& store, AsOfOptions options = {});

  // The models of `programme`'s events up to position `position` (clamped to
  // the head), moved on to that position: what every view of that programme
  // reads as of there. Snapshots crossed on the way are kept. Fails with the
  // error of reading the store.
  Result<std::shared_ptr<const ReadModels>> at(std::string_view programme, std::uint64_t position);

  // The budget of `programme` (without explanations) and its net invoiced by
  // month as of `position` (clamped to the head), from the programme's budget
  // timeline (read/timeline.h), brought up to the head first if it does
  // not reach the position. A programme without one gets it here if it has
  // a snapshot kept (it has at least `every` events). nullopt for one that
  // has neither: at() answers for it.
  Result<std::optional<BudgetTimeline::Answer>> budget_at(std::string_view programme, std::uint64_t position);

  // The programme's pairs view as of `position` (clamped to the head) and
  // `today`, the lines `keep` accepts, from its timeline, found or made as
  // budget_at() does: `use` is given the answer while the timeline is held
  // (its lines point into it). False for a programme without a timeline: at()
  // answers for it.
  Result<bool> pairs_at(std::string_view programme, std::uint64_t position, std::int32_t today,
                        const std::function<bool(const PairLine&)>& keep,
                        const std::function<void(const BudgetTimeline::PairsAnswer&)>& use);

  // Makes what a programme's as-of answers start from: its budget timeline
  // and the snapshots missing up to the head. `ledger serve` runs it in the
  // background at start, one programme per job, for each of
  // worth_preparing(); prepare() does them all.
  Status prepare_one(const std::string& programme);
  Status prepare(const std::function<void(const std::string&)>& progress = {});
  // The programmes prepare() folds: those with at least `every` events.
  Result<std::vector<std::string>> worth_preparing() const;

  AsOfStats stats() const;

 private:
  struct Loaded {
    std::uint64_t position = 0;  // of the programme's event the snapshot covers
    std::uint64_t count = 0;     // that programme's events up to it
    std::unique_ptr<ReadModels> models;
  };
  // The latest usable snapshot of `programme` at or before `position`.
  Result<std::optional<Loaded>> load(std::string_view programme, std::uint64_t position);
  // The models of the programme's events up to `position`, not moved on to
  // it: from a snapshot, or from nothing with `from_start` (then the
  // snapshots already kept are not written again), folded on.
  Result<Loaded> fold_to(const std::string& programme, std::uint64_t position, bool from_start,
                         BudgetTimeline* timeline);
  // Folds `m` on to `position`, keeping the snapshots crossed (but, with
  // `skip_kept`, not those the catalogue already holds); each event is shown
  // to `timeline` when there is one.
  Status fold_on(const std::string& programme, Loaded& m, std::uint64_t position, BudgetTimeline* timeline,
                 bool skip_kept);
  // Brings the programme's timeline (made if missing) up to `position`.
  Status timeline_to(const std::string& programme, std::uint64_t position);
  // The programme's timeline covering `position` (at most the head): null for
  // a programme that has none and no snapshot kept yet. Called with mu_ held.
  Result<const BudgetTimeline*> timeline_for(std::string_view programme, std::uint64_t position);
  // The spacing for a programme with `count` events.
  std::uint64_t spacing(std::uint64_t count) const;
  // Keeps the models (after the programme's `count`-th event) and drops the
  // snapshots that the spacing `s` no longer keeps.
  Status keep(const std::string& programme, std::uint64_t count, std::uint64_t s, const ReadModels& rm);

  Store& store_;
  AsOfOptions options_;
  mutable std::mutex mu_;  // one answer at a time; guards what follows
  AsOfStats stats_;
  std::map<std::string, std::unique_ptr<BudgetTimeline>, std::less<>> timelines_;
};

}  // namespace pl
