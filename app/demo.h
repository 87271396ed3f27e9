// The demonstration programme: a recorded history replayed into a store.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "log/store.h"
#include "log/vault.h"

namespace pl {

struct DemoResult {
  bool loaded = false;  // false: the store already held events; nothing was written
  std::uint64_t steps = 0;
  Head head;
};

// Loads the steps of `file` (scripts/demo/demo.json) into an empty store, each
// recorded at its step's instant: the simulated clock lives here and only
// here. A store that already holds events is left untouched. A step the
// ledger refuses stops the load with that refusal and its step number.
Result<DemoResult> load_demo(Store& store, Vault& vault, const std::string& file,
                             const std::function<void(std::uint64_t done, std::uint64_t total)>& progress = {});

}  // namespace pl
