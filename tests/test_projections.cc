// The read models: incremental == rebuild == as-of, the invariants that make
// the figures reconcile, checkpoints, snapshots under concurrent writing, and
// a programme's as-of models against a replay of the whole log.
#include <doctest/doctest.h>

#include <atomic>
#include <cstdio>
#include <future>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "answer_checks.h"
#include "app/demo.h"
#include "base/build_paths.h"
#include "base/dates.h"
#include "domain/decide.h"
#include "fixtures.h"
#include "history_gen.h"
#include "http/service.h"
#include "read/asof.h"
#include "read/projector.h"
#include "render/sample_json.h"
#include "render/views_json.h"
#include "writer/writer.h"

using namespace pl;
using test::check_budget;
using test::check_caps;
using test::pairs_of_models;
using test::parsed;
using test::read_back;

namespace {

constexpr std::int64_t kStart = 1546300800LL * 1000000;  // 2019-01-01T00:00:00Z

// A store, its writer and its projector, with a clock that moves 37 minutes
// per commit so that a seed always gives the same history.
struct Ledger {
  std::string dir;
  std::unique_ptr<Store> store;
  std::unique_ptr<Projector> projector;
  std::unique_ptr<Writer> writer;
  Vault* vault = nullptr;
  std::atomic<std::int64_t> now{kStart};

  explicit Ledger(std::string d, ProjectorOptions po = {}) : dir(std::move(d)) { open(std::move(po)); }
  void open(ProjectorOptions po = {}) {
    StoreOptions so;
    so.sync = false;
    auto s = Store::open(dir, so);
    REQUIRE_MESSAGE(s.is_ok(), s.status().to_string());
    store = std::move(s).value();
    vault = test::test_vault(*store);
    po.vault = vault;
    auto p = Projector::start(*store, std::move(po));
    REQUIRE_MESSAGE(p.is_ok(), p.status().to_string());
    projector = std::move(p).value();
    WriterOptions wo;
    wo.vault = vault;
    wo.clock = [this] { return now.fetch_add(37LL * 60 * 1000000); };
    // The envelopes are handed over as the service hands them, so every
    // history below is folded from them and compared with a rebuild.
    wo.on_commit = [this](const State&, Committed& c) { projector->notify(c.first, std::move(c.envelopes)); };
    auto w = Writer::start(*store, wo);
    REQUIRE_MESSAGE(w.is_ok(), w.status().to_string());
    writer = std::move(w).value();
  }
  void close() {
    writer.reset();
    projector.reset();
    store.reset();
  }
  bool run(AnyCommand c, Actor actor = {"tester", "coordinator"}) {
    return writer->execute(make_command(std::move(c), std::move(actor))).is_ok();
  }
  // The published read models once they cover the head.
  std::shared_ptr<const ReadModels> settled() {
    REQUIRE(projector->wait_for(store->head().position, std::chrono::seconds(10)));
    return projector->snapshot();
  }
};

std::string bytes_of(const ReadModels& rm) { return archive_bytes(rm); }

std::string replayed(const Store& store, AsOf at = {}) {
  auto rm = replay<ReadModels>(store, at);
  REQUIRE_MESSAGE(rm.is_ok(), rm.status().to_string());
  return bytes_of(*rm);
}

// The contribution of the event at `position` to `figure`, worked out from the
// event itself (and the entity it names), independently of the projection.
std::int64_t contribution(const Store& store, const ReadModels& rm, const std::string& figure, std::uint64_t position) {
  auto ev = store.read_one(position);
  REQUIRE(ev.is_ok());
  EventView e = ev->view();
  auto invoice = [&](const flatbuffers::String* id) { return rm.core().invoices().at(id->str()); };
  if (figure == "agreed") {
    if (e.type() == fb::Event::PairAssigned) return e.as<fb::PairAssigned>()->agreed_fee_cents();
    if (e.type() == fb::Event::PairTerminated)
      return -rm.core().pairs().at(e.as<fb::PairTerminated>()->pair_id()->str()).agreed_fee_cents;
  } else if (figure == "invoiced") {
    if (e.type() == fb::Event::InvoiceIssued) return e.as<fb::InvoiceIssued>()->net_cents();
    if (e.type() == fb::Event::InvoiceCancelled) return -invoice(e.as<fb::InvoiceCancelled>()->invoice_id()).net_cents;
  } else if (figure == "credited") {
    if (e.type() == fb::Event::CreditNoteIssued) return e.as<fb::CreditNoteIssued>()->amount_cents();
    if (e.type() == fb::Event::InvoiceCancelled)
      return -invoice(e.as<fb::InvoiceCancelled>()->invoice_id()).credited_cents;
  } else if (figure == "paid") {
    if (e.type() == fb::Event::InvoicePaid) return e.as<fb::InvoicePaid>()->amount_cents();
  }
  FAIL("event " << position << " (" << e.type_name() << ") listed under " << figure);
  return 0;
}

void check_explained(const Store& store, const ReadModels& rm, const Figures& f, const Explain& ex) {
  auto check = [&](const char* figure, std::int64_t value, const std::vector<Entry>& entries) {
    std::int64_t sum = 0;
    for (auto& en : entries) {
      CHECK(en.cents == contribution(store, rm, figure, en.position));
      sum += en.cents;
    }
    CHECK_MESSAGE(sum == value, figure);
  };
  check("agreed", f.agreed, ex.agreed);
  check("invoiced", f.invoiced, ex.invoiced);
  check("credited", f.credited, ex.credited);
  check("paid", f.paid, ex.paid);
}

// The invariants every history must keep.
void check_invariants(const Store& store, const ReadModels& rm) {
  const State& s = rm.core();
  for (auto& [id, m] : s.mentees()) {
    const ProgrammeState* p = State::find(s.programmes(), m.programme_id);
    REQUIRE(p);
    CHECK(m.minutes_used <= p->rules.hour_cap_minutes);
    CHECK(m.net_invoiced_cents <= p->rules.fee_cap_cents);
    // A mentee's total is the sum of its pairs, and of the sessions not voided.
    std::int64_t pairs_minutes = 0, sessions_minutes = 0, pairs_net = 0;
    if (auto* pairs = State::find(rm.pairs_of_mentee(), id))
      for (auto& pid : *pairs) {
        pairs_minutes += s.pairs().at(pid).minutes_used;
        pairs_net += s.pairs().at(pid).net_invoiced_cents;
        for (auto& row : s.pairs().at(pid).sessions)
          if (!row.voided()) sessions_minutes += row.minutes;
      }
    CHECK(m.minutes_used == pairs_minutes);
    CHECK(m.minutes_used == sessions_minutes);
    CHECK(m.net_invoiced_cents == pairs_net);
    BudgetLine line = mentee_budget(rm, m, true);
    CHECK(line.f.net() == m.net_invoiced_cents);
    CHECK(line.f.agreed == m.agreed_cents);
    check_explained(store, rm, line.f, line.explain);
  }
  for (auto& [pid, prog] : s.programmes()) {
    Budget b = budget(rm, pid, true);
    Figures mentees, mentors, countries;
    std::int64_t mentee_eu = 0;
    for (auto& l : b.mentees) mentees += l.f, mentee_eu += l.eu_share_cents;
    for (auto& l : b.mentors) mentors += l.f;
    for (auto& l : b.countries) countries += l.f;
    CHECK(mentees == b.totals);
    CHECK(mentors == b.totals);
    CHECK(countries == b.totals);
    CHECK(b.eu_share_cents + b.own_share_cents == b.totals.net());
    CHECK(b.mentee_eu_share_sum_cents == mentee_eu);
    CHECK(b.rounding_difference_cents >= 0);
    CHECK(b.rounding_difference_cents <= static_cast<std::int64_t>(b.mentees.size()));
    check_explained(store, rm, b.totals, b.explain);
    // Hours by every key add up to the same total (topics aside: a session
    // may have several).
    std::int64_t total = -1;
    for (HoursBy by :
         {HoursBy::mentee, HoursBy::mentor, HoursBy::pair, HoursBy::month, HoursBy::mode, HoursBy::format}) {
      std::int64_t sum = 0;
      for (auto& g : hours(rm, pid, by)) sum += g.minutes;
      if (total < 0) total = sum;
      CHECK(sum == total);
    }
  }
}

}  // namespace

