// Evidence documents kept beside the log (log/store_evidence.cc; the Store's
// evidence methods are in store.h): what is known of a stored document, and
// an upload in progress.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "base/sha256.h"
#include "base/status.h"
#include "log/envelope.h"

namespace pl {

class Store;

// A document kept beside the log (evidence: an invoice's PDF, a scanned
// attendance sheet), content-addressed by the SHA-256 of its bytes.
struct EvidenceMeta {
  Hash sha256{};
  std::uint64_t size = 0;
  std::string content_type;  // as declared when it was first uploaded
  std::string filename;      // likewise
  std::int64_t uploaded_at_us = 0;
  // Where its bytes are: the upload that stored them, in `chunks` pieces
  // (evidence_chunk_key; for tools and tests).
  std::uint64_t upload = 0;
  std::uint32_t chunks = 0;
};

// One uploader of a document: the token's name, and when it first uploaded it.
struct EvidenceUploader {
  std::string name;
  std::int64_t uploaded_at_us = 0;
};

// What finishing an upload found.
struct EvidenceStored {
  Hash sha256{};
  std::uint64_t size = 0;
  bool stored = false;  // false: the same bytes were stored already (they are kept once)
};

// A document being uploaded: made by Store::begin_evidence(), fed with
// write(), ended by finish() or abort(). Its bytes go to the store in pieces
// of kEvidenceChunkBytes as they come, outside the writer's synced batch
// (without the write-ahead log); finish() makes them durable. Nothing of an
// upload that is aborted, dropped unfinished, or cut by a crash is kept (a
// crash's leftovers are removed at the next open for writing). It keeps a
// pointer to its Store, which must outlive it. One thread at a time.
class EvidenceUpload {
 public:
  ~EvidenceUpload();  // aborts an upload not finished
  EvidenceUpload(const EvidenceUpload&) = delete;
  EvidenceUpload& operator=(const EvidenceUpload&) = delete;

  // Adds bytes at the end. Fails (and the upload is then aborted) with
  // unavailable or io_error when the store cannot take them;
  // invalid_argument after finish() or abort().
  Status write(std::string_view bytes);
  // Stores the document under the SHA-256 of its bytes, unless those bytes
  // are stored already (then the copy is dropped and `stored` is false), and
  // records the uploader; durable when it returns. invalid_argument for an
  // upload without bytes; conflict "evidence_conflict" for bytes stored
  // already under another file name or type (a document keeps one of each);
  // the store's errors otherwise (nothing then kept).
  Result<EvidenceStored> finish();
  // Drops what was written. Idempotent.
  void abort();
  // The bytes written so far.
  std::uint64_t size() const { return size_; }

 private:
  friend class Store;
  EvidenceUpload(Store* store, std::uint64_t id, std::uint64_t generation, std::string content_type,
                 std::string filename, std::string uploader, std::int64_t now_us);
  Status put_chunk();
  Store* store_;
  std::uint64_t id_;
  std::uint64_t generation_;  // the store's reopen count when it began
  std::string content_type_, filename_, uploader_;
  std::int64_t now_us_;
  std::string pending_;       // bytes not yet written, less than one chunk
  std::uint32_t chunks_ = 0;  // chunks written
  std::uint64_t size_ = 0;
  Sha256Stream sha_;
  bool done_ = false;  // finished or aborted
};

// A stored document's bytes, read a piece (kEvidenceChunkBytes, the last
// one less) at a time, each from the store when it is asked for: a reader
// holds one piece, and no lock between two. The bytes are hashed as they
// come: the end (an empty piece) comes only once they hash to the document's
// name and have its size; corruption otherwise (a piece missing, changed or
// of another size). Made by Store::evidence_reader(); it keeps a pointer to
// its Store, which must outlive it. One thread at a time.
class EvidenceReader {
 public:
  ~EvidenceReader();
  EvidenceReader(const EvidenceReader&) = delete;
  EvidenceReader& operator=(const EvidenceReader&) = delete;
  const EvidenceMeta& meta() const { return meta_; }
  // The next piece; empty at the end.
  Result<std::string> next();

 private:
  friend class Store;
  EvidenceReader(const Store* store, EvidenceMeta meta);
  Result<std::string> read_next();  // next() without keeping its faults
  const Store* store_;
  EvidenceMeta meta_;
  std::uint32_t index_ = 0;  // the next piece
  std::uint64_t read_ = 0;   // bytes read so far
  Sha256Stream sha_;
};

}  // namespace pl
