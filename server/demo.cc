#include "server/demo.h"

#include <atomic>
#include <fstream>
#include <sstream>

#include "ledger/dates.h"
#include "ledger/decide.h"
#include "ledger/writer.h"
#include "server/json_commands.h"

namespace pl {

Result<DemoResult> load_demo(Store& store, const std::string& file,
                             const std::function<void(std::uint64_t, std::uint64_t)>& progress) {
  DemoResult out;
  if (store.head().position > 0) {
    out.head = store.head();
    return out;
  }
  std::ifstream in(file, std::ios::binary);
  if (!in) return Status::not_found("cannot read the demonstration data " + file);
  std::stringstream text;
  text << in.rdbuf();
  auto doc = parse_json(text.str());
  if (!doc) return doc.status();
  const auto& steps = (*doc)["steps"];
  if (!steps.is_array()) return Status::invalid(file + " has no array 'steps'");

  std::atomic<std::int64_t> clock{0};
  WriterOptions wo;
  wo.clock = [&clock] { return clock.load(); };
  auto writer = Writer::start(store, wo);
  if (!writer) return writer.status();
  std::uint64_t n = 0, total = steps.size();
  for (const auto& s : steps) {
    ++n;
    auto where = [&](const Status& st) {
      return Status::make(
          st.kind(), st.reason(),
          "demo step " + std::to_string(n) + " (" + s.value("command", std::string("?")) + "): " + st.message());
    };
    auto at = parse_instant(s.value("at", std::string()));
    if (!at) return where(Status::invalid("no valid 'at' instant"));
    clock = *at;
    auto cmd = parse_command(s.value("command", std::string()), s.value("params", nlohmann::json::object()),
                             s.value("body", nlohmann::json::object()));
    if (!cmd) return where(cmd.status());
    std::string actor = s.value("actor", std::string("coordinator"));
    Actor who{"demo-" + actor, actor};
    auto r = (*writer)->execute(make_command(std::move(cmd).value(), who));
    if (!r) return where(r.status());
    if (progress && (n % 100 == 0 || n == total)) progress(n, total);
  }
  (*writer)->stop();
  out.loaded = true;
  out.steps = n;
  out.head = store.head();
  return out;
}

}  // namespace pl