TEST_CASE("1,000 random histories: incremental == rebuild == as-of, and the invariants hold") {
  int histories = 1000;
  if (const char* n = std::getenv("LEDGER_HISTORIES")) histories = std::atoi(n);
  // LEDGER_HISTORY_SHARD=K/N: only the histories whose seed is K modulo N.
  // CTest runs the N shards at once (tests/CMakeLists.txt), which together
  // are every history; each shard checks the totals below on its own.
  int shard = 0, shards = 1;
  if (const char* sh = std::getenv("LEDGER_HISTORY_SHARD")) {
    REQUIRE_MESSAGE((std::sscanf(sh, "%d/%d", &shard, &shards) == 2 && shards > 0 && shard >= 0 && shard < shards),
                    "LEDGER_HISTORY_SHARD is K/N with 0 <= K < N: ", sh);
  }
  std::uint64_t accepted = 0, refused = 0, checkpoints = 0;
  std::array<std::uint64_t, 24> by_type{};
  for (int seed = 1; seed <= histories; ++seed) {
    if (seed % shards != shard) continue;
    CAPTURE(seed);
    test::TempDir dir;
    // One in seven with checkpoints every 25 events, made on the
    // projector's checkpoint thread while the commands go on.
    Ledger l(
        dir.path(),
        ProjectorOptions{
            static_cast<std::uint64_t>(seed % 7 == 0 ? 25 : 0), kReadModelsVersion, {}, std::chrono::milliseconds(0)});
    test::RandomHistory gen(static_cast<std::uint64_t>(seed));
    std::mt19937 rng(static_cast<unsigned>(seed));
    int commands = std::uniform_int_distribution<int>(40, 160)(rng);
    int middle = std::uniform_int_distribution<int>(1, commands - 1)(rng);
    std::string middle_bytes;
    std::uint64_t middle_position = 0;
    std::int64_t middle_time = 0;
    for (int i = 0; i < commands; ++i) {
      auto before = l.settled();
      bool ok = l.run(gen.next(before->core(), l.now.load()));
      (ok ? accepted : refused)++;
      if (i == middle) {
        auto snap = l.settled();
        middle_bytes = bytes_of(*snap);
        middle_position = snap->position();
        middle_time = snap->recorded_at_us();
      }
    }
    auto live = l.settled();
    std::string incremental = bytes_of(*live);
    Head head = l.store->head();
    REQUIRE(live->position() == head.position);
    CHECK(incremental == replayed(*l.store));
    CHECK(incremental == replayed(*l.store, AsOf{head.position, 0, false}));
    CHECK(incremental == replayed(*l.store, AsOf{0, head.recorded_at_us, true}));
    CHECK(middle_bytes == replayed(*l.store, AsOf{middle_position, 0, false}));
    CHECK(middle_bytes == replayed(*l.store, AsOf{0, middle_time, true}));
    check_invariants(*l.store, *live);
    if (seed % 7 == 0) {
      // A checkpoint made while the history ran is the models at its position.
      std::string why;
      auto saved = Projector::load_checkpoint(*l.store, kReadModelsVersion, &why);
      REQUIRE(saved.is_ok());
      if (saved->has_value()) {
        ++checkpoints;
        CHECK(bytes_of(**saved) == replayed(*l.store, AsOf{(*saved)->position(), 0, false}));
      }
    }
    for (std::size_t t = 1; t < by_type.size(); ++t) by_type[t] += live->core().count(static_cast<fb::Event>(t));
  }
  // Every kind of event occurred, corrections included.
  for (std::size_t t = 1; t < by_type.size(); ++t) {
    CAPTURE(event_type_name(static_cast<fb::Event>(t)));
    CHECK(by_type[t] > 0);
  }
  MESSAGE("voids " << by_type[static_cast<std::size_t>(fb::Event::SessionVoided)] << ", cancellations "
                   << by_type[static_cast<std::size_t>(fb::Event::InvoiceCancelled)] << ", credit notes "
                   << by_type[static_cast<std::size_t>(fb::Event::CreditNoteIssued)] << ", terminations "
                   << by_type[static_cast<std::size_t>(fb::Event::PairTerminated)]);
  MESSAGE(histories << " histories, shard " << shard << " of " << shards << ": " << accepted << " commands accepted, "
                    << refused << " refused; " << checkpoints << " checkpoints made while running");
  CHECK(accepted > 0);
  if (histories >= 7 * shards) CHECK(checkpoints > 0);
  CHECK(refused > 0);
}

namespace {
// A store in `dir` with the demonstration programme loaded.
std::unique_ptr<Store> demo_store(const test::TempDir& dir) {
  auto store = std::move(Store::open(dir.path())).value();
  auto r = load_demo(*store, *test::test_vault(*store), pl::build_paths::demo_file);
  REQUIRE_MESSAGE(r.is_ok(), r.status().to_string());
  return store;
}

// Runs the next `count` commands of a history.
void run_history(Ledger& l, test::RandomHistory& gen, int count) {
  for (int i = 0; i < count; ++i) {
    auto snap = l.settled();
    l.run(gen.next(snap->core(), l.now.load()));
  }
}

// A ledger in a fresh directory with the first `count` commands of the random
// history `seed` run on it; `gen` goes on with the same history.
struct HistoryLedger {
  HistoryLedger(std::uint64_t seed, int count) : gen(seed) { run_history(l, gen, count); }
  test::TempDir dir;
  Ledger l{dir.path()};
  test::RandomHistory gen;
};
}  // namespace

TEST_CASE("checkpoint, restart, more events: the same as never restarting") {
  test::TempDir a_dir, b_dir;
  test::RandomHistory ga(77), gb(77);
  Ledger b(b_dir.path());
  run_history(b, gb, 300);

  Ledger a(a_dir.path());
  run_history(a, ga, 150);
  std::uint64_t mid = a.store->head().position;
  std::int64_t clock = a.now.load();
  a.close();  // the projector saves a checkpoint at the head

  a.now = clock;
  a.open();
  CHECK(a.projector->start_info().checkpoint_position == mid);
  CHECK(a.projector->start_info().replayed == 0);
  run_history(a, ga, 150);

  // Same events (the hash chain agrees) and the same read models.
  CHECK(a.store->head().position == b.store->head().position);
  CHECK(a.store->head().hash == b.store->head().hash);
  CHECK(bytes_of(*a.settled()) == bytes_of(*b.settled()));
  CHECK(bytes_of(*a.settled()) == replayed(*a.store));

  // A checkpoint from a restart in the middle: only the rest is replayed.
  std::uint64_t head = a.store->head().position;
  a.close();
  a.open(ProjectorOptions{0, kReadModelsVersion, {}});
  CHECK(a.projector->start_info().checkpoint_position == head);
  CHECK(bytes_of(*a.settled()) == bytes_of(*b.settled()));

  SUBCASE("a new code version rebuilds from position 1") {
    a.close();
    a.open(ProjectorOptions{0, kReadModelsVersion + 1, {}});
    CHECK(a.projector->start_info().checkpoint_position == 0);
    CHECK(a.projector->start_info().checkpoint_ignored.find("version") != std::string::npos);
    CHECK(a.projector->start_info().replayed == head);
    CHECK(bytes_of(*a.settled()) == bytes_of(*b.settled()));
  }
  SUBCASE("a damaged checkpoint is ignored and the models rebuilt") {
    auto value = a.store->get_checkpoint("read_models");
    REQUIRE(value.is_ok());
    REQUIRE(value->has_value());
    std::string damaged = **value;
    damaged.resize(damaged.size() / 2);
    a.close();
    {
      auto s = Store::open(a.dir);
      REQUIRE(s.is_ok());
      REQUIRE((*s)->put_checkpoint("read_models", damaged).is_ok());
    }
    a.open();
    CHECK(a.projector->start_info().checkpoint_position == 0);
    CHECK_FALSE(a.projector->start_info().checkpoint_ignored.empty());
    CHECK(bytes_of(*a.settled()) == bytes_of(*b.settled()));
  }
  SUBCASE("another ledger's checkpoint is ignored") {
    auto value = a.store->get_checkpoint("read_models");
    REQUIRE(value.is_ok());
    test::TempDir c_dir;
    Ledger c(c_dir.path());
    test::RandomHistory gc(78);
    run_history(c, gc, 300);
    std::string expected = bytes_of(*c.settled());
    c.close();
    {
      auto s = Store::open(c.dir);
      REQUIRE(s.is_ok());
      REQUIRE((*s)->put_checkpoint("read_models", **value).is_ok());
    }
    c.open();
    CHECK(c.projector->start_info().checkpoint_position == 0);
    CHECK_FALSE(c.projector->start_info().checkpoint_ignored.empty());
    CHECK(bytes_of(*c.settled()) == expected);
  }
}

