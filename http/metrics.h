// Metrics in the Prometheus text format (version 0.0.4).
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <utility>

namespace pl {

class Histogram {
 public:
  static constexpr std::array<double, 12> kSecondsBuckets = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                             0.05,   0.1,   0.25,   0.5,   1,    2.5};
  void observe(double v, const double* bounds, std::size_t n);
  std::array<std::uint64_t, 16> counts{};  // per bucket (not cumulative), last = +Inf
  double sum = 0;
  std::uint64_t count = 0;
};

class Metrics {
 public:
  void request(const std::string& method, const std::string& route, int status, double seconds);
  void command(const std::string& outcome);  // accepted, replayed, or the refusal code
  void commit(std::size_t events);
  void set_head(std::uint64_t position) { head_.store(position); }
  void set_published(std::uint64_t position) { published_.store(position); }
  std::string render() const;

 private:
  mutable std::mutex mu_;
  std::map<std::tuple<std::string, std::string, int>, std::uint64_t> requests_;
  std::map<std::string, Histogram> latency_;  // by route
  std::map<std::string, std::uint64_t> commands_;
  Histogram batch_;
  std::atomic<std::uint64_t> head_{0}, published_{0};
};

}  // namespace pl
