// Evidence documents: the streamed upload (POST /v1/evidence) and the
// download (GET /v1/evidence/{sha256}, .../meta). The bytes are stored by
// log/store_evidence.cc; here are the checks of what is sent (the type, the
// name, the bytes against the type) and who may read what.
//
// The store's work (a piece, the flush that makes an upload durable, a
// document read and hashed) runs on the evidence worker thread, never on
// an I/O thread: a 20 MiB flush or read holds no other request.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <optional>

#include "base/dates.h"
#include "domain/commands.h"
#include "http/api.h"
#include "http/mentor_scope.h"
#include "http/route_table.h"

namespace pl {

using nlohmann::json;

namespace {

// The types a document may have, with the bytes each must start with.
struct DocType {
  std::string_view media;      // as compared, lower case
  std::string_view magic;      // the first bytes; empty: text (valid UTF-8, no NUL)
  std::string_view stored;     // the type kept and served
  std::string_view extension;  // what a file name of this type ends with
  std::string_view also;       // another ending taken for it ("" if none)
};
constexpr std::string_view kPdfMagic("%PDF-", 5);
constexpr std::string_view kPngMagic("\x89PNG\r\n\x1a\n", 8);
constexpr std::string_view kJpegMagic("\xFF\xD8\xFF", 3);
constexpr DocType kDocTypes[] = {
    {"application/pdf", kPdfMagic, "application/pdf", ".pdf", ""},
    {"image/png", kPngMagic, "image/png", ".png", ""},
    {"image/jpeg", kJpegMagic, "image/jpeg", ".jpg", ".jpeg"},
    {"text/plain", {}, "text/plain; charset=utf-8", ".txt", ""},
};

std::string lower_trimmed(std::string_view v) {
  while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
  while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
  std::string out(v);
  for (char& ch : out) ch = static_cast<char>(ch >= 'A' && ch <= 'Z' ? ch - 'A' + 'a' : ch);
  return out;
}

// The allowed type a Content-Type header names, or null (why in *why).
const DocType* doc_type(std::string_view header, std::string* why) {
  std::string_view media = header.substr(0, header.find(';'));
  std::string m = lower_trimmed(media);
  for (const DocType& t : kDocTypes) {
    if (m != t.media) continue;
    if (t.magic.empty()) {
      // Text must be UTF-8: a charset parameter may say so, or say nothing else.
      for (std::size_t at = header.find(';'); at != std::string_view::npos; at = header.find(';', at + 1)) {
        std::string_view param = header.substr(at + 1, header.find(';', at + 1) - at - 1);
        auto eq = param.find('=');
        if (eq == std::string_view::npos || lower_trimmed(param.substr(0, eq)) != "charset") continue;
        std::string cs = lower_trimmed(param.substr(eq + 1));
        if (cs.size() >= 2 && cs.front() == '"' && cs.back() == '"') cs = cs.substr(1, cs.size() - 2);
        if (cs != "utf-8" && cs != "utf8" && cs != "us-ascii") {
          *why = "a text document must be UTF-8, not " + cs;
          return nullptr;
        }
      }
    }
    return &t;
  }
  *why = header.empty() ? "the Content-Type header is missing"
                        : "the Content-Type '" + std::string(header.substr(0, 100)) + "' is not one of those taken";
  *why += ": application/pdf, image/png, image/jpeg or text/plain";
  return nullptr;
}

// UTF-8 checked as it comes, a piece at a time (RFC 3629: no overlong forms,
// no surrogates, nothing above U+10FFFF). `code` is each whole code point.
class Utf8 {
 public:
  template <class Fn>
  bool feed(std::string_view bytes, Fn on_code) {
    for (unsigned char b : bytes) {
      if (need_ == 0) {
        if (b < 0x80) {
          if (!on_code(b)) return ok_ = false;
          continue;
        }
        lo_ = 0x80, hi_ = 0xBF;
        if (b >= 0xC2 && b <= 0xDF) {
          need_ = 1, code_ = b & 0x1Fu;
        } else if (b >= 0xE0 && b <= 0xEF) {
          need_ = 2, code_ = b & 0x0Fu;
          if (b == 0xE0) lo_ = 0xA0;
          if (b == 0xED) hi_ = 0x9F;
        } else if (b >= 0xF0 && b <= 0xF4) {
          need_ = 3, code_ = b & 0x07u;
          if (b == 0xF0) lo_ = 0x90;
          if (b == 0xF4) hi_ = 0x8F;
        } else {
          return ok_ = false;
        }
        continue;
      }
      if (b < lo_ || b > hi_) return ok_ = false;
      lo_ = 0x80, hi_ = 0xBF;
      code_ = code_ << 6 | (b & 0x3Fu);
      if (--need_ == 0 && !on_code(code_)) return ok_ = false;
    }
    return ok_;
  }
  // Whether everything fed was UTF-8 and ends on a whole character.
  bool whole() const { return ok_ && need_ == 0; }