TEST_CASE("readers on other threads always see whole commits") {
  test::TempDir dir;
  Ledger l(dir.path(), ProjectorOptions{0, kReadModelsVersion, {}});
  std::atomic<bool> done{false};
  std::atomic<std::uint64_t> snapshots{0}, inconsistent{0}, backwards{0};
  std::set<std::uint64_t> positions_seen;
  std::mutex seen_mu;

  // Each reader reads once before the writers start, and once more after
  // they have settled: the commits in between are what they may catch.
  std::atomic<int> started{0};
  auto reader = [&] {
    std::uint64_t last = 0;
    bool counted = false;
    for (bool final = false;; final = done.load()) {
      auto snap = l.projector->snapshot();
      if (snap->position() < last) ++backwards;
      last = snap->position();
      const State& s = snap->core();
      for (auto& [id, m] : s.mentees()) {
        std::int64_t pairs = 0, rows = 0;
        if (auto* ps = State::find(snap->pairs_of_mentee(), id))
          for (auto& pid : *ps) {
            pairs += s.pairs().at(pid).minutes_used;
            for (auto& r : s.pairs().at(pid).sessions)
              if (!r.voided()) rows += r.minutes;
          }
        if (pairs != m.minutes_used || rows != m.minutes_used) ++inconsistent;
      }
      ++snapshots;
      {
        std::lock_guard lock(seen_mu);
        positions_seen.insert(last);
      }
      if (!counted) {
        counted = true;
        ++started;
      }
      if (final) break;
    }
  };
  std::thread r1(reader), r2(reader);
  while (started.load() < 2) std::this_thread::yield();

  // Two writers, each running whole programmes; sessions land in many groups.
  auto writer = [&](int first) {
    test::lifecycle_history(first, 3, 26, kStart, [&](AnyCommand c) {
      auto out = l.writer->execute(make_command(std::move(c), {"tester", "coordinator"}));
      REQUIRE_MESSAGE(out.is_ok(), out.status().to_string());
    });
  };
  std::thread w1(writer, 0), w2(writer, 3);
  w1.join();
  w2.join();
  auto last = l.settled();
  done = true;
  r1.join();
  r2.join();

  CHECK(inconsistent.load() == 0);
  CHECK(backwards.load() == 0);
  MESSAGE(snapshots.load() << " snapshots read at " << positions_seen.size() << " positions");
  // How many commits the readers catch between those depends on scheduling
  // (a loaded machine groups more commands per commit); the empty ledger and
  // the settled one at least.
  CHECK(positions_seen.count(0) == 1);
  CHECK(positions_seen.count(last->position()) == 1);
  CHECK(last->core().mentees().size() == 6 * 26);
  CHECK(bytes_of(*last) == replayed(*l.store));
  check_invariants(*l.store, *last);
}

TEST_CASE("hand-worked figures of the demonstration programme") {
  test::TempDir dir;
  auto store = demo_store(dir);
  auto rm = replay<ReadModels>(*store);
  REQUIRE(rm.is_ok());
  const State& s = rm->core();

  // tnst-2019-p01 (Algeria Digital Cluster, a mentor established in France:
  // 20% VAT): sessions 90+210+210+210+240+150+90+120+120+150 = 1590 min =
  // 26h30. Agreed 2,800.00; invoices 1,400.00 + 1,400.00 (VAT 280.00 each), a
  // credit note of 155.00 (VAT 31.00) on the second, both paid: net 2,645.00,
  // paid 2,645.00 and VAT 280.00 + 249.00, nothing due, 155.00 left of the
  // agreed fee; EU share at 90% of the net (VAT is not eligible): 2,380.50.
  const PairState& p01 = s.pairs().at("tnst-2019-p01");
  PairRow row01 = pair_row(*rm, p01, parse_date("2020-03-01").value());
  CHECK(p01.minutes_used == 1590);
  CHECK(row01.sessions == 10);
  CHECK(row01.mentee_minutes_left == 1920 - 1590);
  CHECK(row01.invoiced_cents == 280000);
  CHECK(row01.credited_cents == 15500);
  CHECK(row01.paid_cents == 264500);
  CHECK(row01.fee_left_cents == 15500);
  CHECK(p01.last_session_date == parse_date("2019-12-28").value());
  CHECK(row01.status == "completed");
  CHECK(row01.warnings.empty());
  const InvoiceState& second = s.invoices().at("tnst-2019-p01-inv-2");
  CHECK(second.vat_cents == 28000);
  CHECK(second.vat_credited_cents == 3100);
  CHECK(second.vat_paid_cents == 24900);
  CHECK(second.due_cents() == 0);
  CHECK(second.vat_due_cents() == 0);
  BudgetLine algeria = mentee_budget(*rm, s.mentees().at("algeria-digital-cluster"), true);
  CHECK(algeria.f.net() == 264500);
  CHECK(algeria.f.paid == 264500);
  CHECK(algeria.eu_share_cents == 238050);

  // tnst-2019-p02: sessions 210+210+180+90+90+180+90+90 = 1140 min = 19h.
  // Invoices 1,400.00, 10.00 (cancelled) and 1,400.00: invoiced 2,800.00; the
  // explanation lists the cancelled one twice, + then -.
  const PairState& p02 = s.pairs().at("tnst-2019-p02");
  CHECK(p02.minutes_used == 1140);
  BudgetLine egypt = mentee_budget(*rm, s.mentees().at(p02.mentee_id), true);
  CHECK(egypt.f.invoiced == 280000);
  CHECK(egypt.f.paid == 140000);
  std::vector<std::int64_t> amounts;
  for (auto& e : egypt.explain.invoiced) amounts.push_back(e.cents);
  CHECK(amounts == std::vector<std::int64_t>{140000, 1000, -1000, 140000});

  // Beirut Creative Cluster: p07 (210+150+180+180+210 = 930 min) was
  // terminated and p07b followed (3 × 120 = 360 min): 1290 min used, 630
  // left. p07's agreed 3,100.00 no longer counts; p07b's 1,500.00 does.
  const MenteeState& beirut = s.mentees().at("beirut-creative-cluster");
  CHECK(beirut.minutes_used == 1290);
  CHECK(beirut.agreed_cents == 150000);
  PairRow row07b = pair_row(*rm, s.pairs().at("tnst-2019-p07b"), parse_date("2020-03-01").value());
  CHECK(row07b.mentee_minutes_left == 630);
  CHECK(row07b.status == "active");
  // As of 2020-03-01: 20 days to the end (2020-03-21) with 10h30 unused, and
  // no session since 2019-12-10 (82 days).
  CHECK(row07b.warnings == std::vector<std::string>{"period_ending_with_hours_unused", "no_session_for_60_days"});
  CHECK(pair_row(*rm, s.pairs().at("tnst-2019-p07"), 0).status == "terminated");

  // As of 2019-09-10: p07 terminated (2019-09-01), p07b not yet assigned (2019-09-18).
  auto before = replay<ReadModels>(*store, AsOf{0, parse_instant("2019-09-10T00:00:00Z").value(), true});
  REQUIRE(before.is_ok());
  CHECK(before->core().mentees().at("beirut-creative-cluster").minutes_used == 930);
  CHECK(State::find(before->core().pairs(), "tnst-2019-p07b") == nullptr);
}

