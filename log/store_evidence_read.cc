// A stored document read a piece at a time (evidence.h: EvidenceReader), so
// that a download holds one piece of it, not the whole document. The pieces
// are the keys evidence_chunk_key(upload, 0..chunks-1) of the document's
// record (log/store_evidence.cc has the layout).
#include <rocksdb/db.h>

#include "log/store.h"
#include "log/store_format.h"

namespace pl {

using namespace store_format;  // NOLINT(google-build-using-namespace): as the store's other files

EvidenceReader::EvidenceReader(const Store* store, EvidenceMeta meta) : store_(store), meta_(std::move(meta)) {}

EvidenceReader::~EvidenceReader() = default;

Result<std::unique_ptr<EvidenceReader>> Store::evidence_reader(const Hash& sha256) const {
  std::shared_lock db_lock(db_mu_);
  PL_RETURN_IF_ERROR(usable());
  auto found = readable_evidence(sha256);
  if (!found) return found.status();
  return std::unique_ptr<EvidenceReader>(new EvidenceReader(this, std::move(found).value()));
}

Result<std::string> EvidenceReader::next() {
  auto out = read_next();
  // As Store::read_evidence(): a damaged document is remembered until it is
  // read whole again (health reports it, whatever else is fine).
  if (out.is_ok() && !out->empty()) return out;
  std::lock_guard lock(store_->faults_mu_);
  if (out.is_ok())
    store_->evidence_faults_.erase(meta_.sha256);
  else if (out.status().is(Kind::corruption))
    store_->evidence_faults_[meta_.sha256] = out.status().message();
  return out;
}

Result<std::string> EvidenceReader::read_next() {
  std::string name = "evidence " + to_hex(meta_.sha256);
  if (index_ == meta_.chunks) {
    if (read_ != meta_.size || sha_.finish() != meta_.sha256)
      return Status::corruption(name +
                                ": the stored bytes do not hash to it; the store was altered outside the ledger");
    ++index_;  // the end was given; asking again is an error
    return std::string();
  }
  if (index_ > meta_.chunks) return Status::invalid(name + ": read past its end");
  std::string piece;
  {
    std::shared_lock db_lock(store_->db_mu_);
    PL_RETURN_IF_ERROR(store_->usable());
    rocksdb::ReadOptions ro;
    ro.fill_cache = false;  // documents are read rarely, and whole
    rocksdb::Status s = store_->db_->Get(ro, store_->evidence_, evidence_chunk_key(meta_.upload, index_), &piece);
    if (s.IsNotFound()) return Status::corruption(name + ": piece " + std::to_string(index_) + " is missing");
    if (!s.ok()) return from_rocks(s, "read " + name);
  }
  bool last = index_ + 1 == meta_.chunks;
  if (piece.empty() || piece.size() > kEvidenceChunkBytes || (!last && piece.size() != kEvidenceChunkBytes) ||
      read_ + piece.size() > meta_.size)
    return Status::corruption(name + ": piece " + std::to_string(index_) + " has " + std::to_string(piece.size()) +
                              " bytes, not what the record says; the store was altered outside the ledger");
  read_ += piece.size();
  sha_.update(piece);
  ++index_;
  return piece;
}

}  // namespace pl
