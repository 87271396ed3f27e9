#include "app/privacy_cli.h"

#include <chrono>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>

#include "app/store_cli.h"
#include "base/dates.h"
#include "domain/decide.h"
#include "domain/subjects.h"
#include "writer/writer.h"

namespace pl::cli {

using json = nlohmann::json;

namespace {

std::int32_t today_utc() {
  return day_of(
      std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count());
}

Result<State> state_of(const Store& store) {
  State s;
  PL_RETURN_IF_ERROR(store.scan(1, 0, [&](const EventView& e) {
    s.apply(e);
    return Status::ok();
  }));
  return s;
}

// The subjects held whose retention has ended by `on`, each with the
// programmes that name them and the day each programme's retention ended.
Result<json> due_subjects(const State& s, const Vault& vault, std::int32_t on, std::size_t* held) {
  auto subjects = vault.subjects();
  if (!subjects) return subjects.status();
  *held = subjects->size();
  json due = json::array();
  for (const auto& subject : *subjects) {
    auto programmes = programmes_naming(s, subject);
    // A key with no person behind it in the events (a staff member's name
    // sealed before any programme was opened): not for this list.
    if (!programmes || programmes->empty()) continue;
    if (!retention_over(s, *programmes, subject, on)) continue;
    json named = json::array();
    for (const auto& pid : *programmes)
      if (const ProgrammeState* p = State::find(s.programmes(), pid))
        named.push_back({{"programme_id", pid}, {"retain_until", format_date(retention_end(*p))}});
    due.push_back({{"subject", subject}, {"programmes", named}});
  }
  return due;
}

}  // namespace

int cmd_privacy_due(const std::string& dir, const std::string& on_text) {
  std::int32_t on = today_utc();
  if (!on_text.empty()) {
    auto d = parse_date(on_text);
    if (!d) return fail(Status::invalid("--on is a date, YYYY-MM-DD: '" + on_text + "'"));
    on = *d;
  }
  auto store = open_for_reading(dir);
  if (!store) return fail(store.status());
  auto vault = readers_vault(dir, **store);
  if (!vault) return fail(vault.status());
  if (!*vault) return fail(Status::not_found("no master key in " + dir + ": the ledger's personal data is not here"));
  auto s = state_of(**store);
  if (!s) return fail(s.status());
  std::size_t held = 0;
  auto due = due_subjects(*s, **vault, on, &held);
  if (!due) return fail(due.status());
  std::cout << json{{"on", format_date(on)}, {"held", held}, {"due", *due}}.dump(2) << "\n";
  return 0;
}

int cmd_privacy_erase_due(const std::string& dir) {
  if (!std::filesystem::exists(store_dir(dir) + "/CURRENT")) return fail(Status::not_found("no ledger in " + dir));
  StoreOptions opts;
  opts.create_if_missing = false;
  auto store = Store::open(store_dir(dir), opts);
  if (!store)
    return fail(Status::unavailable("stop the server first, or erase through POST /v1/subjects/{subject}/erasure: " +
                                    store.status().message()));
  auto vault = Vault::open(dir, **store, false);
  if (!vault) return fail(vault.status());
  json erased = json::array(), refused = json::array();
  {
    auto s = state_of(**store);
    if (!s) return fail(s.status());
    std::size_t held = 0;
    auto due = due_subjects(*s, **vault, today_utc(), &held);
    if (!due) return fail(due.status());
    WriterOptions wo;
    wo.vault = vault->get();
    auto writer = Writer::start(**store, wo);
    if (!writer) return fail(writer.status());
    std::size_t done = 0;
    for (const auto& d : *due) {
      const std::string subject = d["subject"];
      EraseSubject c{subject, fb::ErasureBasis::retention_ended, "",
                     "the retention period of every programme that names them has ended"};
      // The tool acts in the role dpo under no name: a name would be a person
      // of its own, whose data the next run would find due.
      auto r = (*writer)->execute(make_command(c, Actor{"", "dpo"}));
      if (r && !r->events.empty()) {
        erased.push_back({{"subject", subject}, {"position", r->events.front().position}});
      } else {
        Status st = r ? Status::internal("the erasure wrote no event") : r.status();
        refused.push_back({{"subject", subject}, {"code", st.reason()}, {"message", st.message()}});
      }
      std::cerr << "\rerasing: " << ++done << " of " << due->size() << std::flush;
    }
    if (!due->empty()) std::cerr << "\n";
    (*writer)->stop();
  }
  if (Status st = (*store)->flush(); !st) return fail(st);
  std::cout << json{{"erased", erased}, {"refused", refused}}.dump(2) << "\n";
  return refused.empty() ? 0 : 1;
}

int cmd_master_key(const std::string& dir, bool rotate) {
  if (!rotate) {
    auto store = open_for_reading(dir);
    if (!store) return fail(store.status());
    auto vault = Vault::open(dir, **store, false);
    if (!vault) return fail(vault.status());
    auto held = (*vault)->subjects();
    if (!held) return fail(held.status());
    std::cout << json{{"master_key_id", (*vault)->master().id},
                      {"file", dir + "/" + kMasterKeyFile},
                      {"data_keys", held->size()}}
                     .dump(2)
              << "\n";
    return 0;
  }
  if (!std::filesystem::exists(store_dir(dir) + "/CURRENT")) return fail(Status::not_found("no ledger in " + dir));
  StoreOptions opts;
  opts.create_if_missing = false;
  auto store = Store::open(store_dir(dir), opts);
  if (!store) return fail(Status::unavailable("stop the server first: " + store.status().message()));
  auto vault = Vault::open(dir, **store, false);
  if (!vault) return fail(vault.status());
  const std::string before = (*vault)->master().id;
  auto id = (*vault)->rotate_master(dir);
  if (!id) return fail(id.status());
  std::cerr << "master key " << before << " replaced by " << *id
            << ": every data key is wrapped again; a backup made before holds the data keys under the old key, "
               "which opens them for as long as it is kept\n";
  std::cout << *id << "\n";
  return 0;
}

}  // namespace pl::cli