TEST_CASE("session summaries and void reasons are kept in the read models, checkpoints included") {
  test::TempDir dir;
  auto store = demo_store(dir);
  auto rm = replay<ReadModels>(*store);
  REQUIRE(rm.is_ok());
  Vault* vault = test::test_vault(*store);
  rm->set_vault(vault);

  // tnst-2019-p03 logged s02-dup by mistake and voided it.
  auto check = [](const ReadModels& m) {
    const PairState& p03 = m.core().pairs().at("tnst-2019-p03");
    const PairExtra& x = m.pairs().at("tnst-2019-p03");
    REQUIRE(x.sessions.size() == p03.sessions.size());
    std::size_t dup = p03.sessions.size();
    for (std::size_t i = 0; i < p03.sessions.size(); ++i)
      if (p03.sessions[i].id == "s02-dup") dup = i;
    REQUIRE(dup < p03.sessions.size());
    CHECK(p03.sessions[dup].voided());
    CHECK(m.text(x.sessions[dup].summary) == "Logged twice by mistake.");
    CHECK(m.text(x.sessions[dup].void_reason) == "the same session was logged twice");
    CHECK(m.text(x.sessions[0].summary) == "Session 1: worked on the action plan with the cluster manager.");
    CHECK(x.sessions[0].void_reason.empty());

    // The pair's detail is answered from the read models alone.
    nlohmann::json j = pair_json(m, p03, parse_date("2020-03-01").value(), true);
    nlohmann::json s = j["sessions"][dup];
    CHECK(s["id"] == "s02-dup");
    CHECK(s["summary"] == "Logged twice by mistake.");
    CHECK(s["voided"] == true);
    CHECK(s["voided_position"] == p03.sessions[dup].voided_position);
    CHECK(s["void_reason"] == "the same session was logged twice");
    CHECK(j["sessions"][0]["summary"] == "Session 1: worked on the action plan with the cluster manager.");
    CHECK_FALSE(j["sessions"][0].contains("void_reason"));
  };
  check(*rm);

  // As of before the void: the summary is there, no reason yet.
  const SessionState* dup = State::find(rm->core().pairs(), "tnst-2019-p03")->session("s02-dup");
  REQUIRE(dup);
  auto before = replay<ReadModels>(*store, AsOf{dup->voided_position - 1, 0, false});
  REQUIRE(before.is_ok());
  before->set_vault(vault);
  nlohmann::json then = pair_json(*before, before->core().pairs().at("tnst-2019-p03"), 0, true);
  bool seen = false;
  for (auto& s : then["sessions"])
    if (s["id"] == "s02-dup") {
      seen = true;
      CHECK(s["summary"] == "Logged twice by mistake.");
      CHECK(s["voided"] == false);
      CHECK_FALSE(s.contains("void_reason"));
    }
  CHECK(seen);

  // Saved and loaded with a checkpoint, the texts come back.
  REQUIRE(Projector::save_checkpoint(*store, *rm, kReadModelsVersion).is_ok());
  std::string why;
  auto loaded = Projector::load_checkpoint(*store, kReadModelsVersion, &why);
  REQUIRE_MESSAGE(loaded.is_ok(), loaded.status().to_string());
  REQUIRE_MESSAGE(loaded->has_value(), why);
  (*loaded)->set_vault(vault);
  check(**loaded);
  CHECK(bytes_of(**loaded) == bytes_of(*rm));
}

namespace {
// Every view of programme `pid` that an as-of read may ask, from `rm`, as one
// JSON document: what the as-of models of that programme must answer alike.
nlohmann::json programme_views(const ReadModels& rm, const std::string& pid, std::int32_t today) {
  nlohmann::json all = read_models_json(rm, today), out;
  for (auto& p : all["programmes"])
    if (p["id"] == pid) out["programme"] = p;
  out["position"] = all["position"];
  out["recorded_at"] = all["recorded_at"];
  out["budget"] = budget_answer(rm, pid, true);
  for (const char* by : {"mentee", "mentor", "pair", "month", "topic", "mode", "format"})
    out["hours"][by] = hours_answer(rm, pid, *parse_hours_by(by), by, {}, true);
  const ProgrammeIndex* idx = State::find(rm.programmes(), pid);
  if (!idx) return out;
  for (auto& id : idx->pairs)
    if (auto* p = State::find(rm.core().pairs(), id)) out["pairs"].push_back(pair_json(rm, *p, today, true, true));
  for (auto& id : idx->mentees)
    if (auto* m = State::find(rm.core().mentees(), id)) {
      out["mentees"].push_back({mentee_json(rm, *m), caps_json(rm, *m), needs_json(rm, *m)});
      for (auto& s : mentor_suggestions(rm, *m)) out["suggestions"].push_back({m->id, s.mentor->id, s.score});
    }
  for (auto& id : idx->invoices)
    if (auto* inv = State::find(rm.core().invoices(), id)) out["invoices"].push_back(invoice_json(rm, *inv));
  out["samples"] = samples_json(rm, pid, *idx);
  for (auto& id : idx->findings)
    if (auto* f = State::find(rm.findings(), id)) out["findings"].push_back(finding_json(rm, *f));
  for (auto& g : evidence_gaps(rm, pid))
    out["gaps"].push_back({g.step, g.kind, g.entity, g.entity_id, g.session_id, g.pair_id, g.mentee_id, g.position});
  for (auto& e : late_entries(rm, pid, 30))
    out["late"].push_back(
        {e.type, e.entity, e.entity_id, e.pair_id, e.date, e.recorded_at_us, e.days_late, e.position});
  Retention r = retention(rm, pid);
  out["retention"] = {r.last_payment_date, r.retain_until, r.years};
  return out;
}
}  // namespace

TEST_CASE("a programme's as-of models answer every view of it as a replay of the whole log does") {
  int histories = 24;
  std::uint64_t kept = 0, loaded = 0, compared = 0;
  for (int seed = 1; seed <= histories; ++seed) {
    CAPTURE(seed);
    HistoryLedger h(static_cast<std::uint64_t>(seed) * 7919, 120 + seed % 5 * 40);
    Ledger& l = h.l;
    // Snapshots every few events, so that loads, folds on and drops all
    // happen in histories this small.
    AsOfModels asof(*l.store, AsOfOptions{5, 3, kReadModelsVersion, true});
    std::mt19937_64 rng(static_cast<std::uint64_t>(seed));
    const std::uint64_t head = l.store->head().position;
    for (int point = 0; point < 6; ++point) {
      std::uint64_t at = point == 0 ? head : rng() % head + 1;
      CAPTURE(at);
      auto whole = replay<ReadModels>(*l.store, AsOf{at, 0, false});
      REQUIRE(whole.is_ok());
      std::int32_t today = day_of(whole->recorded_at_us());
      for (auto& entry : whole->core().programmes()) {
        const std::string& pid = entry.first;
        CAPTURE(pid);
        auto one = asof.at(pid, at);
        REQUIRE_MESSAGE(one.is_ok(), one.status().to_string());
        CHECK((*one)->position() == at);
        CHECK(programme_views(**one, pid, today).dump() == programme_views(*whole, pid, today).dump());
        ++compared;
      }
    }
    // Each programme keeps at most max_per_programme + 1 snapshots.
    auto list = l.store->snapshot_list();
    REQUIRE(list.is_ok());
    std::map<std::string, int> per;
    for (auto& e : *list) ++per[e.programme];
    for (auto& [pid, n] : per) CHECK(n <= 4);
    kept += asof.stats().snapshots_written;
    loaded += asof.stats().snapshots_loaded;
  }
  MESSAGE(compared << " programme views compared; " << kept << " snapshots kept, " << loaded << " loaded");
  CHECK(kept > 0);
  CHECK(loaded > 0);
}

