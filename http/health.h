// The service's health as /healthz tells it: a failed read of the store
// (corruption, a storage error) or a failed verify marks it, with why, until
// a verify passes. Thread-safe.
#pragma once

#include <mutex>
#include <optional>
#include <string>

namespace pl {

class Health {
 public:
  // Marks the service unhealthy (the first reason is logged).
  void mark_unhealthy(const std::string& reason);
  // A verify passed: healthy again.
  void clear_unhealthy();
  // Why the service is unhealthy; nullopt while it is healthy.
  std::optional<std::string> unhealthy() const;

 private:
  mutable std::mutex mu_;
  std::optional<std::string> unhealthy_;
};

}  // namespace pl
