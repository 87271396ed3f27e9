// ledger: the command line of Programme Ledger.
#include <fcntl.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>

#include "app/demo.h"
#include "app/privacy_cli.h"
#include "app/serve_options.h"
#include "app/store_cli.h"
#include "app/store_copy.h"
#include "audit/audit_pack.h"
#include "audit/audit_watch.h"
#include "base/build_paths.h"
#include "base/dates.h"
#include "http/auth.h"
#include "http/http.h"
#include "http/openapi.h"
#include "http/service.h"
#include "log/note.h"
#include "log/signer.h"
#include "log/store.h"
#include "read/replay.h"
#include "render/event_json.h"
#include "render/sample_json.h"
#include "render/views_json.h"

namespace {

using nlohmann::json;

using pl::head_json;

using pl::cli::cmd_backup;
using pl::cli::cmd_verify;
using pl::cli::fail;
using pl::cli::open_for_reading;
using pl::cli::readers_vault;
using pl::cli::store_dir;
using pl::cli::tokens_file;

int cmd_head(const std::string& dir) {
  auto store = open_for_reading(dir);
  if (!store) return fail(store.status());
  std::cout << head_json((*store)->head()).dump() << "\n";
  return 0;
}

int cmd_replay(const std::string& dir, const std::string& as_of, std::uint64_t at) {
  auto store = open_for_reading(dir);
  if (!store) return fail(store.status());
  pl::AsOf point;
  if (!as_of.empty() && at != 0) return fail(pl::Status::invalid("give --as-of or --at, not both"));
  if (!as_of.empty()) {
    auto t = pl::parse_instant(as_of);
    if (!t)
      return fail(pl::Status::invalid("--as-of must be an RFC 3339 instant with an offset, as 2019-06-30T00:00:00Z"));
    point.recorded_at_us = *t;
    point.has_time = true;
  }
  point.position = at;
  auto rm = pl::replay<pl::ReadModels>(**store, point);
  if (!rm) return fail(rm.status());
  auto vault = readers_vault(dir, **store);
  if (!vault) return fail(vault.status());
  rm->set_vault(vault->get());
  std::int32_t today = pl::day_of(point.has_time ? point.recorded_at_us : rm->recorded_at_us());
  std::cout << pl::read_models_json(*rm, today).dump(2) << "\n";
  return 0;
}

int cmd_export(const std::string& dir, const std::string& format) {
  if (format != "ndjson" && format != "csv") return fail(pl::Status::invalid("--format must be ndjson or csv"));
  auto store = open_for_reading(dir);
  if (!store) return fail(store.status());
  auto vault = readers_vault(dir, **store);
  if (!vault) return fail(vault.status());
  const pl::Vault* v = vault->get();
  std::ios::sync_with_stdio(false);
  if (format == "csv") std::cout << pl::csv_header();
  pl::Status st = (*store)->scan(1, (*store)->head().position, [&](const pl::EventView& e) {
    if (format == "csv")
      std::cout << pl::csv_line(e, v);
    else
      std::cout << pl::ndjson_line(e, v);
    return pl::Status::ok();
  });
  std::cout.flush();
  if (!st) return fail(st);
  return 0;
}

// The verifier key of the ledger's signed checkpoints (made with the ledger,
// or now for a ledger from before them), or a new signing key (rotate).
int cmd_key(const std::string& dir, bool rotate) {
  if (!std::filesystem::exists(store_dir(dir) + "/CURRENT")) return fail(pl::Status::not_found("no ledger in " + dir));
  pl::StoreOptions opts;
  opts.create_if_missing = false;
  auto store = pl::Store::open(store_dir(dir), opts);
  if (!store) {
    if (rotate) return fail(pl::Status::unavailable("stop the server first: " + store.status().message()));
    // A server holds the store: the key file says which key signs.
    std::ifstream in(dir + "/" + pl::kSigningKeyFile);
    std::stringstream text;
    text << in.rdbuf();
    auto key = pl::note::parse_private(text.str());
    if (!key) return fail(store.status());
    std::cout << key->verifier() << "\n";
    return 0;
  }
  if (rotate) {
    auto v = pl::Signer::rotate(dir, **store);
    if (!v) return fail(v.status());
    std::cerr << "a new signing key; checkpoints signed before keep verifying with the earlier verifier keys, "
                 "which stay listed at /v1/audit/key\n";
    std::cout << *v << "\n";
    return 0;
  }
  auto signer = pl::Signer::open(dir, **store);
  if (!signer) return fail(signer.status());
  std::cerr << "origin " << (*signer)->origin() << "; " << (*signer)->verifiers().size()
            << " verifier key(s) listed, the current one below\n";
  std::cout << (*signer)->verifier() << "\n";
  return 0;
}

// The auditor's pack of events 1..at (0: the head), written to `to` (a new
// file, put in place only once whole).
int cmd_audit_pack(const std::string& dir, const std::string& to, std::uint64_t at) {
  if (std::filesystem::exists(to)) return fail(pl::Status::invalid(to + " already exists; give a new file"));
  if (!std::filesystem::exists(store_dir(dir) + "/CURRENT")) return fail(pl::Status::not_found("no ledger in " + dir));
  // The writer's store when no server runs (the signer may have to make the
  // key of a ledger from before signed checkpoints); otherwise a read-only
  // view of the ledger as it stands, whose key is made already. What it
  // holds is synced before a checkpoint of it is signed.
  auto store = pl::app::open_to_copy(store_dir(dir));
  if (!store) return fail(store.status());
  auto synced = (*store)->sync_view();
  if (!synced) return fail(synced.status());
  auto signer = pl::Signer::open(dir, **store);
  if (!signer) return fail(signer.status());
  // The pack is written to a new file of its own (never through a link or
  // over a file someone left there), synced, and then put in place under a
  // name that must still be free.
  std::string tmp = to + ".part";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0)
    return fail(pl::Status::io_error("cannot make " + tmp + ": " + std::strerror(errno) +
                                     (errno == EEXIST ? " (left by an earlier run? remove it)" : "")));
  auto t0 = std::chrono::steady_clock::now();
  auto sum = pl::audit::build_pack(**store, **signer, at, [&](std::string_view piece) {
    while (!piece.empty()) {
      ssize_t n = ::write(fd, piece.data(), piece.size());
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return pl::Status::io_error("cannot write " + tmp + ": " + std::strerror(errno));
      piece.remove_prefix(static_cast<std::size_t>(n));
    }
    return pl::Status::ok();
  });
  if (sum && ::fsync(fd) != 0) sum = pl::Status::io_error("cannot sync " + tmp + ": " + std::strerror(errno));
  ::close(fd);
  if (!sum) {
    ::unlink(tmp.c_str());
    return fail(sum.status());
  }
  if (::link(tmp.c_str(), to.c_str()) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    return fail(pl::Status::io_error("cannot put " + to + " in place: " + std::strerror(err)));
  }
  ::unlink(tmp.c_str());
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  json files = json::array();
  for (auto& f : sum->files) files.push_back({{"path", f.path}, {"bytes", f.size}, {"sha256", pl::to_hex(f.sha256)}});
  std::cout << json{{"pack", to},
                    {"directory", pl::audit::pack_dir(sum->position)},
                    {"position", sum->position},
                    {"root", pl::to_hex(sum->root)},
                    {"origin", sum->origin},
                    {"programmes", sum->programmes},
                    {"bytes", sum->bytes},
                    {"holds", pl::app::copy_note(**store, *synced)},
                    {"files", files}}
                   .dump(2)
            << "\n";
  std::cerr << "wrote " << sum->bytes << " bytes in " << seconds << " s; check it with: ledger audit check " << to
            << " --key " << (*signer)->verifier() << "\n";
  return 0;
}

