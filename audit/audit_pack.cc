// Building the auditor's pack (audit_pack.h); the check is in audit_check.cc.
#include "audit/audit_pack.h"

#include <algorithm>

#include "audit/tar.h"
#include "base/dates.h"
#include "render/event_json.h"
#include "render/views_json.h"

namespace pl {
extern const char* const kEventsSchema;
}  // namespace pl

namespace pl::audit {

using nlohmann::json;

std::string pack_dir(std::uint64_t at) { return "ledger-pack-" + std::to_string(at); }

std::string_view events_schema() { return kEventsSchema; }

json totals_json(const ReadModels& rm) {
  std::int32_t today = day_of(rm.recorded_at_us());
  std::vector<const ProgrammeState*> ps;
  for (auto& [id, p] : rm.core().programmes()) ps.push_back(&p);
  std::sort(ps.begin(), ps.end(), [](auto* a, auto* b) { return a->id < b->id; });
  json programmes = json::array();
  for (const ProgrammeState* p : ps) {
    json pairs = json::array();
    if (const ProgrammeIndex* idx = State::find(rm.programmes(), p->id))
      for (auto& id : idx->pairs)
        if (const PairState* pr = State::find(rm.core().pairs(), id)) pairs.push_back(pair_json(rm, *pr, today));
    programmes.push_back({{"programme", programme_json(rm, *p)},
                          {"pairs", pairs},
                          {"hours_by_mentee", hours_answer(rm, p->id, HoursBy::mentee, "mentee")},
                          {"budget", budget_answer(rm, p->id, true)}});
  }
  return {{"position", rm.position()},
          {"recorded_at", rm.position() ? json(format_instant(rm.recorded_at_us())) : json(nullptr)},
          {"today", format_date(today)},
          {"programmes", programmes}};
}

json evidence_json(const ReadModels& rm) {
  std::vector<const std::string*> hashes;
  for (auto& [hex, links] : rm.evidence())
    if (!links.empty()) hashes.push_back(&hex);
  std::sort(hashes.begin(), hashes.end(), [](auto* a, auto* b) { return *a < *b; });
  json documents = json::array();
  for (const std::string* hex : hashes) {
    const auto& links = *State::find(rm.evidence(), *hex);
    const EvidenceLink& first = links.front();
    documents.push_back({{"sha256", *hex},
                         {"size", first.size},
                         {"content_type", first.content_type},
                         {"filename", rm.text(first.filename)},
                         {"file", std::string(kEvidenceDir) + *hex},
                         {"attachments", evidence_links_json(rm, links)}});
  }
  return {{"position", rm.position()}, {"documents", documents}};
}

namespace {

// The README, with {P}, {DIR} and {ORIGIN} to fill in.
constexpr std::string_view kReadmeTemplate = R"md(# The auditor's pack of {ORIGIN}, events 1 to {P}

This archive holds the whole history of a Programme Ledger up to position {P}, the ledger's
signed checkpoint of it, and the figures the ledger computed from it. All of it can be checked
offline, with this archive and the ledger's verifier key alone.

Get the verifier key from the ledger's operators by a way you trust (they print it with
`ledger key show`; a running ledger serves it at `/v1/audit/key`). Do not take it from this
pack: `verifier-keys.txt` is here for reference only. Whoever made a pack could have put
their own key there and signed their own checkpoint with it, so a pack's own keys prove
nothing.

## The files

| file | what it is |
|---|---|
| `README.md` | this text |
| `MANIFEST.sha256` | the SHA-256 of every other file, as `sha256sum` writes them: `cd {DIR} && sha256sum -c MANIFEST.sha256` |
| `checkpoint.txt` | the ledger's signed checkpoint of its log at size {P}: a signed note (c2sp.org/signed-note) whose text is a checkpoint (c2sp.org/tlog-checkpoint): the origin, the tree size and the Merkle root in base64; then a blank line and the signature line `— <key name> <base64(key id, 4 bytes ‖ Ed25519 signature, 64 bytes)>` |
| `verifier-keys.txt` | every verifier key the ledger has signed with, oldest first, the current one last (for reference: see above) |
| `events.fbs` | the FlatBuffers schema of the events: table `Envelope` (the root type) holds an event's position, stream, time, actor, hashes and its payload, a nested `Payload` |
| `events.bin` | events 1 to {P} as the ledger stores them, in order: for each, its length (4 bytes, big-endian), then its envelope |
| `events.ndjson` | the same events as CloudEvents 1.0 JSON, one a line, exactly as `ledger export --format ndjson` prints them |
| `evidence.json` | every document the events attach (event `EvidenceAttached`), in hash order: its `sha256`, `size`, `content_type` and `filename` as the events give them, its `file` in this pack and its `attachments` (the entity, the kind, the event's position) |
| `evidence/<sha256>` | each of those documents, its bytes as uploaded, named by their SHA-256: `sha256sum evidence/*` shows each name again |
| `totals.json` | the ledger's figures at position {P}, for each programme: its rules and counts (`programme`), its `pairs`, its hours by mentee (`hours_by_mentee`) and its `budget` with, for each figure, the events it was summed from (`explain`). Each is the JSON the API answers at `?at={P}`: an entry of `GET /v1/programmes`, the pairs of `/v1/programmes/{pid}/pairs`, `/v1/programmes/{pid}/hours?group_by=mentee` and `/v1/programmes/{pid}/budget?explain=1`. Warnings are those of the day of event {P} (`today`). `pack_format` is the format of this pack (2) |

## Checking it all

```sh
ledger audit check {DIR}.tar --key '<the verifier key>'
```

reads the archive and nothing else (no ledger, no network) and checks: the manifest (every
file listed with its SHA-256, none missing, none extra); every event of `events.bin` (it
decodes, its position is the next one, its stored hash is the hash of its bytes, its previous
hash is the hash of the event before); the Merkle tree of the events against `checkpoint.txt`,
whose signature must verify with a key given with `--key`; every line of `events.ndjson`
against its event; every document the events attach (in `evidence/`, hashing to the hash its
event names, none missing, none other) and `evidence.json` against the events; and
`totals.json` against the figures recomputed from the events alone, with the ledger's own code.
It prints `ok` and the figures (exit 0), or the first discrepancy with its file, position and
field (exit 2); exit 1 if the file is not a pack. `--key` may be given more than once (a ledger
that rotated its key).

## Checking by hand

Nothing here needs the ledger's code; docs/AUDIT.md in the project says the same at length.

1. **The files.** `sha256sum -c MANIFEST.sha256` in the pack's directory.
2. **Each event.** Read `events.bin`: 4 bytes of length, then that many bytes, {P} times.
   Decode each envelope with `events.fbs` (for one saved as `e.bin`:
   `flatc --json --raw-binary --strict-json events.fbs -- e.bin`, or any FlatBuffers library).
   Its `position` must be 1, 2, 3 and so on; its `hash` must be

   ```
   hash      := SHA-256(canonical)
   canonical := "PLE2" ‖ prev_hash (32 bytes) ‖ u64 position ‖ str stream ‖ u64 stream_version
                ‖ u16 type ‖ u16 schema_version ‖ i64 recorded_at_us ‖ str actor_id ‖ str actor_role
                ‖ str idempotency_key ‖ str correlation_id ‖ str programme_id ‖ u32 rules_version
                ‖ str payload ‖ u32 n ‖ sealed × n
   sealed    := u16 field ‖ u32 m ‖ str subject × m ‖ str box
   str       := u32 length ‖ bytes; every integer big-endian; payload: the bytes of the
                envelope's field `payload` as they are
   ```

   and its `prev_hash` the `hash` of the event before (32 zero bytes for event 1).
3. **The tree.** The leaves are the events' 32-byte hashes in order (event 1 is leaf 0). The
   tree is RFC 6962's: a leaf's hash is SHA-256(0x00 ‖ event hash), a node's
   SHA-256(0x01 ‖ left ‖ right), and a tree of n leaves splits at the largest power of two
   below n. Its root over the {P} leaves must be the third line of `checkpoint.txt` (base64),
   and {P} its second line.
4. **The signature.** A verifier key reads `<name>+<key id, 8 hex digits>+<base64(0x01 ‖ Ed25519
   public key)>`; the key id is the first 4 bytes of SHA-256(name ‖ "\n" ‖ 0x01 ‖ public key).
   The signature line names the key and holds base64(key id ‖ signature); the signature is
   Ed25519 over the checkpoint's text: its first three lines, each with its newline. Tools for
   Go's signed notes (golang.org/x/mod/sumdb/note) read it as it is.
5. **Later.** A checkpoint of a larger tree N, with the ledger's consistency proof
   `/v1/audit/proof/consistency?from={P}&to=N` (RFC 6962), shows that these events are still
   the first {P} of the ledger, unchanged; `/v1/audit/proof/inclusion` shows that one event is
   in a tree.
6. **The documents.** Each `EvidenceAttached` event names a document by its SHA-256; the file
   `evidence/<that hash>` must be here and hash to its name (`cd evidence && sha256sum *`).
7. **The figures.** `totals.json` follows from the events by the programme's rules, as the
   project's README.md and docs/API.md define the budget and the hours; `ledger audit check`
   recomputes them with the ledger's own code.
)md";

std::string replace_all(std::string text, std::string_view what, std::string_view with) {
  for (std::size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + with.size()))
    text.replace(at, what.size(), with);
  return text;
}

}  // namespace

