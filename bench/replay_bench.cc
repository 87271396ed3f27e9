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
#include <ctime>
#include <mutex>
#include <random>
#include <string>

#include "domain/decide.h"
#include "history_gen.h"
#include "read/asof.h"
#include "read/projector.h"
#include "render/views_json.h"
#include "writer/writer.h"

using namespace pl;
using Clock = std::chrono::steady_clock;

namespace {

double ms_since(Clock::time_point t) { return std::chrono::duration<double, std::milli>(Clock::now() - t).count(); }

// CPU time of the process or the calling thread: on a shared machine the
// rebuild's wall time says more about the other processes than about it.
double cpu_ms(clockid_t clock) {
  timespec ts{};
  clock_gettime(clock, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}

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
  Vault vault(**store, MasterKey::generate().value());
  WriterOptions wo;
  wo.vault = &vault;
  auto writer = Writer::start(**store, wo);
  if (!writer) return std::fprintf(stderr, "%s\n", writer.status().to_string().c_str()), 1;
  // Three tenths of the events in one large programme (at least 300,000 of a
  // 1M-event history), the rest in programmes of 26 mentees; the large
  // programme's commands are spread between the others', as programmes that
  // run at the same time are.
  const int mentees = 26;
  const std::uint64_t per_mentee = 26, per_programme = 1 + per_mentee * mentees;
  const int big_mentees = static_cast<int>(events * 3 / 10 / per_mentee);
  std::uint64_t small_events = events - std::min<std::uint64_t>(events, 1 + per_mentee * big_mentees);
  int programmes = static_cast<int>((small_events + per_programme - 1) / per_programme);
  std::vector<AnyCommand> big;
  if (big_mentees > 0)
    test::lifecycle_history(programmes, 1, big_mentees, system_now_us(),
                            [&](AnyCommand c) { big.push_back(std::move(c)); });
  std::mutex mu;
  std::condition_variable cv;
  std::uint64_t in_flight = 0, failed = 0, done = 0;
  auto t0 = Clock::now();
  std::uint64_t total = static_cast<std::uint64_t>(programmes) * per_programme + big.size();
  auto submit = [&](AnyCommand c) {
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
  };
  std::size_t next_big = 0, emitted = 0;
  test::lifecycle_history(0, programmes, mentees, system_now_us(), [&](AnyCommand c) {
    submit(std::move(c));
    // After each small programme's commands, its share of the large one's.
    if (++emitted % per_programme == 0) {
      std::size_t until = big.size() * (emitted / per_programme) / static_cast<std::size_t>(programmes);
      for (; next_big < until; ++next_big) submit(std::move(big[next_big]));
    }
  });
  for (; next_big < big.size(); ++next_big) submit(std::move(big[next_big]));
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
  double cpu0 = cpu_ms(CLOCK_PROCESS_CPUTIME_ID), fold0 = cpu_ms(CLOCK_THREAD_CPUTIME_ID);
  auto rm = replay<ReadModels>(s);
  if (!rm) return std::fprintf(stderr, "%s\n", rm.status().to_string().c_str()), 1;
  double replay_ms = ms_since(t0);
  double fold_cpu_ms = cpu_ms(CLOCK_THREAD_CPUTIME_ID) - fold0;
  double reader_cpu_ms = cpu_ms(CLOCK_PROCESS_CPUTIME_ID) - cpu0 - fold_cpu_ms;
  long rss = peak_rss_mb();

  // A budget over the whole ledger, from the rebuilt models.
  t0 = Clock::now();
  std::int64_t net = 0;
  for (auto& [pid, p] : rm->core().programmes()) net += budget(*rm, pid, false).totals.net();
  double budget_ms = ms_since(t0);

  auto percentile = [](std::vector<double> v, double p) {
    std::sort(v.begin(), v.end());
    return v[static_cast<std::size_t>(p * static_cast<double>(v.size() - 1))];
  };
  // As-of, the way it was answered before the programme snapshots: a
  // replay of the whole log up to the middle, for comparison.
  t0 = Clock::now();
  {
    auto at = replay<ReadModels>(s, AsOf{n / 2, 0, false});
    if (!at) return std::fprintf(stderr, "%s\n", at.status().to_string().c_str()), 1;
  }
  double asof_full_ms = ms_since(t0);
  *rm = ReadModels();  // the rebuilt models are not needed any more

  // As-of answers: first what `ledger serve` makes in the background at
  // start (each large programme's budget timeline, and its snapshots), then
  // 100 random (programme, instant) pairs, half of them in the largest
  // programme. For each, the budget view as a user asks it (from the
  // programme's timeline, or for a small programme from its models), and the
  // programme's models as of the instant with the budget from them (what
  // every other view of a programme starts from).
  AsOfModels asof(**store);
  t0 = Clock::now();
  if (Status ps = asof.prepare(); !ps) return std::fprintf(stderr, "%s\n", ps.to_string().c_str()), 1;
  double prepare_ms = ms_since(t0);
  const AsOfStats prepared = asof.stats();
  auto sizes = s.programme_sizes();
  if (!sizes || sizes->empty()) return std::fprintf(stderr, "no programme index\n"), 1;
  std::string largest;
  std::uint64_t largest_n = 0;
  for (auto& [pid, count] : *sizes)
    if (count > largest_n) largest = pid, largest_n = count;
  (*store)->raw_db()->Flush(rocksdb::FlushOptions(), {s.cf_snapshots(), s.cf_programmes()});
  auto sst_bytes = [&](rocksdb::ColumnFamilyHandle* cf) {
    std::uint64_t v = 0;
    s.raw_db()->GetIntProperty(cf, "rocksdb.total-sst-files-size", &v);
    return v;
  };
  std::uint64_t events_bytes = sst_bytes(s.cf_events()), snapshot_bytes = sst_bytes(s.cf_snapshots()),
                index_bytes = sst_bytes(s.cf_programmes());
  auto kept = s.snapshot_list();
  std::size_t snapshots = kept ? kept->size() : 0;
  std::int64_t first_us = s.read_one(1)->view().recorded_at_us(), last_us = s.head().recorded_at_us;
  std::mt19937_64 pick(17);
  std::vector<double> asof_times, asof_big, models_times, models_big, pairs_times, pairs_big;
  std::uint64_t pairs_bytes = 0;
  double budget_text_big_ms = 0, pairs_text_big_ms = 0;  // the largest programme's answers' text alone
  AsOfStats before_pairs = asof.stats();
  double budget_big_ms = 0;
  std::uint64_t mismatches = 0, text_bytes = 0;
  for (int i = 0; i < 100; ++i) {
    const std::string& pid = i % 2 == 0 ? largest : (*sizes)[pick() % sizes->size()].first;
    std::int64_t instant =
        first_us + static_cast<std::int64_t>(pick() % static_cast<std::uint64_t>(last_us - first_us + 1));
    // The budget view.
    auto t1 = Clock::now();
    auto position = s.position_at(instant);
    if (!position) return std::fprintf(stderr, "%s\n", position.status().to_string().c_str()), 1;
    auto view = asof.budget_at(pid, *position);
    if (!view) return std::fprintf(stderr, "%s\n", view.status().to_string().c_str()), 1;
    Budget from_view;
    std::vector<MonthFigure> view_months;
    if (*view) {
      from_view = std::move((*view)->budget);
      view_months = std::move((*view)->months);
    } else {
      auto models = asof.at(pid, *position);
      if (!models) return std::fprintf(stderr, "%s\n", models.status().to_string().c_str()), 1;
      from_view = budget(**models, pid, false);
      view_months = net_invoiced_by_month(**models, pid);
    }
    // The answer's text, as GET /v1/programmes/{pid}/budget?as_of= sends it.
    auto t_text = Clock::now();
    text_bytes += budget_text(from_view, view_months, *position).size();
    if (i % 2 == 0) budget_text_big_ms += ms_since(t_text);
    asof_times.push_back(ms_since(t1));
    const std::size_t months = view_months.size();
    if (i % 2 == 0) asof_big.push_back(asof_times.back());
    // The pairs view, as GET /v1/programmes/{pid}/pairs?as_of= sends it (from
    // the programme's timeline, or for a small programme from its models).
    const std::int32_t today = day_of(instant);
    t1 = Clock::now();
    position = s.position_at(instant);
    if (!position) return std::fprintf(stderr, "%s\n", position.status().to_string().c_str()), 1;
    std::string pairs_view;
    auto answered = asof.pairs_at(pid, *position, today, {}, [&](const BudgetTimeline::PairsAnswer& a) {
      auto t_pairs_text = Clock::now();
      pairs_view = pairs_text(a.lines, *position, today);
      if (i % 2 == 0) pairs_text_big_ms += ms_since(t_pairs_text);
    });
    if (!answered) return std::fprintf(stderr, "%s\n", answered.status().to_string().c_str()), 1;
    if (!*answered) {
      auto models = asof.at(pid, *position);
      if (!models) return std::fprintf(stderr, "%s\n", models.status().to_string().c_str()), 1;
      pairs_view = pairs_text(pair_lines(**models, pid, today), *position, today);
    }
    pairs_times.push_back(ms_since(t1));
    if (i % 2 == 0) pairs_big.push_back(pairs_times.back());
    pairs_bytes += pairs_view.size();
    // The models, and the budget from them.
    t1 = Clock::now();
    position = s.position_at(instant);
    auto models = asof.at(pid, *position);
    if (!models) return std::fprintf(stderr, "%s\n", models.status().to_string().c_str()), 1;
    auto t_budget = Clock::now();
    Budget b = budget(**models, pid, false);
    if (i % 2 == 0) budget_big_ms += ms_since(t_budget);
    models_times.push_back(ms_since(t1));
    if (i % 2 == 0) models_big.push_back(models_times.back());
    // The two agree (the tests check it at every position; here, at scale).
    mismatches += !(b.totals == from_view.totals && b.mentees.size() == from_view.mentees.size() &&
                    b.eu_share_cents == from_view.eu_share_cents) +
                  (months != net_invoiced_by_month(**models, pid).size()) +
                  (pairs_view != pairs_text(pair_lines(**models, pid, today), *position, today));
    net += b.totals.net() == -1;  // keep the budget from being optimised away
  }
  if (mismatches)
    return std::fprintf(stderr, "%llu budget or pairs views differ from their models'\n",
                        (unsigned long long)mismatches),
           1;
  AsOfStats st_asof = asof.stats();
  // Where the time of the largest programme's answers goes, on average.
  double loads = static_cast<double>(st_asof.snapshots_loaded - before_pairs.snapshots_loaded);
  double load_ms = static_cast<double>(st_asof.load_us - before_pairs.load_us) / 1000,
         fold_ms = static_cast<double>(st_asof.fold_us - before_pairs.fold_us) / 1000,
         folded = static_cast<double>(st_asof.events_folded - before_pairs.events_folded);

  // Proofs, as the audit endpoints make them: 1,000 inclusion proofs of
  // random positions in the whole tree, 1,000 consistency proofs from a
  // random size to the whole tree; the time of each, in milliseconds.
  std::mt19937_64 rng(6962);
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
  std::printf("  CPU: folding thread %.0f ms, reading thread %.0f ms (two idle cores: %.0f events/s)\n", fold_cpu_ms,
              reader_cpu_ms, static_cast<double>(n) / (std::max(fold_cpu_ms, reader_cpu_ms) / 1000));
  std::printf("peak resident memory   %12ld MB\n", rss);
  std::printf("budget of every programme %9.1f ms  (net %lld cents)\n", budget_ms, static_cast<long long>(net));
  std::printf("as-of, whole-log replay to the middle %8.1f ms\n", asof_full_ms);
  std::printf("as-of prepared         %12.0f ms  (timelines and %zu snapshots, %llu events folded)\n", prepare_ms,
              snapshots, static_cast<unsigned long long>(prepared.events_folded));
  std::printf("largest programme      %12llu events (%s)\n", static_cast<unsigned long long>(largest_n),
              largest.c_str());
  std::printf("space: events %llu MB, snapshots %llu MB (%.1f%%), programme index %llu MB\n",
              static_cast<unsigned long long>(events_bytes >> 20),
              static_cast<unsigned long long>(snapshot_bytes >> 20),
              events_bytes ? 100.0 * static_cast<double>(snapshot_bytes) / static_cast<double>(events_bytes) : 0.0,
              static_cast<unsigned long long>(index_bytes >> 20));
  std::printf("budget timelines       %12llu records (%llu budget views answered from them; %.1f MB of answers)\n",
              static_cast<unsigned long long>(st_asof.timeline_records),
              static_cast<unsigned long long>(st_asof.timeline_answers), static_cast<double>(text_bytes) / 1e6);
  std::printf(
      "as-of budget view, 100 random pairs p50 %.2f ms, p99 %.2f ms, max %.2f ms (largest programme: p50 %.2f, max "
      "%.2f)\n",
      percentile(asof_times, 0.5), percentile(asof_times, 0.99), percentile(asof_times, 1.0), percentile(asof_big, 0.5),
      percentile(asof_big, 1.0));
  std::printf(
      "as-of pairs view, same pairs        p50 %.2f ms, p99 %.2f ms, max %.2f ms (largest programme: p50 %.2f, max "
      "%.2f; %.1f MB of answers)\n",
      percentile(pairs_times, 0.5), percentile(pairs_times, 0.99), percentile(pairs_times, 1.0),
      percentile(pairs_big, 0.5), percentile(pairs_big, 1.0), static_cast<double>(pairs_bytes) / 1e6);
  std::printf("  the largest programme's answers' text alone: budget %.2f ms, pairs %.2f ms each (mean)\n",
              budget_text_big_ms / 50, pairs_text_big_ms / 50);
  std::printf(
      "as-of models + budget, same pairs p50 %.2f ms, p99 %.2f ms, max %.2f ms (largest programme: p50 %.2f, max "
      "%.2f)\n",
      percentile(models_times, 0.5), percentile(models_times, 0.99), percentile(models_times, 1.0),
      percentile(models_big, 0.5), percentile(models_big, 1.0));
  std::printf(
      "  where the models' time goes: %.0f snapshot loads, %.1f ms each; %.0f events folded, %.2f us each; "
      "budget of the largest programme %.1f ms each\n",
      loads, loads > 0 ? load_ms / loads : 0.0, folded, folded > 0 ? 1000 * fold_ms / folded : 0.0, budget_big_ms / 50);
  std::printf("open (tree back-fill if any) %6.0f ms\n", open_ms);
  std::printf("inclusion proof        p50 %.3f ms, p99 %.3f ms, max %.3f ms\n", percentile(incl, 0.5),
              percentile(incl, 0.99), percentile(incl, 1.0));
  std::printf("consistency proof      p50 %.3f ms, p99 %.3f ms, max %.3f ms\n", percentile(cons, 0.5),
              percentile(cons, 0.99), percentile(cons, 1.0));
  std::printf(
      "{\"events\": %llu, \"decode_eps\": %.0f, \"replay_eps\": %.0f, \"replay_peak_rss_mb\": %ld, "
      "\"asof_ms\": %.1f, \"asof_p50_ms\": %.2f, \"asof_p99_ms\": %.2f, \"asof_models_p50_ms\": %.2f, "
      "\"asof_pairs_p50_ms\": %.2f, \"asof_pairs_p99_ms\": %.2f, "
      "\"asof_models_p99_ms\": %.2f, \"asof_full_replay_ms\": %.1f, "
      "\"budget_query_ms\": %.1f, \"inclusion_proof_p99_ms\": %.3f, "
      "\"consistency_proof_p99_ms\": %.3f, \"open_ms\": %.0f}\n",
      static_cast<unsigned long long>(n), decode_eps, replay_eps, rss, percentile(asof_times, 1.0),
      percentile(asof_times, 0.5), percentile(asof_times, 0.99), percentile(models_times, 0.5),
      percentile(pairs_times, 0.5), percentile(pairs_times, 0.99), percentile(models_times, 0.99), asof_full_ms,
      budget_ms, percentile(incl, 0.99), percentile(cons, 0.99), open_ms);
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
