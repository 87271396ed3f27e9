// Replay: a fold rebuilt from the store, up to a point.
#pragma once

#include <algorithm>
#include <cstdint>

#include "domain/state.h"
#include "log/store.h"

namespace pl {

// The point a read is answered at: after a position, or at a recording time
// (every event recorded at or before it). Zero fields: the head. With both
// set, the earlier of the two.
struct AsOf {
  std::uint64_t position = 0;
  std::int64_t recorded_at_us = 0;
  bool has_time = false;
};

// Folds every event up to `as_of` into a fresh T (T::apply(const EventView&)),
// on the calling thread, and returns it; a position past the head folds up to
// the head. Fails with the error of reading the store (corruption names the
// position). Thread safe as the store's reads are.
template <typename T>
Result<T> replay(const Store& store, const AsOf& as_of = {}) {
  T state;
  // Recorded-at never decreases along positions, so the first event after
  // the time ends the replay.
  static const std::string kStop = "replay_stop";
  auto fold = [&](const EventView& e) {
    if (as_of.has_time && e.recorded_at_us() > as_of.recorded_at_us) return Status::make(Kind::unavailable, kStop, "");
    state.apply(e);
    return Status::ok();
  };
  std::uint64_t end = as_of.position ? std::min(as_of.position, store.head().position) : store.head().position;
  if constexpr (requires { state.reserve(end); }) state.reserve(end);
  // A second thread pays off on long replays only.
  Status st = end > 20'000 ? store.scan_pipelined(1, as_of.position, fold) : store.scan(1, as_of.position, fold);
  if (!st && st.reason() != kStop) return st;
  return state;
}

}  // namespace pl
