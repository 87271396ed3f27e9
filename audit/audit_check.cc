// Checking the auditor's pack offline (audit_pack.h): the tar alone, and the
// verifier keys the caller trusts.
#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>
#include <optional>
#include <set>
#include <sstream>

#include "audit/audit_compare.h"
#include "audit/audit_pack.h"
#include "audit/tar.h"
#include "domain/sampling.h"
#include "log/merkle.h"
#include "render/event_json.h"

namespace pl::audit {

using nlohmann::json;

namespace {

// A member's bytes, read in order through a buffer.
class Reader {
 public:
  Reader(const Source& src, std::uint64_t offset, std::uint64_t size) : src_(src), off_(offset), left_(size) {}
  std::uint64_t left() const { return left_ + (buf_.size() - pos_); }
  std::uint64_t consumed(std::uint64_t size) const { return size - left(); }
  // Exactly n bytes; false when fewer are left (then none are taken).
  Result<bool> read(char* out, std::size_t n) {
    if (n > left()) return false;
    while (n > 0) {
      if (pos_ == buf_.size()) PL_RETURN_IF_ERROR(fill());
      std::size_t k = std::min(n, buf_.size() - pos_);
      std::memcpy(out, buf_.data() + pos_, k);
      pos_ += k;
      out += k;
      n -= k;
    }
    return true;
  }
  // The next line with its newline; the rest without one at the end; nullopt
  // at the end. A line longer than `max` is refused (invalid_argument).
  Result<std::optional<std::string>> line(std::size_t max) {
    std::string out;
    while (true) {
      if (pos_ == buf_.size()) {
        if (left_ == 0) break;
        PL_RETURN_IF_ERROR(fill());
      }
      std::string_view rest = std::string_view(buf_).substr(pos_);
      std::size_t nl = rest.find('\n');
      std::size_t k = nl == std::string_view::npos ? rest.size() : nl + 1;
      out.append(rest.substr(0, k));
      pos_ += k;
      if (out.size() > max) return Status::invalid("a line longer than " + std::to_string(max) + " bytes");
      if (nl != std::string_view::npos) return std::optional<std::string>(std::move(out));
    }
    if (out.empty()) return std::optional<std::string>();
    return std::optional<std::string>(std::move(out));
  }

 private:
  Status fill() {
    std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(left_, 1 << 20));
    buf_.resize(n);
    pos_ = 0;
    PL_RETURN_IF_ERROR(src_.read_at(off_, buf_.data(), n));
    off_ += n;
    left_ -= n;
    return Status::ok();
  }
  const Source& src_;
  std::uint64_t off_, left_;
  std::string buf_;
  std::size_t pos_ = 0;
};

struct Member {
  std::uint64_t offset = 0;  // of its bytes
  std::uint64_t size = 0;
};

// An envelope copied to an 8-byte aligned buffer (FlatBuffers are read in place).
class Aligned {
 public:
  std::string_view set(std::size_t n) {
    words_.resize((n + 7) / 8);
    n_ = n;
    return view();
  }
  char* data() { return reinterpret_cast<char*>(words_.data()); }
  std::string_view view() const { return std::string_view(reinterpret_cast<const char*>(words_.data()), n_); }

 private:
  std::vector<std::uint64_t> words_;
  std::size_t n_ = 0;
};

std::uint32_t get_u32(const char* p) {
  std::uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}

// events.bin read again once step 3 has checked every record: its events in
// order, each valid until the next is read.
class CheckedEvents {
 public:
  CheckedEvents(const Source& src, const Member& m) : rd_(src, m.offset, m.size) {}
  // The next event; nullopt when events.bin could not be read again.
  std::optional<EventView> next() {
    char len[4];
    auto got = rd_.read(len, 4);
    if (got && *got) {
      buf_.set(get_u32(len));
      got = rd_.read(buf_.data(), buf_.view().size());
    }
    if (!got || !*got) return std::nullopt;
    return view_of_verified(buf_.view());  // decoded in step 3
  }

