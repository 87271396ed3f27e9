#include "http/publication.h"

#include <algorithm>
#include <vector>

namespace pl {

void Publication::published(std::uint64_t position) {
  std::vector<std::function<void(const Status&)>> ready;
  {
    std::lock_guard lock(mu_);
    published_ = std::max(published_, position);
    auto end = waiters_.upper_bound(published_);
    for (auto it = waiters_.begin(); it != end; ++it) ready.push_back(std::move(it->second));
    waiters_.erase(waiters_.begin(), end);
  }
  for (auto& fn : ready) fn(Status::ok());
}

void Publication::failed(const Status& why) {
  std::multimap<std::uint64_t, std::function<void(const Status&)>> left;
  {
    std::lock_guard lock(mu_);
    failed_ = why;
    left.swap(waiters_);
  }
  for (auto& [pos, fn] : left) fn(why);
}

void Publication::stop() {
  std::multimap<std::uint64_t, std::function<void(const Status&)>> left;
  {
    std::lock_guard lock(mu_);
    left.swap(waiters_);
  }
  for (auto& [pos, fn] : left) fn(Status::ok());
}

std::optional<Status> Publication::publication_failed() const {
  std::lock_guard lock(mu_);
  return failed_;
}

void Publication::when_published(std::uint64_t position, std::function<void(const Status&)> fn) {
  Status why = Status::ok();
  {
    std::lock_guard lock(mu_);
    if (published_ < position) {
      if (!failed_) {
        waiters_.emplace(position, std::move(fn));
        return;
      }
      why = *failed_;
    }
  }
  fn(why);
}

std::uint64_t Publication::published_position() const {
  std::lock_guard lock(mu_);
  return published_;
}

}  // namespace pl
