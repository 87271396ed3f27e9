#include "read/asof.h"

#include <chrono>
#include <cstring>

#include "base/coding.h"

namespace pl {

namespace {

std::uint64_t us_since(std::chrono::steady_clock::time_point t) {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t).count());
}

// A snapshot's value:
//   u32 code version ‖ u64 position ‖ u64 count ‖ 32 bytes hash of the event
//   at position ‖ the models' archive (base/archive.h)
constexpr std::size_t kHeaderSize = 4 + 8 + 8 + 32;

}  // namespace

AsOfModels::AsOfModels(Store& store, AsOfOptions options) : store_(store), options_(options) {
  if (options_.every == 0) options_.every = 1;
  if (options_.max_per_programme == 0) options_.max_per_programme = 1;
}

AsOfStats AsOfModels::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

std::uint64_t AsOfModels::spacing(std::uint64_t count) const {
  std::uint64_t s = options_.every;
  while (count / s > options_.max_per_programme) s *= 2;
  return s;
}

Result<std::optional<AsOfModels::Loaded>> AsOfModels::load(std::string_view programme, std::uint64_t position) {
  while (position > 0) {
    auto entry = store_.snapshot_before(programme, position);
    if (!entry) return entry.status();
    if (!*entry) return std::optional<Loaded>();
    const std::uint64_t at = (*entry)->position;
    auto value = store_.get_snapshot(programme, at);
    if (!value) return value.status();
    // Usable: written by this code, for the event the store holds there.
    bool usable = false;
    auto rm = std::make_unique<ReadModels>();
    rm->set_vault(options_.vault);
    if (*value && (*value)->size() >= kHeaderSize) {
      const std::string& v = **value;
      auto ev = store_.read_one(at);
      if (!ev && !ev.status().is(Kind::not_found)) return ev.status();
      if (ev && coding::get_u32(v.data()) == options_.code_version && coding::get_u64(v.data() + 4) == at &&
          coding::get_u64(v.data() + 12) == (*entry)->count &&
          ev->view().hash_bytes() == std::string_view(v.data() + 20, 32)) {
        InArchive in(std::string_view(v).substr(kHeaderSize));
        in.get(*rm);
        usable = in.ok() && in.at_end() && rm->position() == at;
      }
    }
    if (usable) {
      ++stats_.snapshots_loaded;
      return std::optional<Loaded>(Loaded{at, (*entry)->count, std::move(rm)});
    }
    ++stats_.snapshots_ignored;
    position = at - 1;  // an earlier one, then
  }
  return std::optional<Loaded>();
}

Status AsOfModels::keep(const std::string& programme, std::uint64_t count, std::uint64_t s, const ReadModels& rm) {
  std::string v;
  coding::put_u32(v, options_.code_version);
  coding::put_u64(v, rm.position());
  coding::put_u64(v, count);
  v.append(reinterpret_cast<const char*>(rm.core().head_hash().data()), rm.core().head_hash().size());
  OutArchive out;
  out.bytes() = std::move(v);
  out.save(rm);
  PL_RETURN_IF_ERROR(store_.put_snapshot(programme, rm.position(), count, out.bytes()));
  ++stats_.snapshots_written;
  // The spacing may have doubled: drop those it no longer keeps.
  auto kept = store_.snapshot_list(programme);
  if (!kept) return kept.status();
  for (const auto& e : *kept)
    if (e.count % s != 0) {
      PL_RETURN_IF_ERROR(store_.delete_snapshot(programme, e.position));
      ++stats_.snapshots_dropped;
    }
  return Status::ok();
}

Result<AsOfModels::Loaded> AsOfModels::fold_to(const std::string& programme, std::uint64_t position, bool from_start,
                                               BudgetTimeline* timeline) {
  auto t0 = std::chrono::steady_clock::now();
  Loaded m;
  if (!from_start) {
    auto loaded = load(programme, position);
    if (!loaded) return loaded.status();
    if (*loaded) m = std::move(**loaded);
  }
  // Loaded straight into the models to fold on: decoding a snapshot costs
  // about what copying decoded models would, so none are kept decoded.
  if (!m.models) {
    m.models = std::make_unique<ReadModels>();
    m.models->set_vault(options_.vault);
  }
  stats_.load_us += us_since(t0);
  PL_RETURN_IF_ERROR(fold_on(programme, m, position, timeline, from_start));
  return m;
}

Status AsOfModels::fold_on(const std::string& programme, Loaded& m, std::uint64_t position, BudgetTimeline* timeline,
                           bool skip_kept) {
  auto t0 = std::chrono::steady_clock::now();
  ReadModels& rm = *m.models;
  auto latest = store_.snapshot_before(programme, ~0ull);
  if (!latest) return latest.status();
  std::uint64_t known = *latest ? (*latest)->count : 0;
  // A fold stops at each snapshot to keep (the store is not written from
  // inside its own scan), keeps it and goes on.
  static const std::string kKeep = "asof_keep";
  for (;;) {
    bool stopped = false;
    Status st = store_.scan_programme(programme, rm.position() + 1, position, [&](const EventView& e) {
      rm.apply(e);
      if (timeline) timeline->observe(rm, e);
      ++m.count;
      ++stats_.events_folded;
      // The spacing follows the programme's size, which is at least the
      // count of its latest snapshot (a fold to an earlier point must not
      // keep the close snapshots of a young programme).
      known = std::max(known, m.count);
      if (options_.write && m.count % spacing(known) == 0) {
        stopped = true;
        return Status::make(Kind::unavailable, kKeep, "");
      }
      return Status::ok();
    });
    if (!stopped) {
      PL_RETURN_IF_ERROR(st);
      break;
    }
    // A snapshot not kept (a read-only store, a full disk) costs the next
    // answer time, not this one its answer. A timeline's first fold crosses
    // the snapshots kept before (at every start of `ledger serve`): those are
    // not written again (one that fails its check when loaded is, by the
    // next answer that folds past it).
    bool kept = false;
    if (skip_kept) {
      auto e = store_.snapshot_before(programme, rm.position());
      if (!e) return e.status();
      kept = *e && (*e)->position == rm.position() && (*e)->count == m.count;
    }
    if (!kept)
      if (Status ks = keep(programme, m.count, spacing(known), rm); !ks) ++stats_.keep_failures;
  }
  if (timeline) timeline->cover(position);
  stats_.fold_us += us_since(t0);
  return Status::ok();
}