 private:
  Reader rd_;
  Aligned buf_;
};

bool is_hex64(std::string_view s) {
  return s.size() == 64 && s.find_first_not_of("0123456789abcdefABCDEF") == std::string_view::npos;
}

// The pack's files, in the order the build writes them (the manifest apart).
const char* const kFiles[] = {kReadme, kCheckpoint, kVerifierKeys, kSchema, kTotals, kEventsBin, kEventsNdjson};

// A document's file: evidence/<64 lower-case hex digits>.
bool is_document(std::string_view path) {
  std::string_view dir = kEvidenceDir;
  if (path.substr(0, dir.size()) != dir) return false;
  std::string_view name = path.substr(dir.size());
  return name.size() == 64 && name.find_first_not_of("0123456789abcdef") == std::string_view::npos;
}

}  // namespace

std::string CheckReport::text() const {
  std::ostringstream out;
  if (!ok) {
    out << "FAILED: " << (file.empty() ? "the pack" : file);
    if (position) out << ", position " << position;
    if (!field.empty()) out << ", " << field;
    out << ": " << message << "\n";
    return out.str();
  }
  out << "ok: " << dir << " checks out (pack format " << format << ")\n"
      << "  files   " << files << ", each with the SHA-256 MANIFEST.sha256 gives\n"
      << "  events  " << events << " (positions 1 to " << events
      << "): each decodes, hashes to its stored hash and links to the one before\n"
      << "  tree    size " << tree_size << ", root " << to_hex(root) << ": as in checkpoint.txt, signed by "
      << signed_by << "\n"
      << "  ndjson  " << ndjson_lines << " lines, each the CloudEvents JSON of its event\n"
      << "  evidence " << documents << " documents, " << document_bytes
      << " bytes: each one the events attach, hashing to the hash they name\n"
      << "  totals  " << programmes << " programmes, " << pairs << " pairs: " << totals_values
      << " values of totals.json, each as recomputed from the events\n";
  if (!samples.empty())
    out << "  samples " << samples.size()
        << " drawn again from the events before each, with the previous hash as seed: the same selection\n";
  if (format < kPackFormat)
    out << "  note    a pack of format " << format << ", written by an earlier version: " << ndjson_absent
        << " fields of its events and " << totals_absent
        << " figures of its totals added since are not in it (every one it has was compared)\n";
  return out.str();
}

