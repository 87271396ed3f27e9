// Quotas on evidence documents (http/evidence_quota.h).
#include "http/evidence_quota.h"

#include <filesystem>

#include "http/api.h"

namespace pl {

namespace {

std::string mib(std::uint64_t bytes) {
  std::uint64_t tenths = bytes * 10 / (1 << 20);
  return std::to_string(tenths / 10) + "." + std::to_string(tenths % 10) + " MiB";
}

}  // namespace

Status EvidenceQuota::load(const Store& store) {
  auto list = store.evidence_list();
  if (!list) return list.status();
  for (const Hash& h : *list) {
    auto meta = store.evidence_meta(h);
    if (!meta) return meta.status();
    auto uploaders = store.evidence_uploaders(h);
    if (!uploaders) return uploaders.status();
    // The owner: who uploaded the bytes first.
    std::string owner;
    std::int64_t first = 0;
    for (const auto& u : *uploaders)
      if (owner.empty() || u.uploaded_at_us < first) owner = u.name, first = u.uploaded_at_us;
    stored(h, meta->size, owner);
  }
  return Status::ok();
}

std::optional<std::uint64_t> EvidenceQuota::disk_free() const {
  std::error_code ec;
  auto space = std::filesystem::space(limits_.data_dir, ec);
  if (ec) return std::nullopt;
  return space.available;
}

std::optional<HttpResponse> EvidenceQuota::take(const std::string& who, std::uint64_t n, const ReadModels& rm) {
  if (auto free = disk_free(); free && disk_low(*free))
    return error_response(507, "disk_low",
                          "the disk holding the ledger has " + mib(*free) + " free, under the " +
                              mib(limits_.disk_low) + " kept for the events: no document is taken until space is made");
  std::lock_guard lock(mu_);
  std::uint64_t total = stored_total_ + in_flight_total_;
  if (total + n > limits_.total)
    return error_response(507, "evidence_storage_full",
                          "the documents stored take " + mib(total) + " of the " + mib(limits_.total) +
                              " the ledger keeps for them: no more is taken until unattached ones are purged");
  std::uint64_t unattached = in_flight_[who];
  if (auto it = by_owner_.find(who); it != by_owner_.end())
    for (const std::string& hex : it->second)
      if (State::find(rm.evidence(), hex) == nullptr) unattached += docs_[hex].size;
  if (unattached + n > limits_.per_uploader)
    return error_response(413, "evidence_quota_exceeded",
                          "your documents attached to nothing (with your uploads in progress) take " + mib(unattached) +
                              " of the " + mib(limits_.per_uploader) +
                              " allowed: attach them to what they prove, or wait for unattached ones to expire");
  in_flight_[who] += n;
  in_flight_total_ += n;
  return std::nullopt;
}

void EvidenceQuota::give_back(const std::string& who, std::uint64_t n) {
  std::lock_guard lock(mu_);
  auto it = in_flight_.find(who);
  if (it == in_flight_.end()) return;
  n = std::min(n, it->second);
  it->second -= n;
  in_flight_total_ -= n;
  if (it->second == 0) in_flight_.erase(it);
}

void EvidenceQuota::stored(const Hash& sha256, std::uint64_t size, const std::string& who) {
  std::lock_guard lock(mu_);
  std::string hex = to_hex(sha256);
  if (!docs_.emplace(hex, Doc{size, who}).second) return;
  by_owner_[who].insert(hex);
  stored_total_ += size;
}

}  // namespace pl
