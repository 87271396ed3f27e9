#include "ledger/state.h"

namespace pl {

void State::apply(const EventView& e) {
  position_ = e.position();
  ++counts_[static_cast<std::size_t>(e.type())];
}

}  // namespace pl
