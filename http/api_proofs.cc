// The verifiable log: signed checkpoints, inclusion and consistency proofs
// (RFC 6962 over the events' chain hashes), and the verifier keys. They
// reveal hashes only, and answer without a token, like a public log.
#include <cstring>

#include "audit/audit_pack.h"
#include "http/api.h"
#include "log/merkle.h"
#include "log/note.h"

namespace pl {

using nlohmann::json;

namespace {

json hashes_json(const std::vector<Hash>& hs) {
  json out = json::array();
  for (const Hash& h : hs) out.push_back(note::base64(bytes_of(h)));
  return out;
}

}  // namespace

// A tree size or position from the query: a whole number from 1 up to `head`
// (the published position). Answers 400 and gives false otherwise; `fallback`
// when the parameter is absent (0: it is required).
bool Api::tree_arg(Ctx& c, const char* name, std::uint64_t fallback, std::uint64_t head, std::uint64_t* out) {
  if (!c.has(name)) {
    if (fallback == 0) return c.fail(400, "bad_request", std::string(name) + " is required"), false;
    *out = fallback;
    return true;
  }
  if (!parse_u64(c.q(name), out) || *out == 0)
    return c.fail(400, "bad_request", std::string(name) + " must be a whole number from 1"), false;
  if (*out > head)
    return c.fail(400, "beyond_head",
                  std::string(name) + " " + c.q(name) + " is beyond the log, whose head is at " + std::to_string(head)),
           false;
  return true;
}

void Api::checkpoint(Ctx& c) {
  std::uint64_t head = parts_.publication->published_position(), size = 0;
  if (head == 0 && !c.has("size")) return c.fail(404, "not_found", "the log is empty: there is no checkpoint yet");
  if (!tree_arg(c, "size", head, head, &size)) return;
  auto text = parts_.signer->checkpoint(size);
  if (!text) return c.fail(text.status());
  HttpResponse r;
  r.content_type = "text/plain; charset=utf-8";
  r.body = std::move(text).value();
  c.reply(std::move(r));
}

void Api::inclusion_proof(Ctx& c) {
  std::uint64_t head = parts_.publication->published_position(), position = 0, size = 0;
  if (!tree_arg(c, "position", 0, head, &position) || !tree_arg(c, "size", head, head, &size)) return;
  if (position > size)
    return c.fail(400, "bad_request",
                  "position " + std::to_string(position) + " is not in the tree of size " + std::to_string(size));
  auto proof = parts_.store->inclusion_proof(position - 1, size);
  if (!proof) return c.fail(proof.status());
  auto ev = parts_.store->read_one(position);
  if (!ev) return c.fail(ev.status());
  Hash data;
  std::memcpy(data.data(), ev->view().hash_bytes().data(), 32);
  c.reply(json_response(200, {{"position", position},
                              {"leaf_index", position - 1},
                              {"size", size},
                              {"leaf_hash", note::base64(bytes_of(merkle::leaf_hash(data)))},
                              {"hashes", hashes_json(*proof)}}));
}

void Api::consistency_proof(Ctx& c) {
  std::uint64_t head = parts_.publication->published_position(), from = 0, to = 0;
  if (!tree_arg(c, "from", 0, head, &from) || !tree_arg(c, "to", head, head, &to)) return;
  if (from > to)
    return c.fail(400, "bad_request",
                  "from " + std::to_string(from) + " is above to " + std::to_string(to) + ": a tree only grows");
  auto proof = parts_.store->consistency_proof(from, to);
  if (!proof) return c.fail(proof.status());
  c.reply(json_response(200, {{"from", from}, {"to", to}, {"hashes", hashes_json(*proof)}}));
}

void Api::audit_key(Ctx& c) {
  const Signer& s = *parts_.signer;
  json keys = json::array();
  for (const std::string& v : s.verifiers()) keys.push_back({{"verifier", v}, {"current", v == s.verifier()}});
  c.reply(json_response(200, {{"origin", s.origin()}, {"keys", keys}}));
}

void Api::audit_pack(Ctx& c) {
  std::uint64_t head = parts_.publication->published_position(), at = 0;
  if (head == 0) return c.fail(404, "not_found", "the log is empty: there is nothing to pack");
  if (!tree_arg(c, "at", head, head, &at)) return;
  // Built whole into an unnamed temporary file on the verify thread (the lane
  // of slow reads, one at a time), then sent from it: a failure is an error
  // answer, never a cut tar that looks whole.
  auto shared = std::make_shared<Ctx>(std::move(c));
  bool posted = verify_worker_->post([this, shared, at] {
    std::shared_ptr<std::FILE> file(std::tmpfile(), [](std::FILE* f) {
      if (f) std::fclose(f);
    });
    if (!file) return shared->fail(Status::io_error("no temporary file for the pack"));
    auto summary = audit::build_pack(*parts_.store, *parts_.signer, at, [&](std::string_view piece) {
      if (std::fwrite(piece.data(), 1, piece.size(), file.get()) != piece.size())
        return Status::io_error("writing the pack to a temporary file failed");
      return Status::ok();
    });
    if (!summary) return shared->fail(summary.status());
    if (std::fflush(file.get()) != 0 || std::fseek(file.get(), 0, SEEK_SET) != 0)
      return shared->fail(Status::io_error("reading the pack back failed"));
    HttpResponse r;
    r.content_type = "application/x-tar";
    r.stream = HttpResponse::Stream::file;
    r.file = std::move(file);
    r.headers.emplace_back("Content-Disposition",
                           "attachment; filename=\"ledger-pack-" + std::to_string(at) + ".tar\"");
    shared->reply(std::move(r));
  });
  if (!posted) {
    if (verify_worker_->stopping()) return shared->fail(Status::unavailable("the server is stopping"));
    shared->fail(503, "busy", "a verify or another pack is running; retry in a moment");
  }
}

}  // namespace pl
