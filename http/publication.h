// How far the read models have published, and the callers waiting for a
// position to be published (a command is answered once reads see it).
// Thread-safe: the projector reports, request threads wait.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>

#include "base/status.h"

namespace pl {

class Publication {
 public:
  explicit Publication(std::uint64_t published = 0) : published_(published) {}

  // The position the read models and the live feed have reached.
  std::uint64_t published_position() const;
  // Calls `fn` once the read models cover `position` (at once if they do),
  // with ok; or, if the read models stopped for good before they covered it,
  // with why (at once if they already have). At stop(), those still waiting
  // are called with ok.
  void when_published(std::uint64_t position, std::function<void(const Status&)> fn);
  // Why the read models stopped for good (a failed read of the store), or
  // nullopt while they go on.
  std::optional<Status> publication_failed() const;

  // The projector's reports: the models cover `position`; the models stopped
  // for good (every caller waiting is answered with why).
  void published(std::uint64_t position);
  void failed(const Status& why);
  // Answers every caller still waiting, with ok.
  void stop();

 private:
  mutable std::mutex mu_;
  std::uint64_t published_;
  std::multimap<std::uint64_t, std::function<void(const Status&)>> waiters_;
  std::optional<Status> failed_;
};

}  // namespace pl