// Checks the pack in `file` against the verifier keys given (the report in
// *rep); the exit code: 0 when every check holds, 2 at the first
// discrepancy, 1 when the input is unusable.
int check_pack_file(const std::string& file, const std::vector<std::string>& key_texts, pl::audit::CheckReport* rep) {
  std::vector<pl::note::Verifier> keys;
  for (auto& k : key_texts) {
    auto v = pl::note::parse_verifier(k);
    if (!v) return fail(pl::Status::invalid("--key " + k + ": " + v.status().message()));
    keys.push_back(*v);
  }
  auto src = pl::audit::file_source(file);
  if (!src) return fail(src.status());
  *rep = pl::audit::check_pack(**src, keys);
  return rep->ok ? 0 : rep->unusable ? 1 : 2;
}

int cmd_audit_check(const std::string& file, const std::vector<std::string>& key_texts) {
  pl::audit::CheckReport rep;
  int code = check_pack_file(file, key_texts, &rep);
  if (code == 0 || !rep.message.empty()) std::cout << rep.text();
  return code;
}

// Every sample of a pack drawn again, after the whole pack is checked: its
// population (with --population, each unit), seed, selection, whether it is
// what the event records, and every request of the same population.
int cmd_audit_sample(const std::string& file, const std::vector<std::string>& key_texts, const std::string& only,
                     bool list_population) {
  pl::audit::CheckReport rep;
  if (int code = check_pack_file(file, key_texts, &rep); code != 0) {
    if (!rep.message.empty()) std::cout << rep.text();
    return code;
  }
  json out = json::array();
  const pl::ReadModels sealed;  // a pack holds no personal data: who asked reads as sealed
  for (const auto& s : rep.samples) {
    if (!only.empty() && s.id != only) continue;
    out.push_back(pl::redraw_json(sealed, s, list_population));
  }
  if (!only.empty() && out.empty()) return fail(pl::Status::not_found("the pack has no sample '" + only + "'"));
  std::cout << out.dump(2) << "\n";
  return 0;
}