TEST_CASE("a programme's timeline gives the budget and pairs of the models at every position, and grows with the log") {
  std::uint64_t compared = 0, records = 0, pairs_compared = 0;
  int verified = 0, corrected = 0;
  for (int seed = 1; seed <= 16; ++seed) {
    CAPTURE(seed);
    HistoryLedger h(static_cast<std::uint64_t>(seed) * 104729, 100 + seed % 4 * 30);
    Ledger& l = h.l;
    // Timelines made at this point; the rest of the history extends them
    // when an answer asks past where they stop.
    AsOfModels asof(*l.store, AsOfOptions{5, 3, kReadModelsVersion, true});
    auto programmes = l.store->programme_sizes();
    REQUIRE(programmes.is_ok());
    for (auto& [pid, n] : *programmes) REQUIRE(asof.prepare_one(pid).is_ok());
    // The control of spending, which the random histories do not reach:
    // verifications (some with a deduction), findings and their corrections,
    // a credit note that makes a verification stale, and a verification again.
    int k_inv = 0;
    for (auto& [iid, inv] : l.settled()->core().invoices()) {
      if (inv.cancelled || inv.net_invoiced_cents() < 1000) continue;
      const std::string pid = l.settled()->core().pairs().at(inv.pair_id).programme_id;
      const std::string k = std::to_string(++k_inv);
      const std::int64_t deducted = k_inv % 2 ? 500 : 0;
      verified += l.run(VerifyExpenditure{iid, inv.net_invoiced_cents() - deducted, deducted,
                                          deducted ? "ineligible_cost" : "", "checked", ""},
                        {"carla", "controller"});
      if (k_inv % 3 == 0 && l.run(RecordFinding{pid, "f" + k, "controller", iid, {1}, "calculation", 200, "a sum"},
                                  {"fiona", "controller"}))
        corrected += l.run(ApplyCorrection{"f" + k, "c" + k, 200, "recovered"}, {"carla", "controller"});
      if (k_inv % 4 == 0 && l.run(IssueCreditNote{iid, "cn-v" + k, 300, "discount"})) {
        auto now = l.settled()->core().invoices().at(iid);
        l.run(VerifyExpenditure{iid, now.net_invoiced_cents(), 0, "", "again", ""}, {"carla", "controller"});
      }
      if (k_inv == 12) break;
    }
    run_history(l, h.gen, 100);
    const std::uint64_t head = l.store->head().position;
    // Extended to the head by the first answer past their end (here, outside
    // the scan below: a fold may keep snapshots, which the store does not
    // write from inside its own scan).
    for (auto& [pid, n] : *programmes) REQUIRE(asof.budget_at(pid, head).is_ok());
    // Programmes opened since: their timelines made now.
    auto all = l.store->programme_sizes();
    REQUIRE(all.is_ok());
    for (auto& [pid, n] : *all) REQUIRE(asof.prepare_one(pid).is_ok());
    // Days inside the pairs' periods: a pair's start plus 70 days (sessions
    // may be idle), and ten days before its end (the period ending).
    // The filters below name that pair's mentor and mentee.
    std::pair<std::int32_t, std::int32_t> pair_days{0, 0};
    std::string a_mentee = "-", a_mentor = "-";
    for (auto& [id, p] : l.settled()->core().pairs()) {
      pair_days = {p.start_date + 70, p.end_date - 10};
      a_mentee = p.mentee_id;
      a_mentor = p.mentor_id;
      break;
    }
    // The whole log folded event by event: at each position, each
    // programme's budget and months from the models against the timeline
    // (asked outside the store's scan, which holds the store's read lock:
    // an answer takes the as-of lock, and the as-of lock is taken before
    // the store's, never after).
    ReadModels rm;
    for (std::uint64_t pos = 1; pos <= head; ++pos) {
      Status st = l.store->scan(pos, pos, [&](const EventView& e) {
        rm.apply(e);
        return Status::ok();
      });
      REQUIRE_MESSAGE(st.is_ok(), st.to_string());
      for (auto& entry : rm.core().programmes()) {
        const std::string& pid = entry.first;
        auto a = asof.budget_at(pid, pos);
        REQUIRE_MESSAGE(a.is_ok(), a.status().to_string());
        REQUIRE(a->has_value());
        CHECK((*a)->known);
        std::string months_models, months_timeline;
        for (auto& m : net_invoiced_by_month(rm, pid))
          months_models += m.month + "=" + std::to_string(m.net_invoiced_cents) + ";";
        for (auto& m : (*a)->months) months_timeline += m.month + "=" + std::to_string(m.net_invoiced_cents) + ";";
        CAPTURE(pid);
        CAPTURE(pos);
        CHECK(budget_json((*a)->budget, false).dump() == budget_json(budget(rm, pid, false), false).dump());
        CHECK(months_timeline == months_models);
        // The answer's text from the timeline holds the models' budget.
        const std::vector<MonthFigure> months = net_invoiced_by_month(rm, pid);
        check_budget(parsed(budget_text((*a)->budget, (*a)->months, pos)), budget(rm, pid, false), false, &months, pos);
        ++compared;
        // The pairs view: the timeline's text against the pairs read from
        // the models, on the day of the position and on days inside the
        // pairs' periods (where the warnings are), whole and filtered.
        for (std::int32_t today : {day_of(rm.recorded_at_us()), pair_days.first, pair_days.second}) {
          CAPTURE(today);
          std::string timeline_text;
          auto got = asof.pairs_at(pid, pos, today, {}, [&](const BudgetTimeline::PairsAnswer& p) {
            CHECK(p.known);
            timeline_text = pairs_text(p.lines, pos, today);
          });
          REQUIRE(got.is_ok());
          REQUIRE(*got);
          CHECK(timeline_text == pairs_of_models(rm, pid, today));
          // One filter a position, in turn: by status, mentor, mentee, country.
          const std::string status = pos % 2 ? "active" : "completed";
          std::function<bool(const nlohmann::json&)> by_json;
          std::function<bool(const PairLine&)> by_line;
          switch (pos % 4) {
            case 0:
              by_json = [&](const nlohmann::json& j) { return j["status"] == status; };
              by_line = [&](const PairLine& x) { return x.standing.status == status; };
              break;
            case 1:
              by_json = [&](const nlohmann::json& j) { return j["mentor_id"] == a_mentor; };
              by_line = [&](const PairLine& x) { return x.mentor_id == a_mentor; };
              break;
            case 2:
              by_json = [&](const nlohmann::json& j) { return j["mentee_id"] == a_mentee; };
              by_line = [&](const PairLine& x) { return x.mentee_id == a_mentee; };
              break;
            default:
              by_json = [&](const nlohmann::json& j) { return j["country"] == "TN"; };
              by_line = [&](const PairLine& x) { return x.country == "TN"; };
          }
          got = asof.pairs_at(pid, pos, today, by_line, [&](const BudgetTimeline::PairsAnswer& p) {
            timeline_text = pairs_text(p.lines, pos, today);
          });
          REQUIRE(got.is_ok());
          CHECK(timeline_text == pairs_of_models(rm, pid, today, by_json));
          ++pairs_compared;
        }
      }
    }
    // Every mentee's caps hold the mentee's figures in the models.
    for (auto& [mid, m] : rm.core().mentees()) check_caps(caps_text(rm, m, rm.position()), rm, m, rm.position());
    // Before the programme opened: no budget, no pairs.
    for (auto& [pid, n] : *programmes) {
      auto a = asof.budget_at(pid, 0);
      REQUIRE(a.is_ok());
      CHECK_FALSE((*a)->known);
      bool known = true;
      auto p = asof.pairs_at(pid, 0, 0, {}, [&](const BudgetTimeline::PairsAnswer& x) { known = x.known; });
      REQUIRE(p.is_ok());
      CHECK(*p);
      CHECK_FALSE(known);
    }
    // A programme without a timeline: the models answer.
    auto none = asof.budget_at("no-such-programme", head);
    REQUIRE(none.is_ok());
    CHECK_FALSE(none->has_value());
    auto no_pairs = asof.pairs_at("no-such-programme", head, 0, {}, [](const BudgetTimeline::PairsAnswer&) {
      FAIL("a programme without a timeline has no pairs answer");
    });
    REQUIRE(no_pairs.is_ok());
    CHECK_FALSE(*no_pairs);
    records += asof.stats().timeline_records;
  }
  MESSAGE(compared << " budgets and " << pairs_compared << " pairs views compared; " << records << " timeline records; "
                   << verified << " verifications, " << corrected << " corrections");
  CHECK(pairs_compared > 0);
  CHECK(records > 0);
  CHECK(verified > 0);
  CHECK(corrected > 0);
}