 private:
  int need_ = 0;
  unsigned lo_ = 0x80, hi_ = 0xBF;
  std::uint32_t code_ = 0;
  bool ok_ = true;
};

// The name from X-Filename: percent-decoded (as a browser's
// encodeURIComponent sends it; UTF-8 sent as it is passes through), 1 to 255
// bytes of UTF-8, no control character, no / or \. Empty and a reason when
// it is not that.
std::string checked_filename(std::string_view header, std::string* why) {
  std::string name;
  if (header.empty()) {
    *why = "the X-Filename header is missing: the document's file name, percent-encoded UTF-8";
    return {};
  }
  if (!url_decode(header, &name, false)) {
    *why = "X-Filename has a malformed percent escape";
    return {};
  }
  if (name.empty() || name.size() > 255) {
    *why = "X-Filename must be 1 to 255 bytes, not " + std::to_string(name.size());
    return {};
  }
  Utf8 utf8;
  bool fine = utf8.feed(name, [](std::uint32_t c) {
    // Nor the marks that turn the text's direction, which make a name read
    // otherwise than it is ("invoice\u202Efdp.exe").
    bool bidi =
        c == 0x061C || c == 0x200E || c == 0x200F || (c >= 0x202A && c <= 0x202E) || (c >= 0x2066 && c <= 0x2069);
    return c >= 0x20 && c != 0x7F && !(c >= 0x80 && c <= 0x9F) && c != '/' && c != '\\' && !bidi;
  });
  if (!fine || !utf8.whole() || name == "." || name == "..") {
    *why = "X-Filename must be UTF-8 text without control characters, direction marks, '/' or '\\'";
    return {};
  }
  return name;
}

// The name kept for a document of `type`: without the spaces and dots a
// desktop drops from the end of a name, and ending with the type's extension
// (appended when it ends otherwise: "invoice.pdf.cmd" as text is kept as
// "invoice.pdf.cmd.txt"), at most 255 bytes, cut between characters.
std::string named_for_type(std::string name, const DocType& type) {
  while (!name.empty() && (name.back() == ' ' || name.back() == '.')) name.pop_back();
  auto ends_with = [&](std::string_view ext) {
    if (ext.empty() || name.size() < ext.size()) return false;
    for (std::size_t i = 0; i < ext.size(); ++i) {
      char c = name[name.size() - ext.size() + i];
      if ((c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c) != ext[i]) return false;
    }
    return true;
  };
  if (ends_with(type.extension) || ends_with(type.also)) return name;
  while (name.size() + type.extension.size() > 255) {
    name.pop_back();
    while (!name.empty() && (static_cast<unsigned char>(name.back()) & 0xC0) == 0x80) name.pop_back();
    if (!name.empty() && static_cast<unsigned char>(name.back()) >= 0xC0) name.pop_back();
  }
  return (name.empty() ? std::string("document") : name) + std::string(type.extension);
}

// Content-Disposition for a download (RFC 6266): an ASCII name for old
// clients, and the UTF-8 name as filename* (RFC 5987).
std::string disposition(const std::string& name) {
  std::string ascii, encoded;
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (unsigned char ch : name) {
    if (ch < 0x80 || ch >= 0xC0)  // one _ for a character of several bytes
      ascii.push_back(ch >= 0x20 && ch < 0x7F && ch != '"' && ch != '\\' ? static_cast<char>(ch) : '_');
    bool attr = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
                std::string_view("!#$&+-.^_`|~").find(static_cast<char>(ch)) != std::string_view::npos;
    if (attr) {
      encoded.push_back(static_cast<char>(ch));
    } else {
      encoded.push_back('%');
      encoded.push_back(kHex[ch >> 4]);
      encoded.push_back(kHex[ch & 15]);
    }
  }
  return "attachment; filename=\"" + ascii + "\"; filename*=UTF-8''" + encoded;
}

HttpResponse mismatch(const DocType& t) {
  if (t.magic.empty())
    return error_response(422, "content_mismatch",
                          "the document is declared text/plain but is not UTF-8 text "
                          "(or holds a NUL byte)");
  return error_response(422, "content_mismatch",
                        "the document is declared " + std::string(t.media) + " but does not start as one does");
}

// An upload in progress, shared by the sink and the worker's jobs (a job may
// outlive the sink: the connection can go while a piece is stored).
struct UploadState {
  const DocType* type = nullptr;
  std::string filename, uploader;
  std::unique_ptr<EvidenceUpload> upload;
  // The bytes taken of the uploader's quota while the upload goes on.
  EvidenceQuota* quota = nullptr;
  std::uint64_t taken = 0;
  ~UploadState() {
    if (quota) quota->give_back(uploader, taken);
  }
  std::string head;  // the first bytes, until the type's magic is checked
  Utf8 utf8;
  std::uint64_t size = 0;