int cmd_token_add(const std::string& dir, const std::string& file, const std::string& name, const std::string& role,
                  const std::string& mentor_id) {
  std::filesystem::create_directories(dir);
  auto token = pl::Tokens::add(tokens_file(dir, file), pl::Principal{name, role, mentor_id});
  if (!token) return fail(token.status());
  std::cerr << "added " << role << " token '" << name << "' to " << tokens_file(dir, file)
            << "; it is shown once, keep it:\n";
  std::cout << *token << "\n";
  return 0;
}

int cmd_token_list(const std::string& dir, const std::string& file) {
  auto tokens = pl::Tokens::load(tokens_file(dir, file));
  if (!tokens) return fail(tokens.status());
  json out = json::array();
  for (auto& t : tokens->list()) {
    json j = {{"id", t.id}, {"name", t.who.name}, {"role", t.who.role}};
    if (!t.who.mentor_id.empty()) j["mentor_id"] = t.who.mentor_id;
    out.push_back(std::move(j));
  }
  std::cout << json{{"tokens", out}}.dump(2) << "\n";
  return 0;
}

int cmd_token_remove(const std::string& dir, const std::string& file, const std::string& id) {
  auto gone = pl::Tokens::remove(tokens_file(dir, file), id);
  if (!gone) return fail(gone.status());
  std::cerr << "removed " << gone->who.role << " token '" << gone->who.name << "' (" << gone->id << ") from "
            << tokens_file(dir, file) << "; a running server refuses it within two seconds\n";
  return 0;
}

// The demonstration: the programme's history, and one token per role.
int cmd_demo(const std::string& dir, const std::string& file) {
  std::filesystem::create_directories(dir);
  {
    auto store = pl::Store::open(store_dir(dir));
    if (!store) return fail(store.status());
    auto vault = pl::Vault::open(dir, **store, true);
    if (!vault) return fail(vault.status());
    auto r = pl::load_demo(**store, **vault, file, [](std::uint64_t done, std::uint64_t total) {
      std::cerr << "\rloading the demonstration programme: " << done << " of " << total << " steps" << std::flush;
    });
    if (!r) {
      std::cerr << "\n";
      return fail(r.status());
    }
    // The ledger's signing key is made with it.
    if (auto signer = pl::Signer::open(dir, **store); !signer) return fail(signer.status());
    // A clean close: the events go to table files, not only the log.
    if (pl::Status st = (*store)->flush(); !st) return fail(st);
    if (r->loaded) {
      std::cerr << "\n";
      std::cout << "loaded " << r->steps << " steps; head " << r->head.position << " " << pl::to_hex(r->head.hash)
                << "\n";
    } else {
      std::cout << "the store already holds " << r->head.position
                << " events; the demonstration was not loaded again\n";
    }
  }
  std::string tokens = tokens_file(dir, "");
  std::string plain = dir + "/demo-tokens.txt";
  if (std::filesystem::exists(tokens)) {
    std::cout << "tokens: " << tokens << " exists; left as it is\n";
  } else {
    // The demonstration keeps its plain tokens beside the store (mode 0600)
    // so that scripts/run.sh can show them again; a real ledger never does.
    struct Demo {
      const char* name;
      const char* role;
      const char* mentor_id;
    } demo[] = {{"demo-coordinator", "coordinator", ""},
                {"demo-finance", "finance", ""},
                {"demo-auditor", "auditor", ""},
                {"demo-controller", "controller", ""},
                {"demo-mentor", "mentor", "reloaded-2021-mentor-03"},
                {"demo-dpo", "dpo", ""}};
    std::string lines;
    for (auto& d : demo) {
      auto t = pl::Tokens::add(tokens, pl::Principal{d.name, d.role, d.mentor_id});
      if (!t) return fail(t.status());
      lines += std::string(d.role) + (d.mentor_id[0] ? std::string(" (") + d.mentor_id + ")" : "") + " " + *t + "\n";
    }
    {
      std::ofstream out(plain, std::ios::trunc);
      out << lines;
    }
    ::chmod(plain.c_str(), 0600);
    std::cout << "demo tokens (also in " << plain << "):\n" << lines;
  }
  return 0;
}

