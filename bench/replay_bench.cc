// Replay: the full rebuild rate of every read model over a synthetic history
// of many programmes, the resident memory it takes, and as-of answers.
//
//   bench_replay build   --dir DIR [--events N]   writes the history (once)
//   bench_replay measure --dir DIR                 rebuilds, prints a table and one JSON line
//
// The two steps run as two processes so that the memory figure is that of a
// rebuild alone, not of writing the history.
#include <rocksdb/db.h>
#include <sys/resource.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <random>
#include <string>

#include "history_gen.h"
#include "ledger/decide.h"
#include "ledger/writer.h"
#include "projections/projector.h"

using namespace pl;
using Clock = std::chrono::steady_clock;

namespace {

double ms_since(Clock::time_point t) { return std::chrono::duration<double, std::milli>(Clock::now() - t).count(); }

long peak_rss_mb() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss / 1024;  // kilobytes on Linux
}

int build(const std::string& dir, std::uint64_t events) {
  StoreOptions so;
  so.sync = false;  // building the fixture; durability is measured by the append benchmark
  auto store = Store::open(dir, so);
  if (!store) return std::fprintf(stderr, "%s\n", store.status().to_string().c_str()), 1;
  if ((*store)->head().position >= events) {
    std::printf("history already built: %llu events\n", static_cast<unsigned long long>((*store)->head().position));
    return 0;
  }
  if ((*store)->head().position != 0)
    return std::fprintf(stderr, "%s holds a shorter history; remove it\n", dir.c_str()), 1;
  auto writer = Writer::start(**store);
  if (!writer) return std::fprintf(stderr, "%s\n", writer.status().to_string().c_str()), 1;
  const int mentees = 26;
  const std::uint64_t per_programme = 1 + 26ull * mentees;
  int programmes = static_cast<int>((events + per_programme - 1) / per_programme);
  std::mutex mu;
  std::condition_variable cv;
  std::uint64_t in_flight = 0, failed = 0, done = 0;
  auto t0 = Clock::now();
  std::uint64_t total = static_cast<std::uint64_t>(programmes) * per_programme;
  test::lifecycle_history(0, programmes, mentees, system_now_us(), [&](AnyCommand c) {
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return in_flight < 8192; });
    ++in_flight;
    lock.unlock();
    (*writer)->submit(make_command(std::move(c), {"bench", "coordinator"}), [&](const Result<CommandOutcome>& r) {
      std::lock_guard g(mu);
      --in_flight;
      ++done;
      if (!r) {
        if (failed++ == 0) std::fprintf(stderr, "refused: %s\n", r.status().to_string().c_str());
      }
      if (done % 100000 == 0)
        std::fprintf(stderr, "  %llu / %llu commands\n", (unsigned long long)done, (unsigned long long)total);
      cv.notify_all();
    });
  });
  (*writer)->stop();
  // Leave the history in sorted files, as a ledger that has run for a while
  // would be, rather than in a write-ahead log to be replayed at every open.
  if (Status st = (*store)->flush(); !st) return std::fprintf(stderr, "%s\n", st.to_string().c_str()), 1;
  (*store)->raw_db()->CompactRange(rocksdb::CompactRangeOptions(), (*store)->cf_events(), nullptr, nullptr);
  if (failed) return std::fprintf(stderr, "%llu commands refused\n", static_cast<unsigned long long>(failed)), 1;
  std::printf("built %llu events in %.1f s\n", static_cast<unsigned long long>((*store)->head().position),
              ms_since(t0) / 1000);
  return 0;
}

