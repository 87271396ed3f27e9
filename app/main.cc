// ledger: the command line of Programme Ledger.
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <iostream>

#include "ledger/dates.h"
#include "ledger/store.h"
#include "server/demo.h"

namespace {

nlohmann::json head_json(const pl::Head& h) {
  return {{"position", h.position},
          {"hash", pl::to_hex(h.hash)},
          {"recorded_at", h.position ? pl::format_instant(h.recorded_at_us) : ""}};
}

// The RocksDB store lives in DIR/ledger, beside DIR/tokens.json.
std::string store_dir(const std::string& dir) { return dir + "/ledger"; }

int cmd_head(const std::string& dir) {
  pl::StoreOptions opts;
  opts.create_if_missing = true;
  std::filesystem::create_directories(dir);
  auto store = pl::Store::open(store_dir(dir), opts);
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
  auto store = pl::Store::open(store_dir(dir), opts);
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

int cmd_demo(const std::string& dir, const std::string& file) {
  std::filesystem::create_directories(dir);
  auto store = pl::Store::open(store_dir(dir));
  if (!store) {
    std::cerr << "ledger: " << store.status().to_string() << "\n";
    return 1;
  }
  auto r = pl::load_demo(**store, file, [](std::uint64_t done, std::uint64_t total) {
    std::cerr << "\rloading the demonstration programme: " << done << " of " << total << " steps" << std::flush;
  });
  if (!r) {
    std::cerr << "\nledger: " << r.status().to_string() << "\n";
    return 1;
  }
  if (r->loaded) {
    std::cerr << "\n";
    std::cout << "loaded " << r->steps << " steps; head " << r->head.position << " " << pl::to_hex(r->head.hash) << "\n";
  } else {
    std::cout << "the store already holds " << r->head.position << " events; the demonstration was not loaded again\n";
  }
  return 0;
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

  std::string demo_file = LEDGER_DEMO_FILE;
  auto* demo = app.add_subcommand("demo", "Load the demonstration programme into an empty store (once)");
  demo->add_option("--data", dir, "Data directory")->capture_default_str();
  demo->add_option("--file", demo_file, "Demonstration history")->capture_default_str();

  CLI11_PARSE(app, argc, argv);
  if (*head) return cmd_head(dir);
  if (*verify) return cmd_verify(dir);
  if (*demo) return cmd_demo(dir, demo_file);
  return 1;
}
