// Appends in a loop from several threads and prints "<position> <session id>"
// for each acknowledged command, flushed, until killed. The first line,
// "ready", says the store is open and the writer started: the parent's
// random moment to kill is counted from it, not from the start of a process
// whose opening a sanitizer or a busy machine may slow past it.
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "writer/writer.h"

using namespace pl;

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: crash_child DIR RUN\n");
    return 2;
  }
  auto store = Store::open(argv[1]);
  if (!store) {
    std::fprintf(stderr, "%s\n", store.status().to_string().c_str());
    return 1;
  }
  // A vault under a fixed master key, the same in every run over the store:
  // the parent checks the events, not their personal fields.
  pl::DataKey fixed{};
  fixed.fill(7);
  pl::Vault vault(**store, pl::MasterKey::of(fixed));
  pl::WriterOptions wo;
  wo.vault = &vault;
  auto w = Writer::start(**store, wo);
  if (!w) return 1;
  std::printf("ready\n");
  std::fflush(stdout);
  std::string run = argv[2];
  std::vector<std::thread> threads;
  std::mutex out_mu;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (long i = 0;; ++i) {
        std::string id = run + "-" + std::to_string(t) + "-" + std::to_string(i);
        Command c;
        c.actor = {"crash", "coordinator"};
        c.decide = [id, t](const State&, std::int64_t, const Actor&) -> Result<Decision> {
          flatbuffers::FlatBufferBuilder b;
          Decision d;
          d.id = id;
          d.events.push_back({"pair-" + std::to_string(t), std::nullopt, fb::Event::SessionLogged,
                              make_payload(fb::Event::SessionLogged, [&](flatbuffers::FlatBufferBuilder& fbb) {
                                return fb::CreateSessionLoggedDirect(fbb, "p", id.c_str(), 18000, 60).Union();
                              })});
          return d;
        };
        auto r = (*w)->execute(std::move(c));
        if (!r) return;
        std::lock_guard lock(out_mu);
        std::printf("%llu %s\n", static_cast<unsigned long long>(r->events[0].position), id.c_str());
        std::fflush(stdout);
      }
    });
  }
  for (auto& th : threads) th.join();
  return 0;
}
