// Evidence documents beside the log (store.h: EvidenceUpload and the
// Store's evidence methods), in the column family "evidence":
//
//   "c" ‖ u64 upload ‖ u32 index   -> a piece of an upload's bytes (1 MiB, the last one less)
//   "d" ‖ 32 bytes sha256          -> document record
//   "u" ‖ 32 bytes sha256 ‖ name   -> i64 uploaded_at_us: one uploader of the document
//   "p" ‖ u64 upload               -> empty: an upload begun and not finished
//
//   document record := u64 upload ‖ u64 size ‖ u32 chunks ‖ i64 uploaded_at_us
//                      ‖ str content_type ‖ str filename          (str := u32 length ‖ bytes)
//
// How an upload stays out of the writer's way and keeps nothing it should
// not. Its pieces are written as they come, without the write-ahead log (a
// 20 MiB document in the log would be synced by the writer's next commit),
// each write taking the store's write lock only for the time of a memtable
// insert. The first write also puts the upload's "p" mark, in the same batch:
// a piece can only reach the disk with or after its mark (a memtable is
// flushed whole, and in order). finish() looks the hash up and, for new
// bytes, flushes the column family and waits (every piece is then in synced
// table and blob files), then writes the document record and the uploader
// and deletes the mark in one batch through the synced log: the record is
// visible only once its pieces are durable, and only then is the hash
// answered. For bytes already stored, the pieces are dropped and the
// uploader recorded with a synced write. At every open for writing, each
// mark left names an upload a crash cut: its pieces and the mark are
// deleted. So the pieces of a document are reachable only from its record,
// and a record is durable only with all its pieces.
#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <chrono>
#include <cstring>
#include <thread>

#include "log/store.h"
#include "log/store_format.h"

namespace pl {

using namespace store_format;

namespace {

constexpr char kChunk = 'c', kDoc = 'd', kUploader = 'u', kPending = 'p';

void put_str(std::string& out, std::string_view s) {
  put_u32(out, static_cast<std::uint32_t>(s.size()));
  out.append(s);
}

bool get_str(std::string_view& in, std::string* out) {
  if (in.size() < 4) return false;
  std::uint32_t n = get_u32(in.data());
  if (in.size() < 4 + std::size_t{n}) return false;
  out->assign(in.data() + 4, n);
  in.remove_prefix(4 + std::size_t{n});
  return true;
}

std::string encode_doc(const EvidenceMeta& m) {
  std::string s;
  put_u64(s, m.upload);
  put_u64(s, m.size);
  put_u32(s, m.chunks);
  put_u64(s, static_cast<std::uint64_t>(m.uploaded_at_us));
  put_str(s, m.content_type);
  put_str(s, m.filename);
  return s;
}

bool decode_doc(std::string_view s, EvidenceMeta* m) {
  if (s.size() < 8 + 8 + 4 + 8) return false;
  m->upload = get_u64(s.data());
  m->size = get_u64(s.data() + 8);
  m->chunks = get_u32(s.data() + 16);
  m->uploaded_at_us = static_cast<std::int64_t>(get_u64(s.data() + 20));
  s.remove_prefix(28);
  return get_str(s, &m->content_type) && get_str(s, &m->filename) && s.empty();
}

// The chunks of `upload` are the keys from chunk_key(upload, 0) up to, not
// including, this one.
std::string chunks_end(std::uint64_t upload) {
  std::string k(1, kChunk);
  put_u64(k, upload + 1);
  return k;
}

}  // namespace

std::string evidence_chunk_key(std::uint64_t upload, std::uint32_t index) {
  std::string k(1, kChunk);
  put_u64(k, upload);
  put_u32(k, index);
  return k;
}

std::string evidence_doc_key(const Hash& sha256) { return std::string(1, kDoc) + std::string(bytes_of(sha256)); }

std::string evidence_uploader_key(const Hash& sha256, std::string_view name) {
  return std::string(1, kUploader) + std::string(bytes_of(sha256)) + std::string(name);
}

std::string evidence_pending_key(std::uint64_t upload) {
  std::string k(1, kPending);
  put_u64(k, upload);
  return k;
}

// ---- the store's side

Status Store::write_evidence(rocksdb::WriteBatch& wb, bool wal) {
  rocksdb::WriteOptions wo;
  if (wal) {
    wo.sync = options_.sync;
  } else {
    wo.disableWAL = true;
  }
  std::lock_guard write_lock(write_mu_);
  return from_rocks(db_->Write(wo, &wb), "write evidence");
}

Status Store::remove_unfinished_uploads() {
  // Called at open (and in reopen, under db_mu_ taken alone): no reader yet.
  if (!evidence_) return Status::ok();
  rocksdb::ReadOptions once;
  once.fill_cache = false;
  rocksdb::WriteBatch wb;
  std::size_t removed = 0;
  {
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(once, evidence_));
    for (it->Seek(std::string(1, kPending)); it->Valid() && it->key()[0] == kPending; it->Next()) {
      auto k = view(it->key());
      if (k.size() != 9) return Status::corruption("evidence: a malformed upload mark");
      std::uint64_t upload = get_u64(k.data() + 1);
      wb.DeleteRange(evidence_, evidence_chunk_key(upload, 0), chunks_end(upload));
      wb.Delete(evidence_, k);
      ++removed;
    }
    if (!it->status().ok()) return from_rocks(it->status(), "read evidence upload marks");
  }
  {
    // The next upload's id: after the last one that left pieces, a document
    // or a mark. Read from the records, never from the pieces: an iterator
    // on a piece reads its value from a blob file, and one damaged byte of
    // one document would then keep the whole ledger from opening.
    std::uint64_t next = next_upload_.load();
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(once, evidence_));
    for (it->Seek(std::string(1, kDoc)); it->Valid() && it->key()[0] == kDoc; it->Next()) {
      EvidenceMeta m;
      if (decode_doc(view(it->value()), &m)) next = std::max(next, m.upload + 1);
    }
    if (!it->status().ok()) return from_rocks(it->status(), "read evidence records");
    for (it->Seek(std::string(1, kPending)); it->Valid() && it->key()[0] == kPending; it->Next())
      if (it->key().size() == 9) next = std::max(next, get_u64(it->key().data() + 1) + 1);
    if (!it->status().ok()) return from_rocks(it->status(), "read evidence upload marks");
    next_upload_ = next;
  }
  if (removed == 0) return Status::ok();
  return write_evidence(wb, true);
}

