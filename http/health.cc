#include "http/health.h"

#include <spdlog/spdlog.h>

namespace pl {

void Health::mark_unhealthy(const std::string& reason) {
  std::lock_guard lock(mu_);
  if (!unhealthy_) spdlog::error("health: {}", reason);
  unhealthy_ = reason;
}

void Health::clear_unhealthy() {
  std::lock_guard lock(mu_);
  if (unhealthy_) spdlog::info("health: a verify passed; ok again");
  unhealthy_.reset();
}

std::optional<std::string> Health::unhealthy() const {
  std::lock_guard lock(mu_);
  return unhealthy_;
}

}  // namespace pl
