// How `ledger backup` and `ledger audit pack` open the ledger they copy, and
// what they say of what the copy holds.
#pragma once

#include <memory>
#include <string>

#include "log/store.h"

namespace pl::app {

// The store in `store_dir` opened for writing when no server holds it (the
// signer may have to make the key of a ledger from before signed
// checkpoints); otherwise a read-only view of it as it stands now.
Result<std::unique_ptr<Store>> open_to_copy(const std::string& store_dir);

// A sentence for the output: which events the copy of `store` holds, after
// store.sync_view() returned `synced_logs`.
std::string copy_note(const Store& store, std::size_t synced_logs);

// Replaces every hard link in `dir` by a copy of its own, so that a backup
// shares no file with the ledger (backup --copy); returns how many were copied.
Result<std::size_t> unlink_shared_files(const std::string& dir);

}  // namespace pl::app
