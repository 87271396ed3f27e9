// The auditor's pack: the ledger up to a position P in one POSIX ustar file
// that can be checked offline, with nothing but the file and the ledger's
// verifier key (docs/AUDIT.md).
//
//   ledger-pack-<P>/README.md         what each file is and how to check it by hand
//   ledger-pack-<P>/MANIFEST.sha256   sha256sum lines for every other file
//   ledger-pack-<P>/checkpoint.txt    the signed checkpoint of the tree of size P
//   ledger-pack-<P>/verifier-keys.txt every verifier key of the ledger, the current last
//   ledger-pack-<P>/events.fbs        the event schema
//   ledger-pack-<P>/totals.json       the read models' totals at P
//   ledger-pack-<P>/events.bin        events 1..P as stored: u32 length (big-endian) ‖ envelope
//   ledger-pack-<P>/events.ndjson     the same events as CloudEvents JSON, one a line
//   ledger-pack-<P>/evidence.json     the documents the events attach: hash, size, type, name, attachments
//   ledger-pack-<P>/evidence/<sha256> each of those documents' bytes, named by their SHA-256
//
// build_pack() writes the tar piece by piece and never holds more than one
// piece (about 256 KiB) and the read models: a tar header states its file's
// size before the bytes, so the events are read three times. The first pass
// folds them into the read models (needed for totals.json anyway) and
// measures and hashes events.bin and events.ndjson (the manifest comes
// second in the tar, before the files it lists); the second writes
// events.bin, the third events.ndjson, each hashed again and compared with
// the first pass. Rendering each event as JSON twice costs less than keeping
// a temporary file as large as the pack, which a server streaming the pack
// could not promise to have.
//
// The documents are read from the store once each, after the events, their
// hashes checked as every read of a document checks them (the manifest names
// a document by the hash its events name, so it is known before its bytes).
//
// check_pack() reads only the tar: the manifest, the hash chain and every
// envelope hash, every document the events attach (present, hashing to the
// hash the events name, and nothing else), the Merkle tree against
// checkpoint.txt opened with the keys the caller trusts (never only the
// pack's own verifier-keys.txt, which proves nothing), events.ndjson against
// the events, and totals.json against read models folded from the events
// with the server's own fold.
//
// Thread safety: build_pack() reads the store as its scans do (any thread);
// check_pack() shares nothing.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "domain/sampling.h"
#include "log/note.h"
#include "log/signer.h"
#include "log/store.h"
#include "read/read_models.h"

namespace pl::audit {

// The pack's files, in the order the tar holds them.
inline constexpr const char* kReadme = "README.md";
inline constexpr const char* kManifest = "MANIFEST.sha256";
inline constexpr const char* kCheckpoint = "checkpoint.txt";
inline constexpr const char* kVerifierKeys = "verifier-keys.txt";
inline constexpr const char* kSchema = "events.fbs";
inline constexpr const char* kTotals = "totals.json";
inline constexpr const char* kEventsBin = "events.bin";
inline constexpr const char* kEventsNdjson = "events.ndjson";
inline constexpr const char* kEvidence = "evidence.json";
// The directory of the documents, each under its SHA-256 (64 lower-case hex digits).
inline constexpr const char* kEvidenceDir = "evidence/";

// The format of the packs this ledger writes, declared in totals.json as
// "pack_format" (a pack without it is of format 1, written before packs
// declared one). Format 2 holds every figure and field this ledger gives;
// audit_compare.h says what a pack of format 1 may lack.
inline constexpr int kPackFormat = 2;

// The pack's top directory: "ledger-pack-<P>".
std::string pack_dir(std::uint64_t at);
// schemas/events.fbs, compiled in.
std::string_view events_schema();
// The pack's README.md.
std::string readme_text(std::uint64_t at, const std::string& origin);
// totals.json: the read models' totals, from `rm` alone. Warnings are
// computed for the day of the last event folded.
nlohmann::json totals_json(const ReadModels& rm);
// evidence.json: every document the events folded into `rm` attach, in hash
// order, with its size, type and name (as the events give them) and its
// attachments.
nlohmann::json evidence_json(const ReadModels& rm);

// Receives the tar's bytes in order, in pieces of at most kPieceBytes; a
// status that is not ok stops the build and is returned. A caller streaming
// to a slow reader may block in it.
inline constexpr std::size_t kPieceBytes = 256 * 1024;
using WritePiece = std::function<Status(std::string_view piece)>;

struct PackSummary {
  std::uint64_t position = 0;  // P
  Hash root{};                 // the tree's root at P
  std::string origin;
  std::uint64_t bytes = 0;  // the tar's length
  std::uint64_t programmes = 0;
  std::uint64_t documents = 0;  // evidence documents
  // (path inside the top directory, size, SHA-256) of each file but the manifest.
  struct File {
    std::string path;
    std::uint64_t size = 0;
    Hash sha256{};
  };
  std::vector<File> files;
};

// Writes the pack of events 1..`at` (0: the head) through `write`.
// invalid_argument for a position past the head or the store's tree; the
// store's errors as they come (corruption names the position); internal if
// an event read twice gave other bytes. After an error the bytes written are
// not a pack: a streaming caller must cut its answer, not end it.
Result<PackSummary> build_pack(const Store& store, const Signer& signer, std::uint64_t at, const WritePiece& write);

// Random access to the tar's bytes (a file, or bytes in memory).
class Source {
 public:
  virtual ~Source() = default;
  virtual std::uint64_t size() const = 0;
  // Exactly n bytes from `offset`; io_error if they cannot be read.
  virtual Status read_at(std::uint64_t offset, char* out, std::size_t n) const = 0;
};
Result<std::unique_ptr<Source>> file_source(const std::string& path);
// Borrows `bytes`, which must outlive the source.
std::unique_ptr<Source> memory_source(std::string_view bytes);

struct CheckReport {
  bool ok = false;
  // Not a pack at all (not a ustar archive, no top directory): nothing else
  // could be checked. The command exits 1 then, 2 for any other failure.
  bool unusable = false;
  // The first discrepancy: the file, the position (0: none), the field or
  // JSON path (may be empty) and a sentence.
  std::string file;
  std::uint64_t position = 0;
  std::string field;
  std::string message;

  // What was checked.
  std::string dir;
  std::uint64_t files = 0;
  std::uint64_t events = 0;
  std::uint64_t tree_size = 0;
  Hash root{};
  std::string origin;
  std::string signed_by;  // the verifier key that opened checkpoint.txt
  std::uint64_t ndjson_lines = 0;
  std::uint64_t programmes = 0;
  std::uint64_t pairs = 0;
  std::uint64_t documents = 0;  // evidence documents, each hashing to the hash its events name
  std::uint64_t document_bytes = 0;
  std::uint64_t totals_values = 0;  // JSON leaves of totals.json compared
  int format = 0;                   // the format the pack declares (1: none declared)
  // Figures of totals.json and fields of events.ndjson's lines that the
  // events give and a pack of format 1 lacks (added since).
  std::uint64_t totals_absent = 0;
  std::uint64_t ndjson_absent = 0;
  // Every sample of the pack, drawn again (domain/sampling.h).
  std::vector<SampleRedraw> samples;

  // "ok ..." with the figures, or "FAILED ..." naming the discrepancy.
  std::string text() const;
};

// Checks the pack in `tar` against `keys`, the verifier keys the caller
// trusts (at least one).
CheckReport check_pack(const Source& tar, const std::vector<note::Verifier>& keys);

}  // namespace pl::audit