Result<std::unique_ptr<EvidenceUpload>> Store::begin_evidence(std::string content_type, std::string filename,
                                                              std::string uploader, std::int64_t now_us) {
  std::shared_lock db_lock(db_mu_);
  PL_RETURN_IF_ERROR(usable());
  if (options_.read_only || !evidence_) return Status::unavailable("the store is open read-only");
  return std::unique_ptr<EvidenceUpload>(new EvidenceUpload(this, next_upload_++, generation_.load(),
                                                            std::move(content_type), std::move(filename),
                                                            std::move(uploader), now_us));
}

Result<std::optional<EvidenceMeta>> Store::find_evidence(const Hash& sha256) const {
  // The caller holds db_mu_.
  if (evidence_ == nullptr) return std::optional<EvidenceMeta>();
  std::string value;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), evidence_, evidence_doc_key(sha256), &value);
  if (s.IsNotFound()) return std::optional<EvidenceMeta>();
  if (!s.ok()) return from_rocks(s, "read evidence record");
  EvidenceMeta m;
  if (!decode_doc(value, &m)) return Status::corruption("the record of evidence " + to_hex(sha256) + " is malformed");
  m.sha256 = sha256;
  return std::optional<EvidenceMeta>(std::move(m));
}

Result<EvidenceMeta> Store::evidence_meta(const Hash& sha256) const {
  std::shared_lock db_lock(db_mu_);
  PL_RETURN_IF_ERROR(usable());
  auto m = find_evidence(sha256);
  if (!m) return m.status();
  if (!*m) return Status::not_found("no evidence document " + to_hex(sha256));
  return std::move(**m);
}

Result<std::string> Store::read_evidence(const Hash& sha256) const {
  auto out = read_evidence_unchecked(sha256);
  // A damaged document is remembered until it is read whole again (health
  // reports it, whatever else is fine).
  std::lock_guard lock(faults_mu_);
  if (out.is_ok())
    evidence_faults_.erase(sha256);
  else if (out.status().is(Kind::corruption))
    evidence_faults_[sha256] = out.status().message();
  return out;
}

std::map<Hash, std::string> Store::evidence_faults() const {
  std::lock_guard lock(faults_mu_);
  return evidence_faults_;
}