std::string readme_text(std::uint64_t at, const std::string& origin) {
  std::string text(kReadmeTemplate);
  text = replace_all(std::move(text), "{P}", std::to_string(at));
  text = replace_all(std::move(text), "{DIR}", pack_dir(at));
  return replace_all(std::move(text), "{ORIGIN}", origin);
}

namespace {

void put_u32(char* out, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) out[i] = static_cast<char>(v >> (8 * (3 - i)));
}

// The tar's bytes, gathered into pieces of at most kPieceBytes.
class Out {
 public:
  explicit Out(const WritePiece& write) : write_(write) { buf_.reserve(kPieceBytes); }
  Status put(std::string_view b) {
    bytes_ += b.size();
    while (!b.empty()) {
      std::size_t n = std::min(b.size(), kPieceBytes - buf_.size());
      buf_.append(b.data(), n);
      b.remove_prefix(n);
      if (buf_.size() == kPieceBytes) PL_RETURN_IF_ERROR(flush());
    }
    return Status::ok();
  }
  Status zeros(std::size_t n) { return put(std::string(n, '\0')); }
  Status flush() {
    if (buf_.empty()) return Status::ok();
    Status st = write_(buf_);
    buf_.clear();
    return st;
  }
  std::uint64_t bytes() const { return bytes_; }

