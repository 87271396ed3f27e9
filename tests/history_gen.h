// Seeded generators of programme histories, for the property tests and the
// replay benchmark.
#pragma once

#include <cstdint>
#include <random>
#include <string>

#include "domain/commands.h"

namespace pl::test {

// Random commands for a random history: several programmes, valid and
// invalid commands mixed, voids, cancellations, credit notes, terminations.
// Each command is chosen against the current State so that most of them are
// plausible; a share are deliberately wrong (unknown ids, past the caps,
// outside the period, overpayments) and must be refused.
class RandomHistory {
 public:
  explicit RandomHistory(std::uint64_t seed, int invalid_percent = 20);
  // The next command, given the state the writer holds now and its clock.
  AnyCommand next(const State& state, std::int64_t now_us);

 private:
  std::int64_t pick(std::int64_t lo, std::int64_t hi);  // inclusive
  bool chance(int percent);
  template <typename M>
  const typename M::mapped_type* any(const M& m);
  std::string fresh(const char* prefix);
  Rules rules();

  std::mt19937_64 rng_;
  int invalid_percent_;
  std::uint64_t counter_ = 0;
};

// A valid history of `programmes` programmes of `mentees` mentees each, every
// pair run to completion: sessions up to the hour cap, a report, invoices up
// to the agreed fee, payments. About 27 + 26·(~26) events per programme of 26.
// Calls `emit` with each command in order.
// Programmes are numbered from `first`.
template <typename Emit>
void lifecycle_history(int first, int programmes, int mentees, std::int64_t base_us, Emit&& emit);

Rules lifecycle_rules(std::int64_t deadline_us);

}  // namespace pl::test

#include "history_gen_inl.h"