TEST_CASE("as-of snapshots: one that does not match the store or the code is not used") {
  HistoryLedger h(4242, 200);
  Ledger& l = h.l;
  const std::uint64_t head = l.store->head().position;
  auto sizes = l.store->programme_sizes();
  REQUIRE(sizes.is_ok());
  REQUIRE(!sizes->empty());
  std::string pid = sizes->front().first;
  auto expected = [&](std::uint64_t at) {
    auto whole = replay<ReadModels>(*l.store, AsOf{at, 0, false});
    REQUIRE(whole.is_ok());
    return programme_views(*whole, pid, day_of(whole->recorded_at_us())).dump();
  };
  auto answer = [&](AsOfModels& a, std::uint64_t at) {
    auto one = a.at(pid, at);
    REQUIRE_MESSAGE(one.is_ok(), one.status().to_string());
    return programme_views(**one, pid, day_of((*one)->recorded_at_us())).dump();
  };
  {
    AsOfModels a(*l.store, AsOfOptions{4, 100, kReadModelsVersion, true});
    CHECK(answer(a, head) == expected(head));
    CHECK(a.stats().snapshots_written > 0);
  }
  auto list = l.store->snapshot_list(pid);
  REQUIRE(list.is_ok());
  REQUIRE(list->size() >= 2);
  auto last = list->back();

  SUBCASE("another code version") {
    AsOfModels a(*l.store, AsOfOptions{4, 100, kReadModelsVersion + 1, false});
    CHECK(answer(a, head) == expected(head));
    CHECK(a.stats().snapshots_loaded == 0);
    CHECK(a.stats().snapshots_ignored == list->size());
  }
  SUBCASE("a changed byte in the models, or a snapshot put under another event") {
    auto value = l.store->get_snapshot(pid, last.position);
    REQUIRE(value.is_ok());
    REQUIRE(value->has_value());
    std::string bad = **value;
    bad[bad.size() / 2] = static_cast<char>(bad[bad.size() / 2] ^ 0x5a);
    bad.push_back('x');  // and a byte too many: it no longer decodes whole
    REQUIRE(l.store->put_snapshot(pid, last.position, last.count, bad).is_ok());
    // The first snapshot's models filed under the one before the last: the
    // position and hash they record are not those of the event there.
    REQUIRE(list->size() >= 3);
    auto first = l.store->get_snapshot(pid, list->front().position);
    REQUIRE(first.is_ok());
    const auto& other = (*list)[list->size() - 2];
    REQUIRE(l.store->put_snapshot(pid, other.position, other.count, **first).is_ok());
    AsOfModels a(*l.store, AsOfOptions{4, 100, kReadModelsVersion, false});
    CHECK(answer(a, head) == expected(head));
    CHECK(answer(a, last.position) == expected(last.position));
    CHECK(a.stats().snapshots_ignored >= 2);
  }
}

TEST_CASE("a command is answered once it is durable and the read models cover it: clients read their writes") {
  using nlohmann::json;
  ServiceOptions so;
  so.sync = false;
  test::InProcess p(so);
  Service& service = p.service();
  const std::string token = p.token();
  std::mutex mu;
  std::vector<std::string> problems;
  // Calls the service; `at_answer` runs where the answer is given, before
  // anything else can happen on the caller's side.
  auto at_answer = [&](const HttpResponse& r) {
    if (r.status != 201) return;
    // The events it answers for: committed (the head covers them) and in the
    // read models readers get from now on.
    std::uint64_t last = 0;
    json outcome = json::parse(r.body);  // kept: the loop below reads inside it
    for (auto& e : outcome["events"]) last = std::max(last, e["position"].get<std::uint64_t>());
    std::lock_guard lock(mu);
    if (service.store().head().position < last) problems.push_back("answered before the commit: " + r.body);
    if (service.published_position() < last) problems.push_back("answered before the read models: " + r.body);
  };
  auto call = [&](const std::string& method, const std::string& target, const json& body) {
    std::optional<HttpResponse> answer = test::call_service(
        service, {.method = method, .target = target, .body = body, .token = token, .at_answer = at_answer});
    // (Called on several threads: a missing answer is counted, not thrown.)
    if (answer) return std::move(*answer);
    HttpResponse none;
    none.status = 0;
    return none;
  };
  json programme = test::programme_body(test::small_programme());
  REQUIRE(call("POST", "/v1/programmes", programme).status == 201);
  // Several clients at once, so that commands share commits: each reads what
  // it wrote right after the answer, through the published read models.
  constexpr int kClients = 8, kEach = 40;
  std::atomic<int> unread{0};
  std::vector<std::thread> clients;
  for (int t = 0; t < kClients; ++t) {
    clients.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        std::string id = "m" + std::to_string(t) + "-" + std::to_string(i);
        json mentee = test::mentee_body({.id = id, .name = "N", .cluster_name = "C", .sectors = "s", .website = "w"});
        HttpResponse w = call("POST", "/v1/programmes/p/mentees", mentee);
        if (w.status != 201 || json::parse(w.body)["id"] != id) {
          ++unread;
          continue;
        }
        if (call("GET", "/v1/mentees/" + id, nullptr).status != 200) ++unread;
      }
    });
  }
  for (auto& c : clients) c.join();
  CHECK(unread.load() == 0);
  for (auto& problem : problems) FAIL_CHECK(problem);
  CHECK(service.store().head().position == 1 + kClients * kEach);
  // What the read models folded from the handed envelopes is what a rebuild
  // from the store makes (the checkpoint saved at the stop is the models).
  service.stop();
  std::string why;
  auto saved = Projector::load_checkpoint(service.store(), kReadModelsVersion, &why);
  REQUIRE(saved.is_ok());
  REQUIRE_MESSAGE(saved->has_value(), why);
  CHECK((*saved)->position() == service.store().head().position);
  CHECK(bytes_of(**saved) == replayed(service.store()));
}

