#include <doctest/doctest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <future>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

#include "log/store_format.h"
#include "util.h"
#include "writer/writer.h"

using namespace pl;
using pl::test::TempDir;

namespace {

std::unique_ptr<Store> open_store(const std::string& dir) {
  auto s = Store::open(dir);
  REQUIRE_MESSAGE(s.is_ok(), s.status().to_string());
  return std::move(s).value();
}

std::unique_ptr<Writer> start(Store& store, WriterOptions o = {}) {
  if (!o.vault) o.vault = test::test_vault(store);
  auto w = Writer::start(store, std::move(o));
  REQUIRE_MESSAGE(w.is_ok(), w.status().to_string());
  return std::move(w).value();
}

// A command appending one SessionLogged to `stream`.
Command one_event(const std::string& stream, int seed, std::optional<std::uint64_t> expected = std::nullopt) {
  Command c;
  c.actor = {"tester", "coordinator"};
  c.decide = [=](const State&, std::int64_t, const Actor&) -> Result<Decision> {
    Decision d;
    d.id = "s" + std::to_string(seed);
    d.events.push_back({stream, expected, fb::Event::SessionLogged, test::small_payload(seed)});
    return d;
  };
  return c;
}

std::string session_id_at(const Store& store, std::uint64_t pos) {
  auto ev = store.read_one(pos);
  REQUIRE(ev.is_ok());
  return std::string(EventView::sv(ev->view().as<fb::SessionLogged>()->session_id()));
}

}  // namespace

TEST_CASE("a command is answered with its events, durable, and the actor recorded") {
  TempDir dir;
  auto store = open_store(dir.path());
  WriterOptions o;
  o.clock = [] { return std::int64_t{1'234'000'000}; };
  auto w = start(*store, o);
  auto r = w->execute(one_event("pair-p07", 1));
  REQUIRE_MESSAGE(r.is_ok(), r.status().to_string());
  CHECK(r->id == "s1");
  REQUIRE(r->events.size() == 1);
  CHECK(r->events[0].position == 1);
  CHECK(r->events[0].stream == "pair-p07");
  CHECK(r->events[0].version == 1);
  CHECK(r->events[0].type == fb::Event::SessionLogged);
  CHECK(r->events[0].hash == store->head().hash);
  w->stop();
  auto ev = store->read_one(1);
  REQUIRE(ev.is_ok());
  // The actor kept as a pseudonym, its name sealed for it.
  auto id = test::test_vault(*store)->staff_id("tester").value();
  CHECK(ev->view().actor_id() == id);
  CHECK(test::test_vault(*store)->text(ev->view().actor_name()) == "tester");
  CHECK(ev->view().recorded_at_us() == 1'234'000'000);
}

TEST_CASE("a refused command writes nothing and does not disturb its group") {
  TempDir dir;
  auto store = open_store(dir.path());
  auto w = start(*store);
  std::atomic<int> answered{0};
  std::vector<Result<CommandOutcome>> results(30, Status::internal("unanswered"));
  // The first command holds the writer so that the others queue into one group.
  Command slow = one_event("hold", 0);
  auto inner = slow.decide;
  slow.decide = [inner](const State& s, std::int64_t now, const Actor& a) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    return inner(s, now, a);
  };
  w->submit(std::move(slow), [&](const Result<CommandOutcome>&) { ++answered; });
  std::this_thread::sleep_for(std::chrono::milliseconds(10));
  for (int i = 0; i < 30; ++i) {
    Command c = one_event("pair-" + std::to_string(i), i + 1);
    if (i % 3 == 1) {
      c.decide = [](const State&, std::int64_t, const Actor&) -> Result<Decision> {
        return Status::rule("hour_cap_exceeded", "no");
      };
    }
    if (i % 3 == 2) {
      // Two events, the second with a wrong expected version: nothing of it lands.
      c.decide = [i](const State&, std::int64_t, const Actor&) -> Result<Decision> {
        Decision d;
        d.events.push_back({"pair-x" + std::to_string(i), 0, fb::Event::SessionLogged, test::small_payload(i)});
        d.events.push_back({"hold", 7, fb::Event::SessionLogged, test::small_payload(i)});
        return d;
      };
    }
    w->submit(std::move(c), [&, i](Result<CommandOutcome> r) {
      results[static_cast<std::size_t>(i)] = std::move(r);
      ++answered;
    });
  }
  w->stop();
  CHECK(answered == 31);
  for (int i = 0; i < 30; ++i) {
    CAPTURE(i);
    auto& r = results[static_cast<std::size_t>(i)];
    if (i % 3 == 0) {
      CHECK(r.is_ok());
    } else if (i % 3 == 1) {
      CHECK(r.status().reason() == "hour_cap_exceeded");
    } else {
      CHECK(r.status().reason() == "version_conflict");
    }
  }
  CHECK(store->head().position == 11);
  for (int i = 0; i < 30; i += 3) CHECK(store->stream_version("pair-" + std::to_string(i)).value() == 1);
  for (int i = 2; i < 30; i += 3) CHECK(store->stream_version("pair-x" + std::to_string(i)).value() == 0);
  CHECK(w->stats().commits <= 3);
  CHECK(store->verify().ok);
}

TEST_CASE("commands of one group are decided against the state that includes the ones before") {
  TempDir dir;
  auto store = open_store(dir.path());
  auto w = start(*store);
  constexpr int kThreads = 8, kEach = 50, kLimit = 123;
  std::atomic<int> accepted{0}, refused{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        Command c;
        int seed = t * 1000 + i;
        c.decide = [seed](const State& s, std::int64_t, const Actor&) -> Result<Decision> {
          if (s.count(fb::Event::SessionLogged) >= kLimit) return Status::rule("limit", "limit reached");
          Decision d;
          d.events.push_back({"limited", std::nullopt, fb::Event::SessionLogged, test::small_payload(seed)});
          return d;
        };
        auto r = w->execute(std::move(c));
        (r.is_ok() ? accepted : refused)++;
      }
    });
  }
  for (auto& th : threads) th.join();
  CHECK(accepted == kLimit);
  CHECK(refused == kThreads * kEach - kLimit);
  CHECK(store->head().position == kLimit);
}

