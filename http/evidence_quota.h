// What evidence documents may take of the disk: each uploader's documents
// attached to nothing, all documents together, and the disk's free space
// (ServiceOptions: evidence_quota_bytes, evidence_total_bytes,
// disk_low_bytes). Counted as an upload's bytes arrive, so that no upload,
// and no number of uploads at once, passes a limit by more than a piece.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>

#include "http/service.h"
#include "log/store.h"
#include "read/read_models.h"

namespace pl {

class EvidenceQuota {
 public:
  struct Limits {
    std::uint64_t per_uploader = 0;  // bytes of one uploader's unattached documents
    std::uint64_t total = 0;         // bytes of every stored document
    std::uint64_t disk_low = 0;      // free bytes under which no document is taken
    std::string data_dir;            // where the free space is measured
  };
  explicit EvidenceQuota(Limits limits) : limits_(std::move(limits)) {}

  // Every stored document's size and owner (the uploader who first stored
  // its bytes), read from the store.
  Status load(const Store& store);
  // Takes `n` more bytes for an upload by `who` in progress, or answers the
  // refusal: 413 evidence_quota_exceeded (its unattached documents, attached
  // ones as `rm` shows them, with its uploads in progress), 507
  // evidence_storage_full (every document) or 507 disk_low (free space).
  std::optional<HttpResponse> take(const std::string& who, std::uint64_t n, const ReadModels& rm);
  // Gives back bytes taken for an upload that ended.
  void give_back(const std::string& who, std::uint64_t n);
  // A new document, stored by `who`.
  void stored(const Hash& sha256, std::uint64_t size, const std::string& who);
  // The free bytes of the disk under the data directory, and whether they
  // are under the threshold; nullopt if it cannot be measured.
  std::optional<std::uint64_t> disk_free() const;
  bool disk_low(std::uint64_t free) const { return free < limits_.disk_low; }

 private:
  struct Doc {
    std::uint64_t size = 0;
    std::string owner;
  };
  Limits limits_;
  std::mutex mu_;
  std::map<std::string, Doc> docs_;                        // by hex hash
  std::map<std::string, std::set<std::string>> by_owner_;  // owner -> hex hashes
  std::map<std::string, std::uint64_t> in_flight_;         // uploader -> bytes of uploads in progress
  std::uint64_t stored_total_ = 0, in_flight_total_ = 0;
};

}  // namespace pl