TEST_CASE("the budget and pairs as of a point, over HTTP: the programme's timeline answers as its models do") {
  using nlohmann::json;
  ServiceOptions so;
  so.sync = false;
  so.asof = AsOfOptions{4, 3, kReadModelsVersion, true};  // timelines for programmes of 4 events and more
  test::InProcess p(so, {Principal{"fin", "finance", ""}});
  Service& service = p.service();
  const std::string coord = p.token(), finance = p.token("fin");
  auto call = [&](const std::string& method, const std::string& target, const json& body, const std::string& token) {
    std::optional<HttpResponse> answer =
        test::call_service(service, {.method = method, .target = target, .body = body, .token = token});
    REQUIRE(answer.has_value());
    return std::move(*answer);
  };
  auto post = [&](const std::string& target, const json& body, const std::string& token) {
    HttpResponse r = call("POST", target, body, token);
    CHECK_MESSAGE(r.status == 201, target << ": " << r.body);
  };
  post("/v1/programmes", test::programme_body(test::small_programme()), coord);
  for (int i = 1; i <= 3; ++i) {
    std::string k = std::to_string(i);
    post(
        "/v1/programmes/p/mentees",
        test::mentee_body({.id = "m" + k, .name = "N", .cluster_name = "Cluster " + k, .sectors = "s", .website = "w"}),
        coord);
    post("/v1/programmes/p/applications",
         test::application_body({.application = "a" + k,
                                 .applicant_name = "Expert " + k,
                                 .organisation = "O",
                                 .email = "e@example.org",
                                 .country = "FR"}),
         coord);
    post("/v1/applications/a" + k + "/accept", {{"mentor_id", "e" + k}}, coord);
    post("/v1/programmes/p/pairs", test::pair_body({.id = "p" + k, .mentor = "e" + k, .mentee = "m" + k}), coord);
    post("/v1/pairs/p" + k + "/invoices",
         {{"id", "i" + k},
          {"number", "INV-" + k},
          {"issue_date", "2026-0" + k + "-01"},
          {"net_cents", 100000 * i},
          {"vat_cents", 20000}},
         finance);
    if (i < 3)
      post("/v1/invoices/i" + k + "/payments", {{"paid_date", "2026-05-20"}, {"amount_cents", 50000}}, finance);
  }
  post("/v1/invoices/i2/credit-notes", {{"id", "cn1"}, {"amount_cents", 10000}, {"reason", "discount"}}, finance);
  post("/v1/invoices/i3/cancel", {{"reason", "wrong amount"}}, finance);
  const std::uint64_t head = service.store().head().position;
  REQUIRE(head > 16);
  // Each point asked twice: the first answer may come from the models (and
  // keep the programme's first snapshot), the second from its timeline.
  for (std::uint64_t at = 1; at <= head; ++at) {
    CAPTURE(at);
    auto whole = replay<ReadModels>(service.store(), AsOf{at, 0, false});
    REQUIRE(whole.is_ok());
    whole->set_vault(service.vault());
    for (int twice = 0; twice < 2; ++twice) {
      HttpResponse r = call("GET", "/v1/programmes/p/budget?at=" + std::to_string(at), nullptr, coord);
      REQUIRE(r.status == 200);
      CHECK(json::parse(r.body) == budget_answer(*whole, "p", false));
    }
    // The pairs view likewise, byte for byte, whole and filtered.
    const std::int32_t today = day_of(whole->recorded_at_us());
    for (int twice = 0; twice < 2; ++twice) {
      HttpResponse r = call("GET", "/v1/programmes/p/pairs?at=" + std::to_string(at), nullptr, coord);
      if (!State::find(whole->core().programmes(), "p")) {
        CHECK(r.status == 404);
        continue;
      }
      REQUIRE(r.status == 200);
      CHECK(r.body == pairs_of_models(*whole, "p", today));
      r = call("GET", "/v1/programmes/p/pairs?status=active&mentor_id=e2&at=" + std::to_string(at), nullptr, coord);
      REQUIRE(r.status == 200);
      CHECK(r.body == pairs_of_models(*whole, "p", today,
                                      [](const json& j) { return j["status"] == "active" && j["mentor_id"] == "e2"; }));
      CHECK(call("GET", "/v1/programmes/p/pairs?status=gone&at=" + std::to_string(at), nullptr, coord).status == 400);
    }
  }
  // As of an instant (each event's recording time): the day of the instant is the day the
  // warnings and statuses are worked out for.
  for (std::uint64_t at = 1; at <= head; at += 3) {
    auto ev = service.store().read_one(at);
    REQUIRE(ev.is_ok());
    const std::int64_t instant = ev->view().recorded_at_us();
    CAPTURE(format_instant(instant));
    auto whole = replay<ReadModels>(service.store(), AsOf{0, instant, true});
    REQUIRE(whole.is_ok());
    whole->set_vault(service.vault());
    HttpResponse r = call("GET", "/v1/programmes/p/pairs?as_of=" + format_instant(instant), nullptr, coord);
    REQUIRE(r.status == 200);
    CHECK(r.body == pairs_of_models(*whole, "p", day_of(instant)));
  }
  // At the head, the pairs view is the models' pairs too.
  {
    HttpResponse r = call("GET", "/v1/programmes/p/pairs", nullptr, coord);
    REQUIRE(r.status == 200);
    auto whole = replay<ReadModels>(service.store(), AsOf{head, 0, false});
    REQUIRE(whole.is_ok());
    whole->set_vault(service.vault());
    auto today = parse_date(json::parse(r.body)["today"].get<std::string>());
    REQUIRE(today);
    CHECK(r.body == pairs_of_models(*whole, "p", *today));
  }
  // An unknown programme is still not found, as of any point.
  CHECK(call("GET", "/v1/programmes/nope/budget?at=3", nullptr, coord).status == 404);
  CHECK(call("GET", "/v1/programmes/nope/pairs?at=3", nullptr, coord).status == 404);
  service.stop();
}

TEST_CASE("a budget's answer text holds the budget's figures and lines, whatever their strings and values") {
  Budget b;
  b.fee_cap_cents = 310000;
  b.cofunding_bp = 9000;
  // Entries of every figure, with a date past the years of four digits, a
  // negative amount and the largest position.
  auto entries = [](std::int64_t base) {
    Explain ex;
    std::int32_t far = days_from_civil(12000, 1, 1);
    ex.agreed = {{1, base, fb::Event::PairAssigned, 100}, {2, -base, fb::Event::PairTerminated, far}};
    ex.invoiced = {{std::numeric_limits<std::uint64_t>::max(), base * 2, fb::Event::InvoiceIssued, -1}};
    ex.credited = {{4, 3, fb::Event::CreditNoteIssued, 0}};
    ex.paid = {{5, -4, fb::Event::InvoicePaid, 20000}};
    ex.vat_invoiced = {{6, 7, fb::Event::InvoiceIssued, 1}};
    ex.vat_credited = {{7, 8, fb::Event::CreditNoteIssued, 2}};
    ex.vat_paid = {{8, 9, fb::Event::InvoicePaid, 3}};
    ex.verified = {{9, 10, fb::Event::ExpenditureVerified, 4}};
    ex.certified = {{10, 11, fb::Event::ExpenditureVerified, 5}, {11, -1, fb::Event::FinancialCorrectionApplied, 6}};
    ex.deducted = {{12, 12, fb::Event::ExpenditureVerified, 7}};
    ex.corrected = {{13, 1, fb::Event::FinancialCorrectionApplied, 8}};
    return ex;
  };
  auto line = [&](std::string key, std::string name, std::string country, std::int64_t base) {
    BudgetLine l;
    l.key = std::move(key);
    l.name = std::move(name);
    l.country = std::move(country);
    l.f = Figures{base, base * 2, base / 3, -base, 7, 8, 9, 10, 11, 12, 13};
    l.eu_share_cents = base * 9 / 10;
    l.certified_eu_share_cents = -5;
    l.explain = entries(base);
    return l;
  };
  for (std::string odd :
       {std::string("plain"), std::string("quote\"back\\slash"), std::string("line\nfeed\x01\x7f"),
        std::string("caf\xc3\xa9"), std::string("bad\xff utf-8"), std::string(), std::string("a \"quote\" alone"),
        std::string("a back\\slash alone"), std::string("a tab\t alone"), std::string("del\x7f")}) {
    CAPTURE(odd);
    b.mentees = {line("m-" + odd, odd, "TN", 123456), line("m2", "", odd, -1)};
    b.mentors = {line("e-" + odd, odd, "FR", 99)};
    b.countries = {line(odd, "", odd, 5)};
    b.totals = Figures{1, -2, 3, -4, 5, -6, 7, -8, 9, -10, std::numeric_limits<std::int64_t>::max()};
    b.explain = entries(17);
    b.eu_share_cents = 42;
    b.own_share_cents = -42;
    b.mentee_eu_share_sum_cents = 41;
    b.rounding_difference_cents = 1;
    for (bool vat : {false, true}) {
      b.vat_eligible = vat;
      std::vector<MonthFigure> months{{"2026-01", 100}, {odd, -3}}, none;
      check_budget(parsed(budget_text(b, months, 77)), b, false, &months, 77);
      check_budget(parsed(budget_text(b, {}, 0)), b, false, &none, 0);
      check_budget(budget_answer(b, months, 77), b, false, &months, 77);
      check_budget(budget_json(b, false), b, false);
      check_budget(budget_json(b, true), b, true);
    }
  }
  std::vector<MonthFigure> none;
  check_budget(parsed(budget_text(Budget{}, {}, 3)), Budget{}, false, &none, 3);
  check_budget(budget_json(Budget{}, true), Budget{}, true);
}