TEST_CASE("idempotency: the same key and request answers the first outcome; another request is refused") {
  TempDir dir;
  auto store = open_store(dir.path());
  auto w = start(*store);
  auto keyed = [](int seed, const std::string& body) {
    Command c = one_event("pair-k", seed);
    c.idempotency_key = "retry-1";
    c.fingerprint = sha256(body);
    return c;
  };
  auto first = w->execute(keyed(1, "body-a"));
  REQUIRE(first.is_ok());
  CHECK_FALSE(first->replayed);
  Head h = store->head();

  auto again = w->execute(keyed(2, "body-a"));
  REQUIRE(again.is_ok());
  CHECK(again->replayed);
  CHECK(again->id == first->id);
  REQUIRE(again->events.size() == 1);
  CHECK(again->events[0].position == first->events[0].position);
  CHECK(again->events[0].hash == first->events[0].hash);
  CHECK(store->head().position == h.position);

  auto other = w->execute(keyed(3, "body-b"));
  CHECK(other.status().reason() == "idempotency_key_reused");
  CHECK(store->head().position == h.position);

  SUBCASE("also within one group") {
    Command slow = one_event("hold", 0);
    auto inner = slow.decide;
    slow.decide = [inner](const State& s, std::int64_t now, const Actor& a) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      return inner(s, now, a);
    };
    w->submit(std::move(slow), [](const Result<CommandOutcome>&) {});
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    std::vector<Result<CommandOutcome>> rs(3, Status::internal("unanswered"));
    for (int i = 0; i < 3; ++i) {
      Command c = one_event("pair-g", 10 + i);
      c.idempotency_key = "group-key";
      c.fingerprint = sha256(i == 2 ? "other" : "same");
      w->submit(std::move(c), [&rs, i](Result<CommandOutcome> r) { rs[static_cast<std::size_t>(i)] = std::move(r); });
    }
    w->stop();
    REQUIRE(rs[0].is_ok());
    CHECK_FALSE(rs[0]->replayed);
    REQUIRE(rs[1].is_ok());
    CHECK(rs[1]->replayed);
    CHECK(rs[1]->events[0].position == rs[0]->events[0].position);
    CHECK(rs[2].status().reason() == "idempotency_key_reused");
    CHECK(store->stream_version("pair-g").value() == 1);
  }
  SUBCASE("and after a restart") {
    w->stop();
    w.reset();
    store.reset();
    store = open_store(dir.path());
    w = start(*store);
    auto r = w->execute(keyed(4, "body-a"));
    REQUIRE(r.is_ok());
    CHECK(r->replayed);
    CHECK(r->events[0].position == first->events[0].position);
  }
}

TEST_CASE("after stop, commands are refused as unavailable") {
  TempDir dir;
  auto store = open_store(dir.path());
  auto w = start(*store);
  w->stop();
  auto r = w->execute(one_event("x", 1));
  CHECK(r.status().kind() == Kind::unavailable);
  CHECK(store->head().position == 0);
}