 private:
  const WritePiece& write_;
  std::string buf_;
  std::uint64_t bytes_ = 0;
};

Status put_header(Out& out, const std::string& name, char type, std::uint64_t size, std::int64_t mtime) {
  tar::Entry e;
  e.name = name;
  e.type = type;
  e.size = size;
  e.mtime = mtime;
  e.mode = type == '5' ? 0755 : 0644;
  auto h = tar::header(e);
  if (!h) return h.status();
  return out.put(*h);
}

// A file's measure: its size and SHA-256.
struct Measure {
  std::uint64_t size = 0;
  Sha256Stream sha;
  void add(std::string_view b) {
    size += b.size();
    sha.update(b);
  }
};

// Events 1..at through fn, read with a second thread when there are many.
Status each_event(const Store& store, std::uint64_t at, const std::function<Status(const EventView&)>& fn) {
  if (at == 0) return Status::ok();
  std::uint64_t next = 1;
  auto counted = [&](const EventView& e) {
    if (e.position() != next)
      return Status::corruption("position " + std::to_string(next) + " was expected, not " +
                                std::to_string(e.position()));
    ++next;
    return fn(e);
  };
  PL_RETURN_IF_ERROR(at > 20'000 ? store.scan_pipelined(1, at, counted) : store.scan(1, at, counted));
  if (next != at + 1)
    return Status::internal("the store gave " + std::to_string(next - 1) + " events, not " + std::to_string(at));
  return Status::ok();
}

}  // namespace

