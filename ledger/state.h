// The write-side state: what the writer's decisions are checked against.
// A pure fold over events: apply() is the only way it changes.
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "ledger/envelope.h"

namespace pl {

class State {
 public:
  void apply(const EventView& e);

  std::uint64_t position() const { return position_; }
  std::uint64_t count(fb::Event type) const { return counts_[static_cast<std::size_t>(type)]; }

 private:
  std::uint64_t position_ = 0;
  std::array<std::uint64_t, 256> counts_{};
};

// Builds a finished Payload buffer. `build` adds the event table to the
// builder and returns its offset (e.g. fb::CreateSessionLoggedDirect(b, ...).Union()).
template <typename BuildFn>
std::string make_payload(fb::Event type, BuildFn&& build) {
  flatbuffers::FlatBufferBuilder b(256);
  flatbuffers::Offset<void> ev = build(b);
  b.Finish(fb::CreatePayload(b, type, ev));
  return std::string(reinterpret_cast<const char*>(b.GetBufferPointer()), b.GetSize());
}

}  // namespace pl