TEST_CASE("a pairs view's text holds its lines' values, whatever their strings and figures") {
  using nlohmann::json;
  auto check_lines = [](const std::vector<PairLine>& lines, std::uint64_t position, std::int32_t today) {
    json j = parsed(pairs_text(lines, position, today));
    CHECK(j.size() == 3);
    CHECK(j.at("position") == position);
    CHECK(j.at("today") == format_date(today));
    REQUIRE(j.at("pairs").size() == lines.size());
    for (std::size_t i = 0; i < lines.size(); ++i) {
      const json& p = j.at("pairs")[i];
      const PairLine& l = lines[i];
      CHECK(p.at("id") == read_back(l.id));
      CHECK(p.at("programme_id") == read_back(l.programme_id));
      CHECK(p.at("status") == std::string(l.standing.status));
      CHECK(p.at("mentor_id") == read_back(l.mentor_id));
      CHECK(p.at("mentor_name") == read_back(l.mentor_name));
      CHECK(p.at("mentor_country") == read_back(l.mentor_country));
      CHECK(p.at("mentee_id") == read_back(l.mentee_id));
      CHECK(p.at("mentee_name") == read_back(l.mentee_name));
      CHECK(p.at("cluster_name") == read_back(l.cluster_name));
      CHECK(p.at("country") == read_back(l.country));
      CHECK(p.at("override_reason") == read_back(l.override_reason));
      CHECK(p.at("start_date") == format_date(l.start_date));
      CHECK(p.at("end_date") == format_date(l.end_date));
      CHECK(p.at("last_session_date") == (l.last_session_date ? json(format_date(l.last_session_date)) : json()));
      CHECK(p.at("sessions") == l.sessions);
      CHECK(p.at("minutes_used") == l.minutes_used);
      CHECK(p.at("mentee_minutes_used") == l.mentee_minutes_used);
      CHECK(p.at("minutes_left") == l.minutes_left);
      CHECK(p.at("report") == (l.report_submitted ? "submitted" : "missing"));
      CHECK(p.at("agreed_fee_cents") == l.agreed_fee_cents);
      CHECK(p.at("invoiced_cents") == l.invoiced_cents);
      CHECK(p.at("credited_cents") == l.credited_cents);
      CHECK(p.at("paid_cents") == l.paid_cents);
      CHECK(p.at("fee_left_cents") == l.fee_left_cents);
      json warnings = json::array();
      for (std::size_t k = 0; k < l.standing.warning_count; ++k) warnings.push_back(l.standing.warnings[k]);
      CHECK(p.at("warnings") == warnings);
      if (l.topics) {
        json topics = json::array();
        for (auto& t : *l.topics) topics.push_back(read_back(t));
        CHECK(p.at("topics") == topics);
      }
      CHECK(p.size() == (l.topics ? 26u : 25u));
    }
  };
  for (std::string odd :
       {std::string("plain"), std::string("quote\"back\\slash"), std::string("line\nfeed\x01\x7f"),
        std::string("caf\xc3\xa9"), std::string("bad\xff utf-8"), std::string(), std::string("a \"quote\" alone"),
        std::string("a back\\slash alone"), std::string("a tab\t alone"), std::string("del\x7f")}) {
    CAPTURE(odd);
    std::vector<std::string> topics{odd, "strategy"}, none;
    PairLine a;
    a.id = odd;
    a.programme_id = odd;
    a.mentor_id = a.mentee_id = a.mentor_name = a.mentor_country = a.mentee_name = a.cluster_name = a.country =
        a.override_reason = odd;
    a.standing = pair_standing(PairStatus::active, 100, 400, 0, 390, 6000, 310000, 5500, 300000);
    REQUIRE(a.standing.warning_count == 4);
    a.start_date = 100;
    a.end_date = 400;
    a.sessions = 3;
    a.minutes_used = -7;
    a.mentee_minutes_used = std::numeric_limits<std::int64_t>::max();
    a.minutes_left = std::numeric_limits<std::int64_t>::min();
    a.report_submitted = true;
    a.agreed_fee_cents = 310000;
    a.invoiced_cents = 1;
    a.credited_cents = -2;
    a.paid_cents = 3;
    a.fee_left_cents = -4;
    a.topics = &topics;
    PairLine b = a;
    b.topics = nullptr;
    b.last_session_date = 365;
    b.standing = pair_standing(PairStatus::terminated, 100, 400, 365, 390, 0, 0, 0, 0);
    PairLine c = a;
    c.topics = &none;
    c.start_date = days_from_civil(12000, 1, 1);
    c.standing = pair_standing(PairStatus::completed, 100, 400, 365, 50, 1920, 310000, 0, 0);
    for (const auto& lines : {std::vector<PairLine>{a, b, c}, std::vector<PairLine>{}, std::vector<PairLine>{c}})
      check_lines(lines, 77, 20000);
  }
}

TEST_CASE("a command's answer text holds its outcome, whatever its strings") {
  using nlohmann::json;
  auto check_outcome = [](const CommandOutcome& o) {
    json j = parsed(outcome_text(o));
    CHECK(j.size() == 2);
    CHECK(j.at("id") == read_back(o.id));
    REQUIRE(j.at("events").size() == o.events.size());
    for (std::size_t i = 0; i < o.events.size(); ++i) {
      const EventRef& e = o.events[i];
      const json& got = j.at("events")[i];
      CHECK(got.size() == 5);
      CHECK(got.at("position") == e.position);
      CHECK(got.at("stream") == read_back(e.stream));
      CHECK(got.at("version") == e.version);
      CHECK(got.at("type") == std::string(event_type_name(e.type)));
      CHECK(got.at("hash") == to_hex(e.hash));
    }
    CHECK(outcome_json(o) == j);
  };
  CommandOutcome o;
  o.id = "s1";
  check_outcome(o);
  for (std::string odd :
       {std::string("pair-p1"), std::string("quote\"back\\slash"), std::string("line\nfeed\x01\x7f"),
        std::string("caf\xc3\xa9"), std::string("bad\xff utf-8"), std::string(), std::string("a \"quote\" alone"),
        std::string("a back\\slash alone"), std::string("a tab\t alone"), std::string("del\x7f")}) {
    CAPTURE(odd);
    o.id = odd;
    EventRef e;
    e.position = 18446744073709551615ULL;
    e.stream = odd;
    e.version = 3;
    e.type = fb::Event::SessionLogged;
    e.hash[0] = 0xab;
    o.events.push_back(e);
    check_outcome(o);
  }
}