Result<PackSummary> build_pack(const Store& store, const Signer& signer, std::uint64_t at, const WritePiece& write) {
  Head head = store.head();
  if (at == 0) at = head.position;
  if (at > head.position)
    return Status::invalid("position " + std::to_string(at) + " is past the head (" + std::to_string(head.position) +
                           ")");
  auto checkpoint = signer.checkpoint(at);
  if (!checkpoint) return checkpoint.status();
  auto root = store.tree_root(at);
  if (!root) return root.status();

  PackSummary sum;
  sum.position = at;
  sum.root = *root;
  sum.origin = signer.origin();

  // First pass: the read models, and the measure of the events' files. The
  // read models serve totals.json alone and are let go before the events
  // are written.
  Measure bin1, nd1;
  std::int64_t mtime = 0;
  std::string totals_text, evidence_text;
  std::vector<PackSummary::File> documents;  // evidence/<sha256>: the size the events give, the hash they name
  {
    ReadModels rm;
    Status st = each_event(store, at, [&](const EventView& e) {
      rm.apply(e);
      if (e.stored.size() > UINT32_MAX) return Status::internal("an envelope of more than 4 GiB");
      char len[4];
      put_u32(len, static_cast<std::uint32_t>(e.stored.size()));
      bin1.add(std::string_view(len, 4));
      bin1.add(e.stored);
      nd1.add(ndjson_line(e, nullptr));
      return Status::ok();
    });
    if (!st) return st;
    mtime = rm.recorded_at_us() / 1'000'000;
    json totals = totals_json(rm);
    totals["pack_format"] = kPackFormat;
    sum.programmes = totals["programmes"].size();
    totals_text = totals.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
    json evidence = evidence_json(rm);
    for (auto& d : evidence["documents"]) {
      Hash h;
      if (!from_hex(d["sha256"].get<std::string>(), &h)) return Status::internal("an attached document's hash");
      documents.push_back({d["file"].get<std::string>(), d["size"].get<std::uint64_t>(), h});
    }
    evidence_text = evidence.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
  }
  std::string verifiers;
  for (auto& v : signer.verifiers()) verifiers += v + "\n";
  std::pair<const char*, std::string> small[] = {{kReadme, readme_text(at, sum.origin)},
                                                 {kCheckpoint, *checkpoint},
                                                 {kVerifierKeys, verifiers},
                                                 {kSchema, std::string(events_schema())},
                                                 {kTotals, std::move(totals_text)}};
  for (auto& [name, text] : small) sum.files.push_back({name, text.size(), sha256(text)});
  sum.files.push_back({kEventsBin, bin1.size, bin1.sha.finish()});
  sum.files.push_back({kEventsNdjson, nd1.size, nd1.sha.finish()});
  sum.files.push_back({kEvidence, evidence_text.size(), sha256(evidence_text)});
  for (auto& d : documents) sum.files.push_back(d);
  sum.documents = documents.size();
  std::string manifest;
  for (auto& f : sum.files) manifest += to_hex(f.sha256) + "  " + f.path + "\n";

  // The tar: the directory, the manifest after the README, then the rest.
  std::string dir = pack_dir(at) + "/";
  Out out(write);
  auto put_file = [&](const std::string& name, std::string& text) {
    PL_RETURN_IF_ERROR(put_header(out, dir + name, '0', text.size(), mtime));
    PL_RETURN_IF_ERROR(out.put(text));
    PL_RETURN_IF_ERROR(out.zeros(tar::padding(text.size())));
    std::string().swap(text);  // written: let it go
    return Status::ok();
  };
  PL_RETURN_IF_ERROR(put_header(out, dir, '5', 0, mtime));
  PL_RETURN_IF_ERROR(put_file(small[0].first, small[0].second));
  PL_RETURN_IF_ERROR(put_file(kManifest, manifest));
  for (std::size_t i = 1; i < std::size(small); ++i) PL_RETURN_IF_ERROR(put_file(small[i].first, small[i].second));

  // The events' files, each read again and measured again: the bytes must be
  // those the manifest and the header announced.
  auto stream = [&](const PackSummary::File& f, const std::function<Status(const EventView&, Measure&)>& each) {
    PL_RETURN_IF_ERROR(put_header(out, dir + f.path, '0', f.size, mtime));
    Measure again;
    PL_RETURN_IF_ERROR(each_event(store, at, [&](const EventView& e) { return each(e, again); }));
    if (again.size != f.size || again.sha.finish() != f.sha256)
      return Status::internal(f.path + ": the events read again gave other bytes (" + std::to_string(again.size) +
                              " bytes, not " + std::to_string(f.size) + ")");
    return out.zeros(tar::padding(f.size));
  };
  Status bin = stream(sum.files[5], [&](const EventView& e, Measure& m) {
    char len[4];
    put_u32(len, static_cast<std::uint32_t>(e.stored.size()));
    m.add(std::string_view(len, 4));
    m.add(e.stored);
    PL_RETURN_IF_ERROR(out.put(std::string_view(len, 4)));
    return out.put(e.stored);
  });
  if (!bin) return bin;
  Status ndjson = stream(sum.files[6], [&](const EventView& e, Measure& m) {
    std::string line = ndjson_line(e, nullptr);
    m.add(line);
    return out.put(line);
  });
  if (!ndjson) return ndjson;
  // The documents, each read from the store and hashed again as it is read:
  // the bytes must be those the events name.
  PL_RETURN_IF_ERROR(put_file(kEvidence, evidence_text));
  if (!documents.empty()) PL_RETURN_IF_ERROR(put_header(out, dir + kEvidenceDir, '5', 0, mtime));
  for (auto& d : documents) {
    auto bytes = store.read_evidence(d.sha256);
    if (!bytes) {
      if (bytes.status().is(Kind::not_found))
        return Status::corruption("document " + to_hex(d.sha256) + ", attached by an event, is not in the store");
      return bytes.status();
    }
    if (bytes->size() != d.size)
      return Status::corruption("document " + to_hex(d.sha256) + " has " + std::to_string(bytes->size()) +
                                " bytes; its events say " + std::to_string(d.size));
    PL_RETURN_IF_ERROR(put_header(out, dir + d.path, '0', d.size, mtime));
    PL_RETURN_IF_ERROR(out.put(*bytes));
    PL_RETURN_IF_ERROR(out.zeros(tar::padding(d.size)));
  }
  PL_RETURN_IF_ERROR(out.put(tar::trailer()));
  PL_RETURN_IF_ERROR(out.flush());
  sum.bytes = out.bytes();
  return sum;
}

}  // namespace pl::audit