TEST_CASE("concurrency: 8 threads x 10,000 commands, each present exactly once, positions dense") {
  TempDir dir;
  auto store = open_store(dir.path());
  auto w = start(*store);
  constexpr int kThreads = 8, kEach = 10000;
  std::vector<std::vector<std::uint64_t>> acked(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        auto r = w->execute(one_event("pair-" + std::to_string(t), t * kEach + i));
        if (r.is_ok()) acked[static_cast<std::size_t>(t)].push_back(r->events.at(0).position);
      }
    });
  }
  for (auto& th : threads) th.join();
  w->stop();
  std::size_t total = 0;
  for (auto& a : acked) total += a.size();
  CHECK(total == kThreads * kEach);
  CHECK(store->head().position == kThreads * kEach);
  // Every acknowledged command's event is where it was acknowledged, once.
  std::set<std::string> seen;
  std::uint64_t expected = 1;
  Status st = store->scan(1, 0, [&](const EventView& e) {
    if (e.position() != expected++) return Status::internal("gap");
    seen.insert(std::string(EventView::sv(e.as<fb::SessionLogged>()->session_id())));
    return Status::ok();
  });
  CHECK(st.is_ok());
  CHECK(seen.size() == kThreads * kEach);
  for (int t = 0; t < kThreads; ++t) {
    auto& a = acked[static_cast<std::size_t>(t)];
    CHECK(std::is_sorted(a.begin(), a.end()));
    CHECK(session_id_at(*store, a.front()) == "s" + std::to_string(t * kEach));
    CHECK(session_id_at(*store, a.back()) == "s" + std::to_string(t * kEach + kEach - 1));
    CHECK(store->stream_version("pair-" + std::to_string(t)).value() == kEach);
  }
  CHECK(w->stats().commits < static_cast<std::uint64_t>(kThreads * kEach));  // grouping happened
  auto rep = store->verify();
  CHECK_MESSAGE(rep.ok, rep.detail);
}

TEST_CASE("answer_inline: each answer on the writer's thread, after its commit is durable and handed to on_commit") {
  TempDir dir;
  auto store = open_store(dir.path());
  std::mutex mu;
  std::map<std::uint64_t, std::string> handed;  // position -> envelope, as on_commit got it
  std::set<std::thread::id> commit_threads, answer_threads;
  std::vector<std::string> problems;
  WriterOptions o;
  o.answer_inline = true;
  o.on_commit = [&](const State& st, Committed& c) {
    std::lock_guard lock(mu);
    commit_threads.insert(std::this_thread::get_id());
    if (c.envelopes.size() != c.count) problems.push_back("a commit without its envelopes");
    if (c.first + c.count - 1 != st.position()) problems.push_back("envelopes not ending at the state's position");
    for (std::size_t k = 0; k < c.envelopes.size(); ++k) handed[c.first + k] = std::move(c.envelopes[k]);
  };
  auto w = start(*store, o);
  constexpr int kThreads = 4, kEach = 500;
  std::atomic<int> answered{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        std::promise<void> p;
        w->submit(one_event("pair-" + std::to_string(t), t * kEach + i), [&](Result<CommandOutcome> r) {
          std::lock_guard lock(mu);
          answer_threads.insert(std::this_thread::get_id());
          if (!r) {
            problems.push_back("refused: " + r.status().to_string());
          } else {
            std::uint64_t pos = r->events.at(0).position;
            // Durable before answered, and handed on before answered.
            if (store->head().position < pos) problems.push_back("answered before its commit");
            if (!handed.count(pos)) problems.push_back("answered before on_commit had it");
          }
          ++answered;
          p.set_value();
        });
        p.get_future().wait();
      }
    });
  }
  for (auto& th : threads) th.join();
  w->stop();
  CHECK(answered == kThreads * kEach);
  for (auto& p : problems) FAIL_CHECK(p);
  // One thread commits and answers: the writer's.
  CHECK(commit_threads.size() == 1);
  CHECK(answer_threads == commit_threads);
  // What on_commit was handed is, byte for byte, what the store holds.
  REQUIRE(handed.size() == kThreads * kEach);
  for (auto& [pos, bytes] : handed) {
    auto ev = store->read_one(pos);
    REQUIRE(ev.is_ok());
    CHECK(ev->bytes() == bytes);
  }
}

// The durable-head mark (DURABLE-HEAD) is what tells a reopened store that
// acknowledged events were lost. Written at most once a second while commits
// come, it must still cover the last commits of a burst once the writer is
// idle: a commit, five more within half a second, then nothing.
TEST_CASE("the durable-head mark covers a burst's last commits once the writer is idle") {
  TempDir dir;
  auto store = open_store(dir.path());
  auto w = start(*store);
  auto mark = [&] {
    Head h;
    std::ifstream in(dir.sub(store_format::kMarkFile));
    std::stringstream text;
    text << in.rdbuf();
    return store_format::decode_mark(text.str(), &h) ? h : Head{};
  };
  REQUIRE(w->execute(one_event("pair-p1", 1)).is_ok());
  CHECK(mark().position == 1);  // the first commit is marked at once
  for (int i = 2; i <= 6; ++i) {
    REQUIRE(w->execute(one_event("pair-p1", i)).is_ok());
    std::this_thread::sleep_for(std::chrono::milliseconds(80));
  }
  Head head = store->head();
  REQUIRE(head.position == 6);
  bool covered = false;
  for (int waited = 0; waited < 5000 && !covered; waited += 50) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    covered = mark().position == head.position;
  }
  CHECK(covered);
  CHECK(mark().hash == head.hash);
  CHECK_FALSE(std::filesystem::exists(dir.sub(std::string(store_format::kMarkFile) + ".tmp")));
  CHECK_FALSE(store->mark_behind());
  w->stop();
}
