// The command line's tools on the store itself: verify and backup, which
// check the events and every document, and the purge of expired documents.
#include "app/store_cli.h"

#include <sys/stat.h>

#include <chrono>
#include <filesystem>
#include <iostream>
#include <set>

#include "app/store_copy.h"
#include "base/dates.h"
#include "log/signer.h"
#include "render/event_json.h"
#include "render/views_json.h"

namespace pl::cli {

using nlohmann::json;

int fail(const Status& st) {
  std::cerr << "ledger: " << st.message() << "\n";
  return 1;
}

Result<std::unique_ptr<Vault>> readers_vault(const std::string& dir, Store& store) {
  auto vault = Vault::open(dir, store, false);
  if (!vault && vault.status().is(Kind::not_found)) return std::unique_ptr<Vault>();
  return vault;
}

Result<std::unique_ptr<Store>> open_for_reading(const std::string& dir) {
  if (!std::filesystem::exists(store_dir(dir) + "/CURRENT"))
    return Status::not_found("no ledger in " + dir + " (expected " + store_dir(dir) + ")");
  StoreOptions opts;
  opts.create_if_missing = false;
  opts.read_only = true;
  return Store::open(store_dir(dir), opts);
}

json check_documents(const Store& store, bool* ok) {
  json corrupt = json::array();
  std::size_t checked = 0;
  auto list = store.evidence_list();
  if (!list) {
    *ok = false;
    return {{"checked", 0}, {"corrupt", corrupt}, {"error", list.status().message()}};
  }
  for (const Hash& h : *list) {
    // Each document read whole and hashed again against the hash it is kept under.
    auto bytes = store.read_evidence(h);
    ++checked;
    if (!bytes) corrupt.push_back({{"sha256", to_hex(h)}, {"detail", bytes.status().message()}});
  }
  if (!corrupt.empty()) *ok = false;
  return {{"checked", checked}, {"corrupt", corrupt}};
}

int cmd_verify(const std::string& dir) {
  auto store = open_for_reading(dir);
  if (!store) return fail(store.status());
  auto rep = (*store)->verify([](std::uint64_t done, std::uint64_t total) {
    std::cerr << "\rverified " << done << " of " << total << std::flush;
  });
  std::cerr << "\n";
  json out = {{"ok", rep.ok}, {"checked", rep.checked}, {"head", head_json(rep.head)}};
  if (!rep.ok) {
    out["first_bad_position"] = rep.first_bad_position;
    out["problem"] = std::string(verify_problem_name(rep.problem));
    out["detail"] = rep.detail;
  }
  // The documents too: a damaged one is a failed verify, not a quiet ok.
  bool documents_ok = true;
  out["documents"] = check_documents(**store, &documents_ok);
  out["ok"] = rep.ok && documents_ok;
  std::cout << out.dump(2) << "\n";
  return rep.ok && documents_ok ? 0 : 2;
}

int cmd_backup(const std::string& dir, const std::string& to, bool independent, bool with_key) {
  if (std::filesystem::exists(to)) return fail(Status::invalid(to + " already exists; give a new directory"));
  // The writer's store when no server runs; otherwise a read-only view of
  // the ledger as it stands, which RocksDB can copy while the server writes.
  if (!std::filesystem::exists(store_dir(dir) + "/CURRENT")) return fail(Status::not_found("no ledger in " + dir));
  auto store = app::open_to_copy(store_dir(dir));
  if (!store) return fail(store.status());
  std::filesystem::create_directories(to);
  std::string target = store_dir(to);
  if (Status st = (*store)->backup(target); !st) return fail(st);
  // After the copy: what it copied of the write-ahead log is synced in the ledger too.
  auto synced = (*store)->sync_view();
  if (!synced) return fail(synced.status());
  // On the same file system RocksDB hard-links the table files: the backup
  // then shares them with the ledger (the files never change, but a damaged
  // disk block is damaged in both). --copy makes every file its own.
  std::size_t linked = 0;
  if (independent) {
    auto copied = app::unlink_shared_files(target);
    if (!copied) return fail(copied.status());
  } else {
    std::error_code lec;
    for (auto& entry : std::filesystem::recursive_directory_iterator(target, lec)) {
      struct stat st {};
      if (entry.is_regular_file() && ::stat(entry.path().c_str(), &st) == 0 && st.st_nlink > 1) ++linked;
    }
  }
  // The copy must open and verify on its own.
  StoreOptions ro;
  ro.read_only = true;
  ro.create_if_missing = false;
  auto copy = Store::open(target, ro);
  if (!copy) return fail(copy.status());
  auto rep = (*copy)->verify();
  bool documents_ok = true;
  json documents = check_documents(**copy, &documents_ok);
  json out = {{"backup", to},
              {"ok", rep.ok && documents_ok},
              {"checked", rep.checked},
              {"head", head_json(rep.head)},
              {"documents", documents},
              {"independent", linked == 0},
              {"hard_linked_files", linked},
              {"holds", app::copy_note(**store, *synced)}};
  if (!rep.ok) {
    out["first_bad_position"] = rep.first_bad_position;
    out["problem"] = std::string(verify_problem_name(rep.problem));
    out["detail"] = rep.detail;
  }
  // The keys stay with the ledger unless asked for: a backup in other hands
  // could otherwise sign checkpoints in the ledger's name (the signing key),
  // or open every personal field (the master key; without it, only whoever
  // has DATA_DIR/master.key can).
  auto copy_key = [&](const char* file, const char* what, const char* field) -> Status {
    std::string from = dir + "/" + file;
    if (!with_key || !std::filesystem::exists(from)) {
      out[field] = with_key ? "none to copy" : "not copied (give --with-key to copy it)";
      return Status::ok();
    }
    std::error_code kec;
    std::filesystem::copy_file(from, to + "/" + file, kec);
    if (kec) return Status::io_error(std::string("copying the ") + what + ": " + kec.message());
    ::chmod((to + "/" + file).c_str(), 0600);
    out[field] = "copied";
    return Status::ok();
  };
  if (Status st = copy_key(kSigningKeyFile, "signing key", "signing_key"); !st) return fail(st);
  if (out["signing_key"] != "copied")
    std::cerr << "note: the signing key is not in the backup" << (with_key ? " (the ledger has none yet)" : "")
              << "; a ledger restored from it makes a new one, and the old verifier key stays listed\n";
  if (Status st = copy_key(kMasterKeyFile, "master key", "master_key"); !st) return fail(st);
  // What a backup means for erasure (docs/PRIVACY.md): it keeps the data key
  // of every person not erased now, so a person erased later can still be
  // read from it, with the master key, for as long as it is kept.
  out["personal_data"] =
      "this backup holds the wrapped data keys of every person not erased at its head; a person erased "
      "later stays readable from it (with the master key) until it is destroyed: keep backups no longer "
      "than the retention you promise";
  std::cerr << "note: the backup holds the data keys of every person not yet erased; erasing someone later "
               "does not reach this copy: destroy it when your backup retention ends (docs/PRIVACY.md)\n";
  if (linked)
    std::cerr << "note: " << linked << " table files of the backup are hard links to the ledger's own (same file "
              << "system); give --copy for a copy that shares no file\n";
  std::cout << out.dump(2) << "\n";
  return rep.ok && documents_ok ? 0 : 2;
}

int cmd_evidence_purge(const std::string& dir, std::int64_t expire_days, bool dry_run) {
  if (!std::filesystem::exists(store_dir(dir) + "/CURRENT")) return fail(Status::not_found("no ledger in " + dir));
  // For writing: no server may hold the store, so that no attachment can
  // name a document between the look at the events and its removal.
  StoreOptions opts;
  opts.create_if_missing = false;
  opts.read_only = dry_run;
  auto opened = Store::open(store_dir(dir), opts);
  if (!opened) return fail(Status::unavailable("stop the server first: " + opened.status().message()));
  Store& store = **opened;
  // Every document an event names, whatever became of its entity.
  std::set<std::string> attached;
  Status st = store.scan(1, 0, [&](const EventView& e) {
    if (e.type() == fb::Event::EvidenceAttached)
      if (const auto* p = e.as<fb::EvidenceAttached>(); p && p->sha256()) attached.insert(p->sha256()->str());
    return Status::ok();
  });
  if (!st) return fail(st);
  auto list = store.evidence_list();
  if (!list) return fail(list.status());
  std::int64_t now_us =
      std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count();
  std::int64_t cutoff_us = now_us - expire_days * 86'400'000'000;
  json removed = json::array();
  std::uint64_t freed = 0, kept_attached = 0, kept_recent = 0;
  for (const Hash& h : *list) {
    std::string hex = to_hex(h);
    if (attached.count(hex)) {
      ++kept_attached;
      continue;
    }
    auto meta = store.evidence_meta(h);
    if (!meta) return fail(meta.status());
    auto uploaders = store.evidence_uploaders(h);
    if (!uploaders) return fail(uploaders.status());
    // Expired once its last upload is older than the expiry: an upload of
    // the same bytes again starts the time afresh.
    std::int64_t last_us = meta->uploaded_at_us;
    for (const auto& u : *uploaders) last_us = std::max(last_us, u.uploaded_at_us);
    if (last_us > cutoff_us) {
      ++kept_recent;
      continue;
    }
    if (!dry_run)
      if (Status gone = store.remove_evidence(h); !gone) return fail(gone);
    freed += meta->size;
    removed.push_back({{"sha256", hex},
                       {"size", meta->size},
                       {"filename", meta->filename},
                       {"last_uploaded_at", format_instant(last_us)}});
  }
  if (!dry_run && !removed.empty())
    if (Status flushed = store.flush(); !flushed) return fail(flushed);
  std::cout << json{{"removed", removed},         {"dry_run", dry_run},
                    {"freed_bytes", freed},       {"kept_attached", kept_attached},
                    {"kept_recent", kept_recent}, {"expire_days", expire_days}}
                   .dump(2)
            << "\n";
  return 0;
}

}  // namespace pl::cli