  // Checks a piece against the type; false when the bytes cannot be a
  // document of that type.
  bool check(std::string_view piece) {
    size += piece.size();
    if (type->magic.empty()) return utf8.feed(piece, [](std::uint32_t c) { return c != 0; });
    if (head.size() < type->magic.size()) {
      head.append(piece.substr(0, type->magic.size() - head.size()));
      if (type->magic.substr(0, head.size()) != head) return false;
    }
    return true;
  }
  // Whether the whole body is a document of the type.
  bool whole() const { return type->magic.empty() ? utf8.whole() : head == type->magic; }
};

class EvidenceSink final : public BodySink {
 public:
  EvidenceSink(std::shared_ptr<UploadState> state, Worker* worker, Projector* projector)
      : state_(std::move(state)), worker_(worker), projector_(projector) {}
  ~EvidenceSink() override {
    // Not finished: the pieces stored go, on the worker (a write to the store).
    if (state_ && state_->upload && !worker_->post([st = state_] { st->upload.reset(); })) state_->upload.reset();
  }
  EvidenceSink(const EvidenceSink&) = delete;
  EvidenceSink& operator=(const EvidenceSink&) = delete;

  void write(std::string piece, std::function<void(std::optional<HttpResponse>)> done) override {
    if (!state_->check(piece)) return done(mismatch(*state_->type));
    // Counted as the bytes come: the upload is refused the moment it would
    // pass a limit, and nothing of it is kept.
    if (auto refusal = state_->quota->take(state_->uploader, piece.size(), *projector_->snapshot()))
      return done(std::move(*refusal));
    state_->taken += piece.size();
    bool posted = worker_->post([st = state_, piece = std::move(piece), done] {
      Status s = st->upload->write(piece);
      if (!s) spdlog::warn("evidence upload by {}: {}", st->uploader, s.to_string());
      done(s ? std::nullopt : std::optional<HttpResponse>(error_response(s)));
    });
    if (!posted) done(error_response(503, "busy", "too many uploads are waiting for the store; retry in a moment"));
  }