Status Store::remove_evidence(const Hash& sha256) {
  std::shared_lock db_lock(db_mu_);
  PL_RETURN_IF_ERROR(usable());
  if (options_.read_only || !evidence_) return Status::unavailable("the store is open read-only");
  std::lock_guard one_at_a_time(evidence_mu_);
  auto found = find_evidence(sha256);
  if (!found) return found.status();
  if (!*found) return Status::not_found("no evidence document " + to_hex(sha256));
  rocksdb::WriteBatch wb;
  wb.Delete(evidence_, evidence_doc_key(sha256));
  // Keys only: the uploader records are read, never the pieces.
  std::string prefix = evidence_uploader_key(sha256, "");
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), evidence_));
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) wb.Delete(evidence_, it->key());
  if (!it->status().ok()) return from_rocks(it->status(), "read evidence uploaders");
  wb.DeleteRange(evidence_, evidence_chunk_key((*found)->upload, 0), chunks_end((*found)->upload));
  PL_RETURN_IF_ERROR(write_evidence(wb, true));
  std::lock_guard lock(faults_mu_);
  evidence_faults_.erase(sha256);
  return Status::ok();
}

Result<EvidenceMeta> Store::readable_evidence(const Hash& sha256) const {
  auto found = find_evidence(sha256);
  if (!found) return found.status();
  if (!*found) return Status::not_found("no evidence document " + to_hex(sha256));
  if ((*found)->size > std::uint64_t{(*found)->chunks} * kEvidenceChunkBytes)
    return Status::corruption("evidence " + to_hex(sha256) + ": its record is malformed");
  return std::move(**found);
}

Result<std::string> Store::read_evidence_unchecked(const Hash& sha256) const {
  std::shared_lock db_lock(db_mu_);
  PL_RETURN_IF_ERROR(usable());
  auto found = readable_evidence(sha256);
  if (!found) return found.status();
  const EvidenceMeta& m = *found;
  std::string name = "evidence " + to_hex(sha256);
  std::string out;
  out.reserve(m.size);
  rocksdb::ReadOptions ro;
  ro.fill_cache = false;  // documents are read rarely, and whole
  std::string upper = chunks_end(m.upload);
  rocksdb::Slice upper_slice(upper);
  ro.iterate_upper_bound = &upper_slice;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, evidence_));
  std::uint32_t index = 0;
  for (it->Seek(evidence_chunk_key(m.upload, 0)); it->Valid(); it->Next(), ++index) {
    if (index >= m.chunks || view(it->key()) != evidence_chunk_key(m.upload, index))
      return Status::corruption(name + ": its pieces are not the ones stored (piece " + std::to_string(index) + ")");
    out.append(view(it->value()));
    if (out.size() > m.size) break;
  }
  if (!it->status().ok()) return from_rocks(it->status(), "read " + name);
  if (index != m.chunks || out.size() != m.size)
    return Status::corruption(name + ": " + std::to_string(out.size()) + " bytes in " + std::to_string(index) +
                              " pieces are stored, not " + std::to_string(m.size) + " in " + std::to_string(m.chunks) +
                              "; the store was altered outside the ledger");
  if (pl::sha256(out) != sha256)
    return Status::corruption(name + ": the stored bytes do not hash to it; the store was altered outside the ledger");
  return out;
}

Result<std::vector<EvidenceUploader>> Store::evidence_uploaders(const Hash& sha256) const {
  std::shared_lock db_lock(db_mu_);
  PL_RETURN_IF_ERROR(usable());
  std::vector<EvidenceUploader> out;
  if (!evidence_) return out;
  std::string prefix = evidence_uploader_key(sha256, "");
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), evidence_));
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    if (it->value().size() != 8) return Status::corruption("an uploader record of evidence " + to_hex(sha256));
    out.push_back(
        {std::string(view(it->key()).substr(prefix.size())), static_cast<std::int64_t>(get_u64(it->value().data()))});
  }
  if (!it->status().ok()) return from_rocks(it->status(), "read evidence uploaders");
  return out;
}