Result<std::shared_ptr<const ReadModels>> AsOfModels::at(std::string_view programme, std::uint64_t position) {
  std::lock_guard lock(mu_);
  ++stats_.answers;
  position = std::min(position, store_.head().position);
  auto m = fold_to(std::string(programme), position, false, nullptr);
  if (!m) return m.status();
  std::unique_ptr<ReadModels> rm = std::move(m->models);
  if (rm->position() < position) {
    auto ev = store_.read_one(position);
    if (!ev) return ev.status();
    Hash h{};
    std::memcpy(h.data(), ev->view().hash_bytes().data(), h.size());
    rm->pass(position, ev->view().recorded_at_us(), h);
  }
  return std::shared_ptr<const ReadModels>(std::move(rm));
}

Status AsOfModels::timeline_to(const std::string& programme, std::uint64_t position) {
  auto it = timelines_.find(programme);
  if (it == timelines_.end()) it = timelines_.emplace(programme, std::make_unique<BudgetTimeline>(programme)).first;
  BudgetTimeline& tl = *it->second;
  if (tl.covers() >= position) return Status::ok();
  const std::uint64_t before = tl.records();
  Status st;
  if (tl.covers() == 0) {
    // From the programme's first event: every figure it ever had.
    st = fold_to(programme, position, true, &tl).status();
  } else {
    // From the models where the timeline stopped.
    auto m = fold_to(programme, tl.covers(), false, nullptr);
    st = m ? fold_on(programme, *m, position, &tl, false) : m.status();
  }
  if (!st) {
    // A fold cut short leaves records past what the timeline says it covers:
    // it is dropped, and made again by the next one asked.
    timelines_.erase(it);
    return st;
  }
  stats_.timeline_records += tl.records() - before;
  return Status::ok();
}

Result<const BudgetTimeline*> AsOfModels::timeline_for(std::string_view programme, std::uint64_t position) {
  auto it = timelines_.find(programme);
  if (it == timelines_.end()) {
    // A programme that grew past `every` events since the start gets its
    // timeline once an as-of answer has kept its first snapshot.
    auto e = store_.snapshot_before(programme, ~0ull);
    if (!e) return e.status();
    if (!*e) return static_cast<const BudgetTimeline*>(nullptr);
  }
  if (it == timelines_.end() || it->second->covers() < position) {
    const std::string pid(programme);
    PL_RETURN_IF_ERROR(timeline_to(pid, store_.head().position));
    it = timelines_.find(pid);
  }
  ++stats_.timeline_answers;
  return static_cast<const BudgetTimeline*>(it->second.get());
}

Result<std::optional<BudgetTimeline::Answer>> AsOfModels::budget_at(std::string_view programme,
                                                                    std::uint64_t position) {
  std::lock_guard lock(mu_);
  position = std::min(position, store_.head().position);
  auto tl = timeline_for(programme, position);
  if (!tl) return tl.status();
  if (!*tl) return std::optional<BudgetTimeline::Answer>();
  return std::optional<BudgetTimeline::Answer>((*tl)->at(position));
}

Result<bool> AsOfModels::pairs_at(std::string_view programme, std::uint64_t position, std::int32_t today,
                                  const std::function<bool(const PairLine&)>& keep,
                                  const std::function<void(const BudgetTimeline::PairsAnswer&)>& use) {
  std::lock_guard lock(mu_);
  position = std::min(position, store_.head().position);
  auto tl = timeline_for(programme, position);
  if (!tl) return tl.status();
  if (!*tl) return false;
  use((*tl)->pairs_at(position, today, keep));
  return true;
}

Status AsOfModels::prepare_one(const std::string& programme) {
  std::lock_guard lock(mu_);
  return timeline_to(programme, store_.head().position);
}

Status AsOfModels::prepare(const std::function<void(const std::string&)>& progress) {
  auto programmes = worth_preparing();
  if (!programmes) return programmes.status();
  for (const auto& pid : *programmes) {
    PL_RETURN_IF_ERROR(prepare_one(pid));
    if (progress) progress(pid);
  }
  return Status::ok();
}

Result<std::vector<std::string>> AsOfModels::worth_preparing() const {
  auto sizes = store_.programme_sizes();
  if (!sizes) return sizes.status();
  std::vector<std::string> out;
  for (auto& [pid, n] : *sizes)
    if (n >= options_.every) out.push_back(pid);
  return out;
}

}  // namespace pl