  void finish(std::function<void(HttpResponse)> done) override {
    if (state_->size == 0) return done(error_response(400, "bad_request", "the body is empty: send the document"));
    if (!state_->whole()) return done(mismatch(*state_->type));
    bool posted = worker_->post([st = state_, done] {
      auto r = st->upload->finish();
      if (!r) {
        spdlog::warn("evidence upload by {}: {}", st->uploader, r.status().to_string());
        return done(error_response(r.status()));
      }
      st->upload.reset();
      if (r->stored) st->quota->stored(r->sha256, r->size, st->uploader);
      auto meta = std::string(st->type->stored);
      spdlog::info("evidence {} {} ({} bytes, {}) by {}", to_hex(r->sha256), r->stored ? "stored" : "already stored",
                   r->size, meta, st->uploader);
      done(json_response(201, {{"sha256", to_hex(r->sha256)},
                               {"size", r->size},
                               {"content_type", meta},
                               {"filename", st->filename},
                               {"stored", r->stored}}));
    });
    if (!posted) done(error_response(503, "busy", "too many uploads are waiting for the store; retry in a moment"));
  }

 private:
  std::shared_ptr<UploadState> state_;
  Worker* worker_;
  Projector* projector_;
};

// Reads a stored document through, a piece at a time: corruption if its
// bytes are not those its hash names.
Status check_evidence(const Store& store, const Hash& sha256) {
  auto reader = store.evidence_reader(sha256);
  if (!reader) return reader.status();
  for (;;) {
    auto piece = (*reader)->next();
    if (!piece) return piece.status();
    if (piece->empty()) return Status::ok();
  }
}

// The hash a path names, or nullopt (answered as an unknown document).
std::optional<Hash> path_hash(const std::string& hex) {
  Hash h;
  if (!from_hex(hex, &h) || to_hex(h) != hex) return std::nullopt;  // 64 lower-case digits
  return h;
}

}  // namespace

StreamedBody Api::upload_evidence(Ctx& c) {
  StreamedBody out;
  std::string why;
  std::string filename = checked_filename(c.req.filename, &why);
  if (filename.empty()) {
    c.fail(400, "bad_request", why);
    return out;
  }
  const DocType* type = doc_type(c.req.content_type, &why);
  if (!type) {
    c.fail(415, "unsupported_media_type", why);
    return out;
  }
  filename = named_for_type(std::move(filename), *type);
  // Over a limit already: refused before the body is read.
  if (auto refusal = quota_->take(c.who.name, 0, *parts_.projector->snapshot())) {
    c.reply(std::move(*refusal));
    return out;
  }
  auto up = parts_.store->begin_evidence(std::string(type->stored), filename, c.who.name, parts_.clock());
  if (!up) {
    c.fail(up.status());
    return out;
  }
  auto state = std::make_shared<UploadState>();
  state->type = type;
  state->filename = std::move(filename);
  state->uploader = c.who.name;
  state->upload = std::move(up).value();
  state->quota = quota_.get();
  out.sink = std::make_unique<EvidenceSink>(std::move(state), evidence_worker_.get(), parts_.projector);
  return out;
}

namespace {

// The stream of the entity a document is attached to.
std::string link_stream(const EvidenceLink& l) {
  if (l.entity == "invoice") return invoice_stream(l.entity_id);
  if (l.entity == "application") return application_stream(l.entity_id);
  return pair_stream(l.entity_id);  // a pair, or one of its sessions
}

// The links of a document the caller may see: every one, but for a mentor
// those to its own pairs (and their sessions), their invoices and its own
// application.
std::vector<EvidenceLink> visible_links(const Api::Ctx& c, const ReadModels& rm, const std::string& hex) {
  std::vector<EvidenceLink> out;
  const auto* links = State::find(rm.evidence(), hex);
  if (!links) return out;
  for (const EvidenceLink& l : *links)
    if (!c.is_mentor() || mentor_sees_stream(rm, c.who.mentor_id, link_stream(l))) out.push_back(l);
  return out;
}

HttpResponse unknown_document(const std::string& hex) {
  return error_response(404, "not_found", "no document " + hex.substr(0, 64) + " that you may read");
}

}  // namespace

// Whether the caller may read the document: whoever may read an entity it
// is attached to (every role but mentors reads every entity; a mentor, its
// own pairs, their sessions and invoices, and its own application); and its
// uploaders. A document attached to nothing is its uploaders', the
// controllers' and the auditors' only.
bool Api::may_read_evidence(const Ctx& c, const ReadModels& rm, const Hash& sha256) {
  if (c.who.role == "controller" || c.who.role == "auditor") return true;
  if (!visible_links(c, rm, to_hex(sha256)).empty()) return true;
  auto uploaders = parts_.store->evidence_uploaders(sha256);
  return uploaders && std::any_of(uploaders->begin(), uploaders->end(),
                                  [&](const EvidenceUploader& u) { return u.name == c.who.name; });
}

Status Api::may_attach(const Ctx& c, const AttachEvidence& a) {
  Hash h;
  if (!from_hex(a.sha256, &h) || may_read_evidence(c, *parts_.projector->snapshot(), h)) return Status::ok();
  return unknown_evidence(a.sha256);
}

void Api::evidence_document(Ctx& c) {
  std::string hex = c.params["sha256"];
  auto hash = path_hash(hex);
  if (!hash) return c.reply(unknown_document(hex));
  auto shared = std::make_shared<Ctx>(std::move(c));
  auto models = parts_.projector->snapshot();
  bool posted = evidence_worker_->post([this, shared, models, h = *hash, hex] {
    Ctx& cx = *shared;
    auto meta = parts_.store->evidence_meta(h);
    if (!meta && meta.status().is(Kind::not_found)) return cx.reply(unknown_document(hex));
    if (!meta) return cx.fail(meta.status());
    if (!may_read_evidence(cx, *models, h)) return cx.reply(unknown_document(hex));
    // Read through once to check it (a piece at a time, none kept): a
    // document whose bytes changed is refused before any of it is sent. The
    // answer then reads it again, a piece at a time, as the socket takes it,
    // hashing again: a change in between cuts it before its end.
    Status checked = check_evidence(*parts_.store, h);
    auto reader = parts_.store->evidence_reader(h);
    if (!reader) checked = reader.status();
    if (!checked) {
      if (checked.is(Kind::corruption)) {
        // Nothing of the document is sent: a changed byte is never served.
        spdlog::error("evidence {}: {}", hex, checked.message());
        parts_.health->mark_unhealthy(checked.message());
        return cx.reply(error_response(500, "corrupt", checked.message()));
      }
      return cx.fail(checked);
    }
    HttpResponse r;
    r.stream = HttpResponse::Stream::pieces;
    r.next_piece = [reader = std::shared_ptr<EvidenceReader>(std::move(reader).value())] { return reader->next(); };
    r.content_type = meta->content_type;
    // A document never runs in the dashboard's origin: downloaded, not shown;
    // its type as stored, not sniffed; and sandboxed if a browser shows it.
    r.headers.emplace_back("Content-Disposition", disposition(meta->filename));
    r.headers.emplace_back("X-Content-Type-Options", "nosniff");
    r.headers.emplace_back("Content-Security-Policy", "sandbox; default-src 'none'");
    r.headers.emplace_back("Cache-Control", "private, no-store");
    r.headers.emplace_back("ETag", "\"" + hex + "\"");
    cx.reply(std::move(r));
  });
  if (!posted) shared->fail(503, "busy", "too many document reads are waiting; retry in a moment");
}

void Api::evidence_meta(Ctx& c) {
  std::string hex = c.params["sha256"];
  auto hash = path_hash(hex);
  if (!hash) return c.reply(unknown_document(hex));
  auto meta = parts_.store->evidence_meta(*hash);
  if (!meta && meta.status().is(Kind::not_found)) return c.reply(unknown_document(hex));
  if (!meta) return c.fail(meta.status());
  auto models = parts_.projector->snapshot();
  if (!may_read_evidence(c, *models, *hash)) return c.reply(unknown_document(hex));
  auto uploaders = parts_.store->evidence_uploaders(*hash);
  if (!uploaders) return c.fail(uploaders.status());
  json out = {{"sha256", hex},
              {"size", meta->size},
              {"content_type", meta->content_type},
              {"filename", meta->filename},
              {"uploaded_at", format_instant(meta->uploaded_at_us)}};
  if (!c.is_mentor()) {
    json by = json::array();
    for (auto& u : *uploaders) by.push_back(u.name);
    out["uploaded_by"] = by;
  }
  out["attachments"] = evidence_links_json(*models, visible_links(c, *models, hex));
  c.reply(json_response(200, out));
}

}  // namespace pl