int measure(const std::string& dir) {
  // Opened for writing: a history built before the Merkle tree gets it
  // back-filled here, once (timed).
  auto tb = Clock::now();
  auto store = Store::open(dir);
  if (!store) return std::fprintf(stderr, "%s\n", store.status().to_string().c_str()), 1;
  double open_ms = ms_since(tb);
  const Store& s = **store;
  std::uint64_t n = s.head().position;

  // The floor: iterate and decode (verify) every envelope, fold nothing.
  auto t0 = Clock::now();
  std::uint64_t seen = 0;
  Status st = s.scan(1, 0, [&](const EventView& e) {
    seen += e.position() != 0;
    return Status::ok();
  });
  if (!st) return std::fprintf(stderr, "%s\n", st.to_string().c_str()), 1;
  double decode_ms = ms_since(t0);
  t0 = Clock::now();
  st = s.scan_pipelined(1, 0, [&](const EventView& e) {
    seen += e.position() != 0;
    return Status::ok();
  });
  if (!st) return std::fprintf(stderr, "%s\n", st.to_string().c_str()), 1;
  double pipelined_ms = ms_since(t0);

  // The full rebuild of every read model.
  t0 = Clock::now();
  auto rm = replay<ReadModels>(s);
  if (!rm) return std::fprintf(stderr, "%s\n", rm.status().to_string().c_str()), 1;
  double replay_ms = ms_since(t0);
  long rss = peak_rss_mb();

  // A budget over the whole ledger, from the rebuilt models.
  t0 = Clock::now();
  std::int64_t net = 0;
  for (auto& [pid, p] : rm->core().programmes()) net += budget(*rm, pid, false).totals.net();
  double budget_ms = ms_since(t0);

  // As-of answers at a quarter, half and three quarters of the ledger.
  double asof_max = 0;
  for (int q = 1; q <= 3; ++q) {
    t0 = Clock::now();
    auto at = replay<ReadModels>(s, AsOf{n * static_cast<std::uint64_t>(q) / 4, 0, false});
    if (!at) return std::fprintf(stderr, "%s\n", at.status().to_string().c_str()), 1;
    asof_max = std::max(asof_max, ms_since(t0));
  }

  // Proofs, as the audit endpoints make them: 1,000 inclusion proofs of
  // random positions in the whole tree, 1,000 consistency proofs from a
  // random size to the whole tree; the time of each, in milliseconds.
  std::mt19937_64 rng(6962);
  auto percentile = [](std::vector<double> v, double p) {
    std::sort(v.begin(), v.end());
    return v[static_cast<std::size_t>(p * static_cast<double>(v.size() - 1))];
  };
  std::vector<double> incl, cons;
  for (int i = 0; i < 1000 && n > 1; ++i) {
    std::uint64_t pos = rng() % n + 1, from = rng() % (n - 1) + 1;
    auto t1 = Clock::now();
    auto ip = s.inclusion_proof(pos - 1, n);
    incl.push_back(ms_since(t1));
    t1 = Clock::now();
    auto cp = s.consistency_proof(from, n);
    cons.push_back(ms_since(t1));
    if (!ip || !cp)
      return std::fprintf(stderr, "proof: %s\n", (!ip ? ip.status() : cp.status()).to_string().c_str()), 1;
  }
  if (incl.empty()) incl.push_back(0), cons.push_back(0);

  double replay_eps = static_cast<double>(n) / (replay_ms / 1000);
  double decode_eps = static_cast<double>(seen) / (decode_ms / 1000);
  std::printf("events                 %12llu\n", static_cast<unsigned long long>(n));
  std::printf("decode only            %12.0f events/s\n", decode_eps);
  std::printf("read+verify, 2 threads %12.0f events/s\n", static_cast<double>(n) / (pipelined_ms / 1000));
  std::printf("rebuild, every model   %12.0f events/s  (%.0f ms)\n", replay_eps, replay_ms);
  std::printf("peak resident memory   %12ld MB\n", rss);
  std::printf("budget of every programme %9.1f ms  (net %lld cents)\n", budget_ms, static_cast<long long>(net));
  std::printf("as-of, slowest of 3    %12.1f ms\n", asof_max);
  std::printf("open (tree back-fill if any) %6.0f ms\n", open_ms);
  std::printf("inclusion proof        p50 %.3f ms, p99 %.3f ms, max %.3f ms\n", percentile(incl, 0.5),
              percentile(incl, 0.99), percentile(incl, 1.0));
  std::printf("consistency proof      p50 %.3f ms, p99 %.3f ms, max %.3f ms\n", percentile(cons, 0.5),
              percentile(cons, 0.99), percentile(cons, 1.0));
  std::printf(
      "{\"events\": %llu, \"decode_eps\": %.0f, \"replay_eps\": %.0f, \"replay_peak_rss_mb\": %ld, "
      "\"asof_ms\": %.1f, \"budget_query_ms\": %.1f, \"inclusion_proof_p99_ms\": %.3f, "
      "\"consistency_proof_p99_ms\": %.3f, \"open_ms\": %.0f}\n",
      static_cast<unsigned long long>(n), decode_eps, replay_eps, rss, asof_max, budget_ms, percentile(incl, 0.99),
      percentile(cons, 0.99), open_ms);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string mode = argc > 1 ? argv[1] : "";
  std::string dir;
  std::uint64_t events = 1'000'000;
  for (int i = 2; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--dir"))
      dir = argv[i + 1];
    else if (!std::strcmp(argv[i], "--events"))
      events = std::strtoull(argv[i + 1], nullptr, 10);
  }
  if (dir.empty() || (mode != "build" && mode != "measure")) {
    std::fprintf(stderr, "usage: bench_replay build|measure --dir DIR [--events N]\n");
    return 2;
  }
  return mode == "build" ? build(dir, events) : measure(dir);
}
