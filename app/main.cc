// ledger: the command line of Programme Ledger.
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <iostream>

#include "ledger/dates.h"
#include "ledger/store.h"

namespace {

nlohmann::json head_json(const pl::Head& h) {
  return {{"position", h.position},
          {"hash", pl::to_hex(h.hash)},
          {"recorded_at", h.position ? pl::format_instant(h.recorded_at_us) : ""}};
}

int cmd_head(const std::string& dir) {
  pl::StoreOptions opts;
  opts.create_if_missing = true;
  auto store = pl::Store::open(dir, opts);
  if (!store) {
    std::cerr << "ledger: " << store.status().to_string() << "\n";
    return 1;
  }
  std::cout << head_json((*store)->head()).dump() << "\n";
  return 0;
}

int cmd_verify(const std::string& dir) {
  pl::StoreOptions opts;
  opts.create_if_missing = false;
  opts.read_only = true;
  auto store = pl::Store::open(dir, opts);
  if (!store) {
    std::cerr << "ledger: " << store.status().to_string() << "\n";
    return 1;
  }
  auto rep = (*store)->verify([](std::uint64_t done, std::uint64_t total) {
    std::cerr << "\rverified " << done << " of " << total << std::flush;
  });
  std::cerr << "\n";
  nlohmann::json out = {{"ok", rep.ok}, {"checked", rep.checked}, {"head", head_json(rep.head)}};
  if (!rep.ok) {
    out["first_bad_position"] = rep.first_bad_position;
    out["problem"] = std::string(pl::verify_problem_name(rep.problem));
    out["detail"] = rep.detail;
  }
  std::cout << out.dump(2) << "\n";
  return rep.ok ? 0 : 2;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Programme Ledger: an event-sourced ledger for EU co-funded mentoring programmes"};
  app.require_subcommand(1);
  std::string dir = "data";

  auto* head = app.add_subcommand("head", "Open (or create) a store and print its head");
  head->add_option("--data", dir, "Data directory")->capture_default_str();
  auto* verify = app.add_subcommand("verify", "Recompute the hash chain and check every stored event");
  verify->add_option("--data", dir, "Data directory")->capture_default_str();

  CLI11_PARSE(app, argc, argv);
  if (*head) return cmd_head(dir);
  if (*verify) return cmd_verify(dir);
  return 1;
}