CheckReport check_pack(const Source& tar_src, const std::vector<note::Verifier>& keys) {
  CheckReport r;
  auto fail = [&](std::string file, std::uint64_t position, std::string field, std::string message) {
    r.ok = false;
    r.file = std::move(file);
    r.position = position;
    r.field = std::move(field);
    r.message = std::move(message);
    return r;
  };
  auto unusable = [&](std::string message) {
    r.unusable = true;
    return fail("", 0, "", std::move(message));
  };
  if (keys.empty()) return unusable("no verifier key to check the checkpoint with");

  // The archive: a top directory ledger-pack-<P>/ and regular files in it.
  std::map<std::string, Member> members;
  std::uint64_t at = 0;
  std::string top;
  std::uint64_t offset = 0;
  char block[tar::kBlock];
  while (true) {
    if (offset + tar::kBlock > tar_src.size())
      return unusable("the archive ends at byte " + std::to_string(tar_src.size()) +
                      " without its end blocks: it was cut");
    if (Status st = tar_src.read_at(offset, block, tar::kBlock); !st) return unusable(st.message());
    auto h = tar::parse_header(std::string_view(block, tar::kBlock));
    if (!h) return unusable("not a ustar archive (at byte " + std::to_string(offset) + "): " + h.status().message());
    if (!*h) break;
    const tar::Entry& e = **h;
    offset += tar::kBlock;
    if (e.size > tar_src.size() - offset) return unusable("the archive was cut inside '" + e.name + "'");
    if (top.empty()) {
      std::string_view name = e.name;
      std::size_t slash = name.find('/');
      std::string_view first = name.substr(0, slash);
      std::string_view digits = first.substr(std::min(first.size(), std::string_view("ledger-pack-").size()));
      if (first.substr(0, 12) != "ledger-pack-" || digits.empty() || digits.size() > 19 ||
          digits.find_first_not_of("0123456789") != std::string_view::npos)
        return unusable("not an auditor's pack: its first entry is '" + e.name +
                        "', not in a directory ledger-pack-<position>/");
      top = std::string(first);
      at = std::stoull(std::string(digits));
      r.dir = top;
    }
    std::string prefix = top + "/";
    if (e.type == '5') {
      if (e.name != prefix && e.name != top && e.name != prefix + kEvidenceDir)
        return fail(e.name, 0, "",
                    "a directory the pack does not have (it holds " + prefix + " and " + prefix + kEvidenceDir + ")");
    } else if (e.type != '0') {
      return fail(e.name, 0, "", std::string("an entry of tar type '") + e.type + "'; a pack holds regular files only");
    } else {
      if (e.name.compare(0, prefix.size(), prefix) != 0 || e.name.size() == prefix.size())
        return fail(e.name, 0, "", "a file outside " + prefix);
      std::string rel = e.name.substr(prefix.size());
      if (members.count(rel)) return fail(rel, 0, "", "the archive holds it twice");
      members[rel] = Member{offset, e.size};
    }
    offset += e.size + tar::padding(e.size);
  }
  if (top.empty()) return unusable("an empty archive");

  auto read_small = [&](const char* name, std::size_t max) -> Result<std::string> {
    const Member& m = members.at(name);
    if (m.size > max) return Status::invalid("larger than " + std::to_string(max) + " bytes");
    std::string s(static_cast<std::size_t>(m.size), '\0');
    PL_RETURN_IF_ERROR(tar_src.read_at(m.offset, s.data(), s.size()));
    return s;
  };

  // 1. The manifest: every file listed with its SHA-256, none missing, none extra.
  if (!members.count(kManifest)) return fail(kManifest, 0, "", "the pack has no manifest");
  auto manifest = read_small(kManifest, 1 << 20);
  if (!manifest) return fail(kManifest, 0, "", manifest.status().message());
  std::map<std::string, std::string> listed;  // path -> hex
  std::map<std::string, std::string> hashed;  // path -> the SHA-256 of its bytes, as read
  {
    std::istringstream in(*manifest);
    std::string line;
    std::uint64_t n = 0;
    while (std::getline(in, line)) {
      ++n;
      // "<64 hex>  <path>" (two spaces; sha256sum's binary mode writes " *").
      if (line.size() < 67 || !is_hex64(std::string_view(line).substr(0, 64)) || line[64] != ' ' ||
          (line[65] != ' ' && line[65] != '*'))
        return fail(kManifest, 0, "line " + std::to_string(n), "not '<64 hex digits>  <file>'");
      std::string path = line.substr(66), hex = line.substr(0, 64);
      std::transform(hex.begin(), hex.end(), hex.begin(), [](char c) { return static_cast<char>(std::tolower(c)); });
      if (listed.count(path)) return fail(kManifest, 0, "line " + std::to_string(n), path + " is listed twice");
      listed[path] = hex;
    }
  }
  for (const char* f : kFiles)
    if (!members.count(f)) return fail(f, 0, "", "missing from the pack");
  for (auto& member : members) {
    const std::string& path = member.first;
    if (path == kManifest) continue;
    if (std::find_if(std::begin(kFiles), std::end(kFiles), [&](const char* f) { return path == f; }) ==
            std::end(kFiles) &&
        path != kEvidence && !is_document(path))
      return fail(path, 0, "", "a file a pack does not have");
    if (!listed.count(path)) return fail(kManifest, 0, "", path + " is in the pack but not in the manifest");
  }
  for (auto& [path, hex] : listed) {
    if (path == kManifest) return fail(kManifest, 0, "", "it lists itself; it lists every other file");
    auto it = members.find(path);
    if (it == members.end()) return fail(kManifest, 0, "", "it lists " + path + ", which the pack does not hold");
    Reader rd(tar_src, it->second.offset, it->second.size);
    Sha256Stream sha;
    std::string buf(1 << 16, '\0');
    while (rd.left() > 0) {
      std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(rd.left(), buf.size()));
      auto got = rd.read(buf.data(), n);
      if (!got) return unusable(got.status().message());
      sha.update(std::string_view(buf.data(), n));
    }
    std::string actual = to_hex(sha.finish());
    if (actual != hex) return fail(path, 0, "sha256", "its SHA-256 is " + actual + ", the manifest says " + hex);
    hashed[path] = actual;
    ++r.files;
  }

  // 2. The checkpoint, opened with a key the caller trusts.
  auto signed_note = read_small(kCheckpoint, 1 << 16);
  if (!signed_note) return fail(kCheckpoint, 0, "", signed_note.status().message());
  note::Verifier signer;
  auto text = note::open(*signed_note, keys, &signer);
  if (!text)
    return fail(kCheckpoint, 0, "signature", "does not verify with the given key(s): " + text.status().message());
  auto cp = note::parse_checkpoint(*text);
  if (!cp) return fail(kCheckpoint, 0, "", cp.status().message());
  if (cp->origin != signer.name)
    return fail(kCheckpoint, 0, "origin",
                "the checkpoint is of '" + cp->origin + "' but signed by the key of '" + signer.name + "'");
  if (cp->size != at)
    return fail(kCheckpoint, 0, "size",
                "the tree size is " + std::to_string(cp->size) + ", the pack is of " + std::to_string(at) + " events");
  r.origin = cp->origin;
  {
    char id[9];
    std::snprintf(id, sizeof id, "%08x", signer.id);
    r.signed_by = signer.name + " (key id " + id + ")";
  }
  // The pack's own list must name the key that signed (a ledger lists every
  // key it signs with), though the list itself proves nothing.
  auto key_list = read_small(kVerifierKeys, 1 << 20);
  if (!key_list) return fail(kVerifierKeys, 0, "", key_list.status().message());
  {
    std::istringstream in(*key_list);
    std::string line;
    std::uint64_t n = 0;
    bool listed_signer = false;
    while (std::getline(in, line)) {
      ++n;
      auto v = note::parse_verifier(line);
      if (!v) return fail(kVerifierKeys, 0, "line " + std::to_string(n), v.status().message());
      if (v->name == signer.name && v->id == signer.id && v->public_key == signer.public_key) listed_signer = true;
    }
    if (!listed_signer) return fail(kVerifierKeys, 0, "", "it does not list the key that signed checkpoint.txt");
  }

  // 3. The events: each decodes, comes next, hashes to its stored hash and
  // links to the one before; their hashes make the tree. Nothing of them is
  // folded before the tree is found to be the signed one (4.).
  merkle::Frontier tree;
  {
    const Member& m = members.at(kEventsBin);
    Reader rd(tar_src, m.offset, m.size);
    Aligned buf;
    Hash prev{};
    std::int64_t prev_us = 0;
    std::uint64_t expected = 1;
    while (rd.left() > 0) {
      std::uint64_t at_byte = rd.consumed(m.size);
      char len[4];
      auto got = rd.read(len, 4);
      if (!got) return unusable(got.status().message());
      if (!*got)
        return fail(
            kEventsBin, expected, "length",
            "cut inside the length of event " + std::to_string(expected) + " (byte " + std::to_string(at_byte) + ")");
      std::uint32_t n = get_u32(len);
      if (n > rd.left())
        return fail(kEventsBin, expected, "length",
                    "event " + std::to_string(expected) + " (byte " + std::to_string(at_byte) + ") claims " +
                        std::to_string(n) + " bytes, " + std::to_string(rd.left()) + " are left");
      buf.set(n);
      got = rd.read(buf.data(), n);
      if (!got) return unusable(got.status().message());
      auto ev = decode_event(buf.view());
      if (!ev)
        return fail(kEventsBin, expected, "envelope",
                    "the record at byte " + std::to_string(at_byte) + " does not decode: " + ev.status().message());
      if (ev->position() != expected)
        return fail(kEventsBin, expected, "position",
                    "the record at byte " + std::to_string(at_byte) + " holds position " +
                        std::to_string(ev->position()) + ", where position " + std::to_string(expected) +
                        " comes next");
      Hash h = envelope_hash(ev->ref());
      if (ev->hash_bytes() != bytes_of(h))
        return fail(kEventsBin, expected, "hash",
                    "its stored hash is " + to_hex(ev->hash_bytes()) + ", its contents hash to " + to_hex(h));
      if (ev->prev_hash_bytes() != bytes_of(prev))
        return fail(kEventsBin, expected, "prev_hash",
                    "its previous hash is " + to_hex(ev->prev_hash_bytes()) + ", the hash of event " +
                        std::to_string(expected - 1) + " is " + to_hex(prev));
      if (ev->recorded_at_us() < prev_us)
        return fail(kEventsBin, expected, "recorded_at_us", "recorded before the event before it");
      tree.append(h, [](int, std::uint64_t, const Hash&) {});
      prev = h;
      prev_us = ev->recorded_at_us();
      ++expected;
    }
    r.events = expected - 1;
  }

  // 4. The tree of the events against the signed checkpoint.
  if (tree.size() != cp->size)
    return fail(kEventsBin, 0, "",
                "it holds " + std::to_string(tree.size()) + " events; checkpoint.txt is of a tree of " +
                    std::to_string(cp->size));
  if (tree.root() != cp->root)
    return fail(
        kCheckpoint, 0, "root",
        "the events' tree has root " + to_hex(tree.root()) + ", the signed checkpoint says " + to_hex(cp->root));
  r.tree_size = tree.size();
  r.root = tree.root();

  // 4b. The signed events, folded into fresh read models; a sample is drawn
  // again from the events before it: nobody chose its seed, and its
  // selection follows from it. A key the caller trusts signed them, but what
  // they hold is checked as the writer checks a command: a draw the writer
  // would refuse is refused.
  ReadModels rm;
  {
    CheckedEvents events(tar_src, members.at(kEventsBin));
    for (std::uint64_t pos = 1; pos <= r.events; ++pos) {
      auto next = events.next();
      if (!next) return unusable("events.bin could not be read again");
      const EventView& ev = *next;
      if (ev.type() == fb::Event::SampleRequested)
        if (auto why = check_sample_request(rm.core(), ev)) return fail(kEventsBin, pos, "sample", *why);
      if (ev.type() == fb::Event::SampleDrawn) {
        SampleRedraw again = redraw_sample(rm.core(), ev);
        if (!again.matches)
          return fail(kEventsBin, pos, "sample",
                      "sample '" + again.id + "' drawn again does not give what the event records: " + again.mismatch);
        r.samples.push_back(std::move(again));
      }
      rm.apply(ev);
    }
    for (SampleRedraw& s : r.samples)  // every request of each sample's population, the later ones too
      s.requests = requests_of_population(rm.core(), s.programme_id, s.population, s.population_sha256);
  }

  // The format the pack declares (totals.json's pack_format; none: format 1)
  // says which of the keys the events give it may lack (audit_compare.h).
  auto totals_text = read_small(kTotals, 256 << 20);
  if (!totals_text) return fail(kTotals, 0, "", totals_text.status().message());
  auto totals = pack_json(*totals_text);
  std::string().swap(*totals_text);
  if (!totals) return fail(kTotals, 0, "", totals.status().message());
  if (!totals->is_object()) return fail(kTotals, 0, "/", "not a JSON object");
  auto format = declared_format(*totals);
  if (!format) return fail(kTotals, 0, "/pack_format", format.status().message());
  if (*format > kPackFormat)
    return unusable("a pack of format " + std::to_string(*format) + "; this ledger reads formats 1 to " +
                    std::to_string(kPackFormat));
  totals->erase("pack_format");
  r.format = *format;

  // 5. events.ndjson: each line the CloudEvents JSON of its event's bytes.
  {
    const Member& mn = members.at(kEventsNdjson);
    CheckedEvents events(tar_src, members.at(kEventsBin));
    Reader nd(tar_src, mn.offset, mn.size);
    for (std::uint64_t pos = 1; pos <= r.events; ++pos) {
      auto next = events.next();
      if (!next) return unusable("events.bin could not be read again");
      const EventView& ev = *next;
      auto line = nd.line(64 << 20);
      if (!line) return fail(kEventsNdjson, pos, "", line.status().message());
      if (!*line) return fail(kEventsNdjson, pos, "", "it ends after " + std::to_string(pos - 1) + " lines");
      std::string want = ndjson_line(ev, nullptr);
      if (**line == want) continue;
      json mine = cloud_event(ev, nullptr);
      auto parsed = pack_json(**line);
      if (!parsed)
        return fail(kEventsNdjson, pos, "", "line " + std::to_string(pos) + ": " + parsed.status().message());
      const json& theirs = *parsed;
      std::string where, what;
      std::uint64_t leaves = 0, absent = 0;
      if (first_difference(theirs, mine, ndjson_may_lack(r.format, ev.type_name()), "", &where, &what, &leaves,
                           &absent))
        return fail(kEventsNdjson, pos, where, "line " + std::to_string(pos) + ": " + what);
      if (absent > 0) {  // a line of format 1: fields of the event added since are left out
        r.ndjson_absent += absent;
        continue;
      }
      return fail(kEventsNdjson, pos, "",
                  "line " + std::to_string(pos) + " is the event's JSON, but not written as ledger export writes it");
    }
    auto extra = nd.line(64 << 20);
    if (!extra || *extra)
      return fail(kEventsNdjson, r.events + 1, "", "more lines than events (" + std::to_string(r.events) + ")");
    r.ndjson_lines = r.events;
  }

  // 6. The documents: each one the events attach is in the pack and hashes
  // to the hash the events name (the events are signed; the manifest is
  // not), none other is; evidence.json is what the events give.
  {
    json want = evidence_json(rm);
    const auto& docs = want["documents"];
    if (!members.count(kEvidence)) {
      // A pack of an earlier version has none, and no document to hold.
      if (!docs.empty())
        return fail(kEvidence, docs[0]["attachments"][0].value("position", std::uint64_t{0}), "",
                    "missing from the pack, whose events attach " + std::to_string(docs.size()) + " documents");
    } else {
      auto evidence_text = read_small(kEvidence, 64 << 20);
      if (!evidence_text) return fail(kEvidence, 0, "", evidence_text.status().message());
      auto theirs = pack_json(*evidence_text);
      if (!theirs) return fail(kEvidence, 0, "", theirs.status().message());
      std::string where, what;
      std::uint64_t leaves = 0, absent = 0;
      // evidence.json has not changed since it came: a pack that has it lacks nothing of it.
      if (first_difference(*theirs, want, lacks_nothing, "", &where, &what, &leaves, &absent))
        return fail(kEvidence, 0, where, what);
    }
    std::set<std::string> attached;
    for (auto& d : docs) {
      std::string hex = d["sha256"], path = std::string(kEvidenceDir) + hex;
      std::uint64_t position = d["attachments"][0].value("position", std::uint64_t{0});
      attached.insert(path);
      auto it = members.find(path);
      if (it == members.end())
        return fail(path, position, "",
                    "missing from the pack: the document attached at position " + std::to_string(position) + " (" +
                        d["filename"].get<std::string>() + ")");
      if (hashed.at(path) != hex)
        return fail(path, position, "sha256",
                    "altered: its bytes hash to " + hashed.at(path) + ", not to the hash its events name");
      if (it->second.size != d["size"].get<std::uint64_t>())
        return fail(path, position, "size",
                    "it has " + std::to_string(it->second.size) + " bytes, its events say " + d["size"].dump());
      ++r.documents;
      r.document_bytes += it->second.size;
    }
    for (auto& member : members)
      if (is_document(member.first) && !attached.count(member.first))
        return fail(member.first, 0, "", "a document no event of the pack attaches");
  }

  // 7. totals.json, recomputed from the read models the events folded into.
  {
    json mine = totals_json(rm);
    std::string where, what;
    if (first_difference(*totals, mine, totals_may_lack(r.format), "", &where, &what, &r.totals_values,
                         &r.totals_absent))
      return fail(kTotals, 0, where, what);
    r.programmes = mine["programmes"].size();
    for (auto& p : mine["programmes"]) r.pairs += p["pairs"].size();
  }
  r.ok = true;
  return r;
}

}  // namespace pl::audit
