#include "http/metrics.h"

#include <fmt/format.h>

#include <tuple>

namespace pl {
namespace {
constexpr std::array<double, 10> kBatchBuckets = {1, 2, 4, 8, 16, 32, 64, 128, 512, 4096};

std::string label(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

void render_histogram(std::string& out, const std::string& name, const std::string& labels, const Histogram& h,
                      const double* bounds, std::size_t n) {
  std::uint64_t cumulative = 0;
  std::string sep = labels.empty() ? "" : ",";
  for (std::size_t i = 0; i < n; ++i) {
    cumulative += h.counts[i];
    out += fmt::format("{}_bucket{{{}{}le=\"{}\"}} {}\n", name, labels, sep, bounds[i], cumulative);
  }
  cumulative += h.counts[n];
  out += fmt::format("{}_bucket{{{}{}le=\"+Inf\"}} {}\n", name, labels, sep, cumulative);
  std::string braces = labels.empty() ? "" : "{" + labels + "}";
  out += fmt::format("{}_sum{} {}\n{}_count{} {}\n", name, braces, h.sum, name, braces, h.count);
}
}  // namespace

void Histogram::observe(double v, const double* bounds, std::size_t n) {
  std::size_t i = 0;
  while (i < n && v > bounds[i]) ++i;
  ++counts[i];
  sum += v;
  ++count;
}

void Metrics::request(const std::string& method, const std::string& route, int status, double seconds) {
  std::lock_guard lock(mu_);
  ++requests_[{method, route, status}];
  latency_[route].observe(seconds, Histogram::kSecondsBuckets.data(), Histogram::kSecondsBuckets.size());
}

void Metrics::command(const std::string& outcome) {
  std::lock_guard lock(mu_);
  ++commands_[outcome];
}

void Metrics::commit(std::size_t events) {
  std::lock_guard lock(mu_);
  batch_.observe(static_cast<double>(events), kBatchBuckets.data(), kBatchBuckets.size());
}

std::string Metrics::render() const {
  std::lock_guard lock(mu_);
  std::string out;
  out += "# HELP ledger_http_requests_total HTTP requests by route and status.\n";
  out += "# TYPE ledger_http_requests_total counter\n";
  for (auto& [k, n] : requests_)
    out += fmt::format("ledger_http_requests_total{{method=\"{}\",route=\"{}\",status=\"{}\"}} {}\n",
                       label(std::get<0>(k)), label(std::get<1>(k)), std::get<2>(k), n);
  out += "# HELP ledger_http_request_duration_seconds Time to answer a request, by route.\n";
  out += "# TYPE ledger_http_request_duration_seconds histogram\n";
  for (auto& [route, h] : latency_)
    render_histogram(out, "ledger_http_request_duration_seconds", "route=\"" + label(route) + "\"", h,
                     Histogram::kSecondsBuckets.data(), Histogram::kSecondsBuckets.size());
  out += "# HELP ledger_commands_total Commands by outcome (accepted, replayed, or the refusal code).\n";
  out += "# TYPE ledger_commands_total counter\n";
  for (auto& [outcome, n] : commands_)
    out += fmt::format("ledger_commands_total{{outcome=\"{}\"}} {}\n", label(outcome), n);
  out += "# HELP ledger_commit_batch_events Events per durable commit.\n";
  out += "# TYPE ledger_commit_batch_events histogram\n";
  render_histogram(out, "ledger_commit_batch_events", "", batch_, kBatchBuckets.data(), kBatchBuckets.size());
  out += "# HELP ledger_head_position Position of the last committed event.\n";
  out += "# TYPE ledger_head_position gauge\n";
  out += fmt::format("ledger_head_position {}\n", head_.load());
  out += "# HELP ledger_published_position Position the read models cover.\n";
  out += "# TYPE ledger_published_position gauge\n";
  out += fmt::format("ledger_published_position {}\n", published_.load());
  return out;
}

}  // namespace pl