int cmd_serve(const std::string& dir, const std::string& tokens, bool no_sync, const std::string& web,
              pl::HttpOptions ho, pl::ServiceOptions so) {
  so.data_dir = dir;
  so.web_dir = web;
  so.tokens_file = tokens;
  so.sync = !no_sync;
  auto service = pl::Service::open(so);
  if (!service) return fail(service.status());
  ho.on_listening = [&](const std::string& where) {
    std::cout << "serving the ledger in " << dir << " on http://" << where << "/ (" << (*service)->tokens()
              << " tokens)" << std::endl;
  };
  pl::Status st = pl::serve_http(**service, ho);
  if (!st) return fail(st);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  // The ledger holds personal data: whatever it creates (the data directory,
  // RocksDB's files, tokens, backups) is for its own user only.
  ::umask(077);
  CLI::App app{"Programme Ledger: an event-sourced ledger for EU co-funded mentoring programmes"};
  app.require_subcommand(1);
  std::string dir = "data", log_level = "info";
  app.add_option("--log-level", log_level, "trace, debug, info, warn, error or off")->capture_default_str();

  auto* serve = app.add_subcommand("serve", "Serve the HTTP API");
  std::string tokens;
  bool no_sync = false;
  serve->add_option("--data", dir, "Data directory")->capture_default_str();
  serve->add_option("--tokens", tokens, "Tokens file (default DIR/tokens.json)");
  pl::HttpOptions http_options;
  pl::cli::add_http_options(serve, &http_options);
  std::string web = pl::build_paths::web_dir;
  serve->add_option("--web", web, "The dashboard's built assets")->capture_default_str();
  pl::ServiceOptions limits;
  std::uint64_t quota_mib = limits.evidence_quota_bytes >> 20, total_mib = limits.evidence_total_bytes >> 20,
                disk_low_mib = limits.disk_low_bytes >> 20;
  serve->add_option("--evidence-quota-mib", quota_mib, "MiB of documents attached to nothing one uploader may keep")
      ->capture_default_str();
  serve->add_option("--evidence-total-mib", total_mib, "MiB of documents the ledger keeps in all")
      ->capture_default_str();
  serve->add_option("--disk-low-mib", disk_low_mib, "Free MiB under which no document is taken and /healthz fails")
      ->capture_default_str();
  serve->add_flag("--no-sync", no_sync, "Do not fsync commits (tests only: acknowledged commands may be lost)");
  serve->add_option("--log-level", log_level, "trace, debug, info, warn, error or off")->capture_default_str();

  auto* token = app.add_subcommand("token", "Manage API tokens");
  token->require_subcommand(1);
  auto* token_add = token->add_subcommand("add", "Make a token; prints it once and stores its SHA-256");
  std::string name, role, mentor_id;
  token_add->add_option("--data", dir, "Data directory")->capture_default_str();
  token_add->add_option("--tokens", tokens, "Tokens file (default DIR/tokens.json)");
  token_add->add_option("--name", name, "Who the token is for")->required();
  token_add
      ->add_option("--role", role,
                   "coordinator, finance, auditor, controller, mentor or dpo (the data protection officer)")
      ->required();
  token_add->add_option("--mentor-id", mentor_id, "The mentor a mentor token is bound to");

  auto* token_list = token->add_subcommand("list", "List the tokens: id, name, role, mentor id (never the token)");
  token_list->add_option("--data", dir, "Data directory")->capture_default_str();
  token_list->add_option("--tokens", tokens, "Tokens file (default DIR/tokens.json)");
  auto* token_remove = token->add_subcommand("remove", "Remove a token; a running server refuses it within 2 s");
  std::string token_id;
  token_remove->add_option("--data", dir, "Data directory")->capture_default_str();
  token_remove->add_option("--tokens", tokens, "Tokens file (default DIR/tokens.json)");
  token_remove->add_option("ID", token_id, "The token's id, as ledger token list shows it")->required();

  auto* head = app.add_subcommand("head", "Print the head: position, hash, recording time");
  head->add_option("--data", dir, "Data directory")->capture_default_str();
  auto* verify = app.add_subcommand("verify", "Recompute the hash chain and check every stored event");
  verify->add_option("--data", dir, "Data directory")->capture_default_str();

  auto* replay = app.add_subcommand("replay", "Print the read models as JSON, as of a point");
  std::string as_of;
  std::uint64_t at = 0;
  replay->add_option("--data", dir, "Data directory")->capture_default_str();
  replay->add_option("--as-of", as_of, "An instant (RFC 3339): the ledger as it stood then");
  replay->add_option("--at", at, "A position: the ledger as it stood after that event");

  auto* exp = app.add_subcommand("export", "Print every event, as NDJSON (CloudEvents) or CSV");
  std::string format = "ndjson";
  exp->add_option("--data", dir, "Data directory")->capture_default_str();
  exp->add_option("--format", format, "ndjson or csv")->capture_default_str();

  auto* backup = app.add_subcommand("backup", "Copy the store consistently (also while a server runs)");
  std::string to;
  backup->add_option("--data", dir, "Data directory")->capture_default_str();
  backup->add_option("--to", to, "A new directory for the copy")->required();
  bool backup_copy = false, backup_with_key = false;
  backup->add_flag("--with-key", backup_with_key,
                   "Copy the signing key and the master key too (the one signs checkpoints in the ledger's "
                   "name, the other opens every personal field)");
  backup->add_flag("--copy", backup_copy,
                   "Copy every file, even on the same file system (no hard links to the ledger's files)");

  auto* evidence = app.add_subcommand("evidence", "Evidence documents kept beside the log");
  evidence->require_subcommand(1);
  auto* evidence_purge = evidence->add_subcommand(
      "purge", "Remove the documents no event attaches whose last upload is older than --expire-days (server stopped)");
  std::int64_t expire_days = 7;
  bool purge_dry_run = false;
  evidence_purge->add_option("--data", dir, "Data directory")->capture_default_str();
  evidence_purge->add_option("--expire-days", expire_days, "Days an unattached document is kept")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  evidence_purge->add_flag("--dry-run", purge_dry_run, "List what would be removed; remove nothing");

  std::string demo_file = pl::build_paths::demo_file;
  auto* demo = app.add_subcommand("demo", "Load the demonstration programme (once) and make demo tokens");
  demo->add_option("--data", dir, "Data directory")->capture_default_str();
  demo->add_option("--file", demo_file, "Demonstration history")->capture_default_str();

  auto* key = app.add_subcommand("key", "The signing key of the checkpoints, and the master key of the personal data");
  key->require_subcommand(1);
  auto* key_show = key->add_subcommand("show", "Print the verifier key (name+hash+base64) that checks the checkpoints");
  key_show->add_option("--data", dir, "Data directory")->capture_default_str();
  auto* key_rotate =
      key->add_subcommand("rotate", "Make a new signing key (server stopped); the old verifier key stays listed");
  key_rotate->add_option("--data", dir, "Data directory")->capture_default_str();
  auto* key_master = key->add_subcommand("master", "The master key of the personal data: its id, never the key");
  key_master->add_option("--data", dir, "Data directory")->capture_default_str();
  auto* key_rotate_master =
      key->add_subcommand("rotate-master", "A new master key, every data key wrapped again under it (server stopped)");
  key_rotate_master->add_option("--data", dir, "Data directory")->capture_default_str();

  auto* audit = app.add_subcommand("audit", "The auditor's tools: a witness, and a pack checked offline");
  audit->require_subcommand(1);
  auto* watch = audit->add_subcommand(
      "watch", "Check the ledger's signed checkpoint and its consistency with the one kept in --state");
  pl::audit::WatchOptions wopts;
  watch->add_option("--url", wopts.url, "The ledger, as http://127.0.0.1:8080")->required();
  watch->add_option("--key", wopts.keys, "A verifier key you trust (ledger key show); may be repeated")->required();
  watch->add_option("--state", wopts.state_file, "The file that keeps the last checkpoint accepted")->required();
  watch->add_option("--interval", wopts.interval_s, "Seconds between looks (default: look once)")
      ->check(CLI::NonNegativeNumber);
  watch->add_option("--token", wopts.token, "A bearer token, if a proxy in front asks for one");
  auto* audit_pack = audit->add_subcommand(
      "pack", "Write every event up to a position, the signed checkpoint and the totals into one tar");
  std::uint64_t pack_at = 0;
  audit_pack->add_option("--data", dir, "Data directory")->capture_default_str();
  audit_pack->add_option("--to", to, "The tar to write (a new file)")->required();
  audit_pack->add_option("--at", pack_at, "The last position in the pack (default: the head)");
  auto* audit_check = audit->add_subcommand(
      "check", "Check a pack offline: manifest, hash chain, tree against the signed checkpoint, NDJSON, totals");
  std::string pack_file;
  std::vector<std::string> pack_keys;
  audit_check->add_option("PACK", pack_file, "The pack (a tar written by ledger audit pack)")->required();
  audit_check
      ->add_option("--key", pack_keys,
                   "A verifier key you trust (name+hash+base64), from the ledger's operators; more than once for a "
                   "ledger that rotated its key")
      ->required();

  auto* audit_sample = audit->add_subcommand(
      "sample", "Check a pack, then draw each of its samples again from the events before it and print them");
  std::string sample_id;
  bool sample_population = false;
  audit_sample->add_option("PACK", pack_file, "The pack (a tar written by ledger audit pack)")->required();
  audit_sample->add_option("--key", pack_keys, "A verifier key you trust (name+hash+base64)")->required();
  audit_sample->add_option("--sample", sample_id, "Only this sample");
  audit_sample->add_flag("--population", sample_population, "List every unit of each population, in its order");

  auto* privacy = app.add_subcommand("privacy", "Personal data: whose retention has ended, and their erasure");
  privacy->require_subcommand(1);
  auto* privacy_due = privacy->add_subcommand("due", "List the people whose retention period has ended (JSON)");
  std::string due_on;
  privacy_due->add_option("--data", dir, "Data directory")->capture_default_str();
  privacy_due->add_option("--on", due_on, "As on this day (YYYY-MM-DD); default today (UTC)");
  auto* privacy_erase = privacy->add_subcommand(
      "erase-due", "Erase every person whose retention period has ended (server stopped); prints what was done");
  privacy_erase->add_option("--data", dir, "Data directory")->capture_default_str();

  auto* openapi = app.add_subcommand("openapi", "Print the OpenAPI 3.1 document of the HTTP API (docs/openapi.json)");

  CLI11_PARSE(app, argc, argv);
  auto level = spdlog::level::from_str(log_level);
  if (level == spdlog::level::off && log_level != "off") {
    std::cerr << "ledger: unknown --log-level '" << log_level << "'\n";
    return 2;
  }
  spdlog::set_level(level);
  spdlog::set_default_logger(spdlog::stderr_color_mt("ledger"));  // stdout is for answers
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%fZ %^%l%$ %v", spdlog::pattern_time_type::utc);

  limits.evidence_quota_bytes = quota_mib << 20;
  limits.evidence_total_bytes = total_mib << 20;
  limits.disk_low_bytes = disk_low_mib << 20;
  if (*serve) return cmd_serve(dir, tokens, no_sync, web, http_options, limits);
  if (*token_add) return cmd_token_add(dir, tokens, name, role, mentor_id);
  if (*token_list) return cmd_token_list(dir, tokens);
  if (*token_remove) return cmd_token_remove(dir, tokens, token_id);
  if (*head) return cmd_head(dir);
  if (*verify) return cmd_verify(dir);
  if (*replay) return cmd_replay(dir, as_of, at);
  if (*exp) return cmd_export(dir, format);
  if (*backup) return cmd_backup(dir, to, backup_copy, backup_with_key);
  if (*evidence_purge) return pl::cli::cmd_evidence_purge(dir, expire_days, purge_dry_run);
  if (*key_show) return cmd_key(dir, false);
  if (*watch) return pl::audit::watch(wopts);
  if (*key_rotate) return cmd_key(dir, true);
  if (*audit_pack) return cmd_audit_pack(dir, to, pack_at);
  if (*audit_check) return cmd_audit_check(pack_file, pack_keys);
  if (*audit_sample) return cmd_audit_sample(pack_file, pack_keys, sample_id, sample_population);
  if (*demo) return cmd_demo(dir, demo_file);
  if (*key_master) return pl::cli::cmd_master_key(dir, false);
  if (*key_rotate_master) return pl::cli::cmd_master_key(dir, true);
  if (*privacy_due) return pl::cli::cmd_privacy_due(dir, due_on);
  if (*privacy_erase) return pl::cli::cmd_privacy_erase_due(dir);
  if (*openapi) return std::cout << pl::openapi_document().dump(2) << "\n" ? 0 : 1;
  return 1;
}
