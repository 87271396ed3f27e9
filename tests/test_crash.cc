// Crash safety: a child appends and reports each acknowledged position; the
// parent kills it with SIGKILL at random moments and checks, after each
// restart, that every acknowledged event is there, positions have no gap,
// and verify passes.
#include <doctest/doctest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <map>
#include <random>
#include <sstream>
#include <thread>

#include "base/build_paths.h"
#include "log/store.h"
#include "util.h"

using namespace pl;

TEST_CASE("SIGKILL at random moments loses no acknowledged event") {
  test::TempDir dir;
  std::mt19937 rng(20190315);
  std::map<std::uint64_t, std::string> acked;  // position -> session id
  constexpr int kRounds = 20;
  for (int round = 0; round < kRounds; ++round) {
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      ::dup2(fds[1], 1);
      ::close(fds[0]);
      ::close(fds[1]);
      std::string run = "r" + std::to_string(round);
      ::execl(pl::build_paths::crash_child, pl::build_paths::crash_child, dir.path().c_str(), run.c_str(),
              static_cast<char*>(nullptr));
      ::_exit(127);
    }
    ::close(fds[1]);
    // The random moment is counted from the child's "ready" (its store open,
    // its writer started), however long its start took.
    std::string out;
    char buf[65536];
    while (out.find("ready\n") == std::string::npos) {
      ssize_t n = ::read(fds[0], buf, sizeof buf);
      if (n <= 0) break;  // it ended before it was ready: its status says how
      out.append(buf, static_cast<std::size_t>(n));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(std::uniform_int_distribution<int>(30, 250)(rng)));
    REQUIRE(::kill(pid, SIGKILL) == 0);
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    CHECK(WIFSIGNALED(status));
    for (ssize_t n; (n = ::read(fds[0], buf, sizeof buf)) > 0;) out.append(buf, static_cast<std::size_t>(n));
    ::close(fds[0]);
    std::istringstream lines(out);
    std::string line;
    int this_round = 0;
    while (std::getline(lines, line)) {
      auto sp = line.find(' ');
      if (sp == std::string::npos) continue;  // a line cut by the kill
      acked[std::stoull(line.substr(0, sp))] = line.substr(sp + 1);
      ++this_round;
    }
    MESSAGE("round " << round << ": " << this_round << " acknowledged");

    auto store = Store::open(dir.path());
    REQUIRE_MESSAGE(store.is_ok(), store.status().to_string());
    auto rep = (*store)->verify();
    REQUIRE_MESSAGE(rep.ok, rep.detail);
    CHECK(rep.checked == (*store)->head().position);
    for (const auto& entry : acked) {
      const auto& pos = entry.first;
      const auto& id = entry.second;
      auto ev = (*store)->read_one(pos);
      REQUIRE_MESSAGE(ev.is_ok(), "acknowledged position " << pos << " missing");
      CHECK(EventView::sv(ev->view().as<fb::SessionLogged>()->session_id()) == id);
    }
  }
  CHECK(acked.size() > 0);
}
