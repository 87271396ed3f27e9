// The command line's tools on the store itself: verify, backup, and the
// purge of expired evidence documents (app/store_cli.cc).
#pragma once

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "log/store.h"
#include "log/vault.h"

namespace pl::cli {

// The RocksDB store lives in DIR/ledger, beside DIR/tokens.json.
inline std::string store_dir(const std::string& dir) { return dir + "/ledger"; }
inline std::string tokens_file(const std::string& dir, const std::string& given) {
  return given.empty() ? dir + "/tokens.json" : given;
}

// Says why on standard error; the exit code 1.
int fail(const Status& st);

// Opens the store to read. While a server holds it open for writing, a
// read-only view of it as it stands now.
Result<std::unique_ptr<Store>> open_for_reading(const std::string& dir);
// The vault of the ledger in `dir` for a reader: null when it has no master
// key (its personal fields then read as sealed); the key file's error when it
// is not a key.
Result<std::unique_ptr<Vault>> readers_vault(const std::string& dir, Store& store);

// Every stored document read and hashed again:
// {"checked": n, "corrupt": [{"sha256", "detail"}]}; `*ok` false when one
// is not the bytes its hash names (or cannot be read).
nlohmann::json check_documents(const Store& store, bool* ok);

// ledger verify: the events, then the documents; exit 0, 2 (a problem) or 1.
int cmd_verify(const std::string& dir);
// ledger backup: a copy in `to`, opened and checked (events and documents).
int cmd_backup(const std::string& dir, const std::string& to, bool independent, bool with_key);
// ledger evidence purge: removes the documents no event attaches whose last
// upload is older than `expire_days` (server stopped); with `dry_run`, lists
// them only.
int cmd_evidence_purge(const std::string& dir, std::int64_t expire_days, bool dry_run);

}  // namespace pl::cli