Result<std::vector<Hash>> Store::evidence_list() const {
  std::shared_lock db_lock(db_mu_);
  PL_RETURN_IF_ERROR(usable());
  std::vector<Hash> out;
  if (!evidence_) return out;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), evidence_));
  for (it->Seek(std::string(1, kDoc)); it->Valid() && it->key()[0] == kDoc; it->Next()) {
    if (it->key().size() != 33) return Status::corruption("evidence: a malformed document key");
    Hash h;
    std::memcpy(h.data(), it->key().data() + 1, 32);
    out.push_back(h);
  }
  if (!it->status().ok()) return from_rocks(it->status(), "list evidence");
  return out;
}

Status Store::flush_evidence() {
  // The caller holds db_mu_ (shared) and evidence_mu_. RocksDB's own wait
  // for a flush has no bound: on a full or stuck disk it held the evidence
  // worker, and with it every upload and download, for as long as the disk
  // did. So the flush is started without waiting (nor waiting for a write
  // stall to clear), and its end watched here: the immutable memtables of
  // the column family gone (their pieces in synced table and blob files),
  // a background error (the flush failed), or the bound passed.
  if (flush_overdue_.load() && !evidence_flushed())
    return Status::io_error(
        "the storage has not finished writing earlier documents to disk; no document is taken until it has");
  flush_overdue_ = false;
  std::uint64_t errors_before = 0, errors = 0;
  (void)db_->GetIntProperty(rocksdb::DB::Properties::kBackgroundErrors, &errors_before);
  rocksdb::FlushOptions fo;
  fo.wait = false;
  fo.allow_write_stall = true;
  PL_RETURN_IF_ERROR(from_rocks(db_->Flush(fo, evidence_), "flush evidence"));
  auto deadline = std::chrono::steady_clock::now() + options_.evidence_flush_bound;
  for (;;) {
    if (evidence_flushed()) return Status::ok();
    if (db_->GetIntProperty(rocksdb::DB::Properties::kBackgroundErrors, &errors) && errors > errors_before)
      return Status::io_error("the storage failed while writing the document to disk (is the disk full?)");
    if (std::chrono::steady_clock::now() >= deadline) {
      flush_overdue_ = true;
      return Status::io_error("the storage did not write the document to disk within " +
                              std::to_string(options_.evidence_flush_bound.count()) +
                              " ms; nothing was kept, send it again later");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
}

bool Store::evidence_flushed() const {
  std::uint64_t unflushed = 1;
  return db_->GetIntProperty(evidence_, rocksdb::DB::Properties::kNumImmutableMemTable, &unflushed) && unflushed == 0;
}

std::optional<std::string> Store::evidence_write_failure() const {
  std::lock_guard lock(faults_mu_);
  return write_failure_;
}

void Store::note_evidence_write(const Status& st) const {
  std::lock_guard lock(faults_mu_);
  if (st.is_ok())
    write_failure_.reset();
  else if (st.is(Kind::io_error))
    write_failure_ = st.message();
}

// ---- an upload

EvidenceUpload::EvidenceUpload(Store* store, std::uint64_t id, std::uint64_t generation, std::string content_type,
                               std::string filename, std::string uploader, std::int64_t now_us)
    : store_(store),
      id_(id),
      generation_(generation),
      content_type_(std::move(content_type)),
      filename_(std::move(filename)),
      uploader_(std::move(uploader)),
      now_us_(now_us) {}

EvidenceUpload::~EvidenceUpload() { abort(); }

Status EvidenceUpload::put_chunk() {
  // The caller holds the store's db_mu_ (shared).
  rocksdb::WriteBatch wb;
  if (chunks_ == 0) wb.Put(store_->evidence_, evidence_pending_key(id_), "");
  wb.Put(store_->evidence_, evidence_chunk_key(id_, chunks_), pending_);
  PL_RETURN_IF_ERROR(store_->write_evidence(wb, false));
  ++chunks_;
  // Its room goes too: an upload that stalls after a piece holds what came
  // since, not a piece's worth of memory.
  std::string().swap(pending_);
  return Status::ok();
}

Status EvidenceUpload::write(std::string_view bytes) {
  if (done_) return Status::invalid("the upload is over");
  sha_.update(bytes);
  size_ += bytes.size();
  while (!bytes.empty()) {
    std::size_t n = std::min(bytes.size(), kEvidenceChunkBytes - pending_.size());
    pending_.append(bytes.data(), n);
    bytes.remove_prefix(n);
    if (pending_.size() < kEvidenceChunkBytes) break;
    Status st;
    {
      std::shared_lock db_lock(store_->db_mu_);
      st = store_->usable();
      if (st && store_->generation_.load() != generation_)
        st = Status::unavailable("the store was reopened during the upload; send the document again");
      if (st) st = put_chunk();
    }
    if (!st) {
      store_->note_evidence_write(st);
      abort();
      return st;
    }
  }
  return Status::ok();
}

Result<EvidenceStored> EvidenceUpload::finish() {
  if (done_) return Status::invalid("the upload is over");
  if (size_ == 0) {
    abort();
    return Status::invalid("the document is empty");
  }
  EvidenceStored out;
  out.sha256 = sha_.finish();
  out.size = size_;
  Status st = [&]() -> Status {
    std::shared_lock db_lock(store_->db_mu_);
    PL_RETURN_IF_ERROR(store_->usable());
    if (store_->generation_.load() != generation_)
      return Status::unavailable("the store was reopened during the upload; send the document again");
    if (!pending_.empty()) PL_RETURN_IF_ERROR(put_chunk());
    auto* cf = store_->evidence_;
    std::lock_guard one_at_a_time(store_->evidence_mu_);
    auto existing = store_->find_evidence(out.sha256);
    if (!existing) return existing.status();
    std::string when;
    put_u64(when, static_cast<std::uint64_t>(now_us_));
    std::string uploader_key = evidence_uploader_key(out.sha256, uploader_);
    std::string ignored;
    bool known_uploader =
        store_->db_->Get(rocksdb::ReadOptions(), cf, uploader_key, &ignored).ok();  // keep the first time
    rocksdb::WriteBatch wb;
    wb.Delete(cf, evidence_pending_key(id_));
    if (*existing) {
      // Stored already, under one name and type: an upload that names the
      // bytes otherwise is refused, rather than answered with a name the
      // store does not keep (a download and every attachment give the kept one).
      const EvidenceMeta& kept = **existing;
      if (kept.content_type != content_type_ || kept.filename != filename_)
        return Status::conflict("evidence_conflict",
                                "these bytes are stored already as '" + kept.filename + "' (" + kept.content_type +
                                    "), not as '" + filename_ + "' (" + content_type_ +
                                    "): a document keeps one name and type; upload it as '" + kept.filename + "' (" +
                                    kept.content_type + "), or attach the stored one by its hash " +
                                    to_hex(out.sha256));
      // This copy goes; the uploader is recorded, synced.
      wb.DeleteRange(cf, evidence_chunk_key(id_, 0), chunks_end(id_));
      if (!known_uploader) wb.Put(cf, uploader_key, when);
      return store_->write_evidence(wb, true);
    }
    // Durable before it is visible: the pieces (and the upload's mark) go to
    // synced table and blob files first, by a flush without the write lock
    // (commits go on); only then is the record written, through the synced
    // log, with the mark's removal. A crash between the two leaves the mark,
    // and the pieces go at the next open; a record is never seen, by a
    // reader or an attachment, before its pieces are on disk.
    PL_RETURN_IF_ERROR(store_->flush_evidence());
    EvidenceMeta m;
    m.size = size_;
    m.content_type = content_type_;
    m.filename = filename_;
    m.uploaded_at_us = now_us_;
    m.upload = id_;
    m.chunks = chunks_;
    wb.Put(cf, evidence_doc_key(out.sha256), encode_doc(m));
    wb.Put(cf, uploader_key, when);
    PL_RETURN_IF_ERROR(store_->write_evidence(wb, true));
    out.stored = true;
    return Status::ok();
  }();
  store_->note_evidence_write(st);
  if (!st) {
    abort();
    return st;
  }
  done_ = true;
  return out;
}

void EvidenceUpload::abort() {
  if (done_) return;
  done_ = true;
  pending_.clear();
  if (chunks_ == 0) return;  // nothing reached the store
  std::shared_lock db_lock(store_->db_mu_);
  if (!store_->usable() || store_->generation_.load() != generation_) return;  // the reopen removed it
  rocksdb::WriteBatch wb;
  wb.DeleteRange(store_->evidence_, evidence_chunk_key(id_, 0), chunks_end(id_));
  wb.Delete(store_->evidence_, evidence_pending_key(id_));
  // Without the log: if a crash loses this, the mark is there at the next open.
  (void)store_->write_evidence(wb, false).ignore();
}

}  // namespace pl
