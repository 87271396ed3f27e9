// Opening the ledger to copy it (store_copy.h).
#include "app/store_copy.h"

#include <sys/stat.h>

#include <filesystem>

namespace pl::app {

Result<std::unique_ptr<Store>> open_to_copy(const std::string& store_dir) {
  StoreOptions opts;
  opts.create_if_missing = false;
  auto store = Store::open(store_dir, opts);
  if (store) return store;
  // Held by a server (RocksDB's lock): a read-only view of the files as they
  // stand, write-ahead log included.
  opts.read_only = true;
  return Store::open(store_dir, opts);
}

std::string copy_note(const Store& store, std::size_t synced_logs) {
  if (!store.read_only()) return "no server held the ledger: every event it holds, its write-ahead log synced first";
  return "a server held the ledger: the events as they stood when it was read (every one the server had "
         "acknowledged, and any it had written but not yet acknowledged), up to the head given; the " +
         std::to_string(synced_logs) +
         " write-ahead log files they were read from synced to disk first, so that none of them can be lost to a "
         "crash of the server; events written since are not in the copy";
}

// Replaces every hard link in `dir` by a copy of its own, so that the backup
// shares no file with the ledger; returns how many were copied.
Result<std::size_t> unlink_shared_files(const std::string& dir) {
  std::size_t copied = 0;
  std::error_code ec;
  for (auto& entry : std::filesystem::recursive_directory_iterator(dir, ec)) {
    struct stat st {};
    if (!entry.is_regular_file() || ::stat(entry.path().c_str(), &st) != 0 || st.st_nlink < 2) continue;
    std::string tmp = entry.path().string() + ".copy";
    std::filesystem::copy_file(entry.path(), tmp, std::filesystem::copy_options::overwrite_existing, ec);
    if (!ec) std::filesystem::rename(tmp, entry.path(), ec);
    if (ec) return Status::io_error("cannot copy " + entry.path().string() + ": " + ec.message());
    ++copied;
  }
  if (ec) return Status::io_error("cannot list " + dir + ": " + ec.message());
  return copied;
}

}  // namespace pl::app
