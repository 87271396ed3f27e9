// Evidence documents end to end: the real `ledger serve` on loopback, the
// upload streamed, the download checked, and the store looked at directly.
#include <doctest/doctest.h>
#include <rocksdb/db.h>

#include <atomic>
#include <filesystem>
#include <random>
#include <set>
#include <thread>

#include "evidence_http.h"
#include "fixtures.h"
#include "log/store.h"

using namespace pl::test;
using pl::Hash;
using pl::Store;

namespace {

Resp get(const Server& s, const std::string& target, const std::string& role) {
  return request(s.port, "GET", target, "", {{"Authorization", "Bearer " + s.tokens.at(role)}});
}

// The store under a stopped server, opened directly.
std::unique_ptr<Store> open_store(const Server& s, bool read_only = true) {
  pl::StoreOptions o;
  o.read_only = read_only;
  o.create_if_missing = false;
  auto st = Store::open(s.data() + "/ledger", o);
  REQUIRE_MESSAGE(st.is_ok(), st.status().to_string());
  return std::move(st).value();
}

// Keys of the evidence column family that begin with `prefix`.
std::size_t count_keys(Store& store, char prefix) {
  std::size_t n = 0;
  std::unique_ptr<rocksdb::Iterator> it(store.raw_db()->NewIterator(rocksdb::ReadOptions(), store.cf_evidence()));
  for (it->Seek(std::string(1, prefix)); it->Valid() && it->key()[0] == prefix; it->Next()) ++n;
  return n;
}

Hash hash_of(const std::string& hex) {
  Hash h{};
  REQUIRE(pl::from_hex(hex, &h));
  return h;
}

}  // namespace

TEST_CASE("evidence: upload and read back, the same bytes stored once, the download's headers") {
  Server s(false);
  std::string doc = pdf(2 * kMiB + 12'345, 1);
  Resp up = upload(s, doc, "application/pdf", "finance", "facture%20n%C2%B01.pdf");
  REQUIRE_MESSAGE(up.status == 201, up.body);
  json j = up.j();
  std::string hex = evp_sha256_hex(doc);
  CHECK(j["sha256"] == hex);
  CHECK(j["size"] == doc.size());
  CHECK(j["content_type"] == "application/pdf");
  CHECK(j["filename"] ==
        "facture n\xC2\xB0"
        "1.pdf");
  CHECK(j["stored"] == true);

  Resp back = get(s, "/v1/evidence/" + hex, "auditor");
  REQUIRE(back.status == 200);
  CHECK(back.body == doc);
  CHECK(back.headers["content-type"] == "application/pdf");
  CHECK(back.headers["content-disposition"] ==
        "attachment; filename=\"facture n_1.pdf\"; filename*=UTF-8''facture%20n%C2%B01.pdf");
  CHECK(back.headers["x-content-type-options"] == "nosniff");
  CHECK(back.headers["content-security-policy"] == "sandbox; default-src 'none'");
  CHECK(back.headers["cache-control"] == "private, no-store");

  // The same bytes again, by someone else: not stored twice.
  Resp again = upload(s, doc, "application/pdf; charset=binary", "coordinator", "facture%20n%C2%B01.pdf");
  REQUIRE(again.status == 201);
  CHECK(again.j()["sha256"] == hex);
  CHECK(again.j()["stored"] == false);
  json meta = get(s, "/v1/evidence/" + hex + "/meta", "controller").j();
  CHECK(meta["size"] == doc.size());
  CHECK(meta["filename"] ==
        "facture n\xC2\xB0"
        "1.pdf");
  CHECK(meta["uploaded_by"] == json::array({"t-coordinator", "t-finance"}));
  CHECK(meta["attachments"] == json::array());

  // Every type, and text over several pieces with characters of several bytes.
  std::string text;
  while (text.size() < 3 * kMiB) text += "Séance du 12 mars — présents : 4 ✓ 🙂\n";
  Resp t = upload(s, text, "Text/Plain; charset=UTF-8", "mentor", "notes.txt");
  REQUIRE_MESSAGE(t.status == 201, t.body);
  CHECK(t.j()["content_type"] == "text/plain; charset=utf-8");
  CHECK(get(s, "/v1/evidence/" + t.j()["sha256"].get<std::string>(), "mentor").body == text);
  CHECK(upload(s, png(100, 2), "image/png").status == 201);
  CHECK(upload(s, std::string("\xFF\xD8\xFF\xE0", 4) + random_bytes(5000, 3), "image/jpeg").status == 201);
  CHECK(upload(s, "%PDF-", "application/pdf").status == 201);  // as short as a PDF may start

  // A connection kept alive after an upload serves the next request.
  int fd = connect_to(s.port);
  std::string small = pdf(1000, 4);
  send_all(fd, request_head("POST", "/v1/evidence",
                            {{"Authorization", "Bearer " + s.tokens.at("finance")},
                             {"Content-Type", "application/pdf"},
                             {"X-Filename", "k.pdf"},
                             {"Content-Length", std::to_string(small.size())}},
                            false) +
                   small);
  send_all(fd, request_head("GET", "/healthz", {}, true));
  std::string raw = recv_for(fd, 5000);
  ::close(fd);
  Resp first, second;
  std::size_t used = parse_response(raw, &first, false);
  REQUIRE(used > 0);
  CHECK(first.status == 201);
  parse_response(raw.substr(used), &second, true);
  CHECK(second.status == 200);

  // Expect: 100-continue: the body is sent once the server says so.
  fd = connect_to(s.port);
  send_all(fd, request_head("POST", "/v1/evidence",
                            {{"Authorization", "Bearer " + s.tokens.at("finance")},
                             {"Content-Type", "application/pdf"},
                             {"X-Filename", "c.pdf"},
                             {"Expect", "100-continue"},
                             {"Content-Length", std::to_string(small.size() + 1)}}));
  std::string cont = recv_for(fd, 2000);
  CHECK(cont.rfind("HTTP/1.1 100 Continue\r\n\r\n", 0) == 0);
  send_all(fd, small + "x");
  raw = recv_for(fd, 5000);
  ::close(fd);
  Resp after;
  parse_response(raw, &after, true);
  CHECK(after.status == 201);
}

TEST_CASE("evidence: a document's name ends as its type does, whatever it was sent as") {
  Server s(false);
  struct Case {
    std::string body, type, sent, kept;
  };
  std::string pct_spaces;
  for (int i = 0; i < 60; ++i) pct_spaces += "%20";
  for (const Case& c : std::vector<Case>{
           {"note 1", "text/plain", "invoice-2021-05A.pdf.cmd", "invoice-2021-05A.pdf.cmd.txt"},
           {"note 2", "text/plain", "invoice.pdf" + pct_spaces + ".js",
            "invoice.pdf" + std::string(60, ' ') + ".js.txt"},
           {"note 3", "text/plain", "page.html", "page.html.txt"},
           {"note 4", "text/plain", "minutes.TXT", "minutes.TXT"},
           {"note 5", "text/plain", "minutes.txt.%20.%20.", "minutes.txt"},
           {"note 6", "text/plain", "...", "document.txt"},
           {"%PDF-1", "application/pdf", "scan", "scan.pdf"},
           {std::string("\xFF\xD8\xFF\xE0", 4) + "j", "image/jpeg", "photo.JPEG", "photo.JPEG"},
           {std::string("\xFF\xD8\xFF\xE0", 4) + "k", "image/jpeg", "photo.png", "photo.png.jpg"},
           {"note 7", "text/plain", std::string(252, 'a') + ".js", std::string(251, 'a') + ".txt"},
       }) {
    CAPTURE(c.sent);
    Resp up = upload(s, c.body, c.type, "finance", c.sent);
    REQUIRE_MESSAGE(up.status == 201, up.body);
    CHECK(up.j()["filename"] == c.kept);
    Resp back = get(s, "/v1/evidence/" + up.j()["sha256"].get<std::string>(), "finance");
    CHECK(back.headers["content-disposition"].find("filename=\"" + c.kept + "\"") != std::string::npos);
  }
}

TEST_CASE("evidence: refusals, each before anything is kept") {
  Server s(false);
  std::string doc = pdf(3 * kMiB, 5);

  SUBCASE("who may upload: 401 and 403 before the body is read") {
    for (const char* role : {"", "auditor"}) {
      CAPTURE(role);
      // The header alone, announcing 20 MiB that never come: the answer
      // comes anyway.
      Headers h = {
          {"Content-Type", "application/pdf"}, {"X-Filename", "a.pdf"}, {"Content-Length", std::to_string(20 * kMiB)}};
      if (*role) h.emplace_back("Authorization", "Bearer " + s.tokens.at(role));
      int fd = connect_to(s.port);
      send_all(fd, request_head("POST", "/v1/evidence", h));
      std::string raw = recv_for(fd, 5000);
      ::close(fd);
      Resp r;
      parse_response(raw, &r, true);
      CHECK(r.status == (*role ? 403 : 401));
      CHECK(r.code() == (*role ? "forbidden" : "unauthorized"));
      CHECK(r.headers["connection"] == "close");
    }
    // The roles that may: every role that writes some entity.
    for (const char* role : {"coordinator", "finance", "controller", "mentor"})
      CHECK(upload(s, pdf(100, 6), "application/pdf", role).status == 201);
  }
  SUBCASE("what is sent") {
    CHECK(upload(s, doc, "text/html").code() == "unsupported_media_type");
    CHECK(upload(s, doc, "text/html").status == 415);
    CHECK(upload(s, doc, "").status == 415);
    CHECK(upload(s, "abc", "text/plain; charset=iso-8859-1").status == 415);
    CHECK(upload(s, doc, "image/png").status == 422);
    CHECK(upload(s, doc, "image/png").code() == "content_mismatch");
    CHECK(upload(s, png(5000, 7), "image/jpeg").status == 422);
    CHECK(upload(s, "%PDF", "application/pdf").status == 422);  // shorter than the signature
    CHECK(upload(s, "plain\xC3", "text/plain").status == 422);  // cut inside a character
    CHECK(upload(s, std::string("a\0b", 3), "text/plain").status == 422);
    CHECK(upload(s, "\xED\xA0\x80", "text/plain").status == 422);  // a surrogate
    CHECK(upload(s, doc, "application/pdf", "finance", "").status == 400);
    CHECK(upload(s, doc, "application/pdf", "finance", "").code() == "bad_request");
    CHECK(upload(s, doc, "application/pdf", "finance", "a%2Fb.pdf").status == 400);
    CHECK(upload(s, doc, "application/pdf", "finance", "a\\b.pdf").status == 400);
    CHECK(upload(s, doc, "application/pdf", "finance", "a%01.pdf").status == 400);
    CHECK(upload(s, doc, "application/pdf", "finance", "a%C2%85.pdf").status == 400);  // NEL, a C1 control
    CHECK(upload(s, doc, "application/pdf", "finance", "a%ZZ.pdf").status == 400);
    CHECK(upload(s, doc, "application/pdf", "finance", "%FF.pdf").status == 400);
    CHECK(upload(s, doc, "application/pdf", "finance", std::string(256, 'a')).status == 400);
    CHECK(upload(s, doc, "application/pdf", "finance", std::string(255, 'a')).status == 201);
    CHECK(upload(s, "", "application/pdf").status == 400);
  }
  SUBCASE("the size: 20 MiB is taken, one byte more is not") {
    std::string big = png(20 * kMiB, 8);
    Resp r = upload(s, big, "image/png");
    REQUIRE_MESSAGE(r.status == 201, r.body);
    CHECK(r.j()["sha256"] == evp_sha256_hex(big));
    big.push_back('!');
    r = upload(s, big, "image/png");
    CHECK(r.status == 413);
    CHECK(r.code() == "payload_too_large");
    CHECK(r.j()["error"]["message"].get<std::string>().find("20 MiB") != std::string::npos);
    // The same, without a length: chunked, refused when the count passes it.
    std::string chunked;
    for (std::size_t at = 0; at < big.size(); at += kMiB) {
      std::size_t n = std::min(kMiB, big.size() - at);
      char size[24];
      std::snprintf(size, sizeof size, "%zx\r\n", n);
      chunked += size + big.substr(at, n) + "\r\n";
    }
    chunked += "0\r\n\r\n";
    int fd = connect_to(s.port);
    std::thread sender([&] {
      send_all(fd, request_head("POST", "/v1/evidence",
                                {{"Authorization", "Bearer " + s.tokens.at("finance")},
                                 {"Content-Type", "image/png"},
                                 {"X-Filename", "big.png"},
                                 {"Transfer-Encoding", "chunked"}}) +
                       chunked);
    });
    std::string raw = recv_for(fd, 30000);
    ::shutdown(fd, SHUT_RDWR);
    sender.join();
    ::close(fd);
    Resp c;
    parse_response(raw, &c, true);
    CHECK(c.status == 413);
    // Other routes keep their 1 MiB.
    Resp json_big = s.post("/v1/programmes", {{"id", std::string(kMiB + 10, 'x')}});
    CHECK(json_big.status == 413);
    CHECK(json_big.j()["error"]["message"].get<std::string>().find("1 MiB") != std::string::npos);
  }
  SUBCASE("an upload cut midway") {
    int fd = connect_to(s.port);
    send_all(fd, request_head("POST", "/v1/evidence",
                              {{"Authorization", "Bearer " + s.tokens.at("finance")},
                               {"Content-Type", "application/pdf"},
                               {"X-Filename", "cut.pdf"},
                               {"Content-Length", std::to_string(doc.size())}}) +
                     doc.substr(0, 2 * kMiB + 100));
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    ::close(fd);
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
  }

  // The server still serves; and under it nothing was kept of a refusal.
  CHECK(s.get("/healthz").status == 200);
  std::set<std::string> accepted;
  {
    // What the server says it stores, read from the store once it stopped.
    REQUIRE(s.stop() == 0);
    auto store = open_store(s, false);  // opened for writing: what a crash left is removed too
    auto list = store->evidence_list();
    REQUIRE(list.is_ok());
    std::size_t pieces = 0;
    for (const Hash& h : *list) {
      auto meta = store->evidence_meta(h);
      REQUIRE(meta.is_ok());
      pieces += meta->chunks;
      CHECK(store->read_evidence(h).is_ok());
    }
    CHECK(count_keys(*store, 'c') == pieces);
    CHECK(count_keys(*store, 'p') == 0);
  }
}

TEST_CASE("evidence: a changed byte under the server is an error, never the document") {
  Server s(false);
  std::string doc = pdf(kMiB + 500, 9);
  Resp up = upload(s, doc);
  REQUIRE(up.status == 201);
  std::string hex = up.j()["sha256"];
  REQUIRE(s.stop() == 0);
  {
    auto store = open_store(s, false);
    auto meta = store->evidence_meta(hash_of(hex));
    REQUIRE(meta.is_ok());
    std::string key = pl::evidence_chunk_key(meta->upload, 1), piece;
    REQUIRE(store->raw_db()->Get(rocksdb::ReadOptions(), store->cf_evidence(), key, &piece).ok());
    piece[42] = static_cast<char>(piece[42] ^ 0x20);
    REQUIRE(store->raw_db()->Put(rocksdb::WriteOptions(), store->cf_evidence(), key, piece).ok());
  }
  s.start();
  Resp r = get(s, "/v1/evidence/" + hex, "auditor");
  CHECK(r.status == 500);
  CHECK(r.code() == "corrupt");
  CHECK(r.body.find("%PDF") == std::string::npos);
  CHECK(r.headers.count("content-disposition") == 0);
  CHECK(s.get("/healthz").status == 503);
  CHECK(s.log().find("evidence " + hex) != std::string::npos);
}

TEST_CASE("evidence: who reads a document; unknown and forbidden look alike") {
  Server s(false);
  std::string other = add_mentor_token(s, "t-other-mentor", "e2");

  std::string mine = upload(s, pdf(500, 10), "application/pdf", "mentor").j()["sha256"];
  std::string finance = upload(s, pdf(500, 11)).j()["sha256"];
  auto as_other = [&](const std::string& target) {
    return request(s.port, "GET", target, "", {{"Authorization", "Bearer " + other}});
  };
  // Attached to nothing, a document is its uploader's, the controllers' and
  // the auditors'.
  CHECK(get(s, "/v1/evidence/" + mine, "mentor").status == 200);
  CHECK(get(s, "/v1/evidence/" + mine + "/meta", "mentor").status == 200);
  CHECK_FALSE(get(s, "/v1/evidence/" + mine + "/meta", "mentor").j().contains("uploaded_by"));
  for (const char* role : {"auditor", "controller"}) {
    CHECK(get(s, "/v1/evidence/" + mine, role).status == 200);
    CHECK(get(s, "/v1/evidence/" + finance, role).status == 200);
  }
  CHECK(get(s, "/v1/evidence/" + finance, "finance").status == 200);
  CHECK(get(s, "/v1/evidence/" + mine, "finance").status == 404);
  CHECK(get(s, "/v1/evidence/" + mine, "coordinator").status == 404);
  CHECK(get(s, "/v1/evidence/" + finance, "coordinator").status == 404);
  // Another mentor, or a mentor and another's document: as if unknown.
  Resp not_yours = as_other("/v1/evidence/" + mine);
  CHECK(not_yours.status == 404);
  CHECK(as_other("/v1/evidence/" + mine + "/meta").status == 404);
  Resp theirs = get(s, "/v1/evidence/" + finance, "mentor");
  CHECK(theirs.status == 404);
  std::string unknown(64, 'a');
  Resp nothing = get(s, "/v1/evidence/" + unknown, "mentor");
  CHECK(nothing.status == 404);
  CHECK(nothing.code() == theirs.code());
  CHECK(get(s, "/v1/evidence/" + unknown, "auditor").status == 404);
  CHECK(get(s, "/v1/evidence/" + unknown + "/meta", "auditor").status == 404);
  // Not a hash (upper case, short): not found either.
  CHECK(get(s, "/v1/evidence/" + std::string(64, 'A'), "auditor").status == 404);
  CHECK(get(s, "/v1/evidence/abc", "auditor").status == 404);
  CHECK(request(s.port, "GET", "/v1/evidence/" + mine).status == 401);
}

TEST_CASE("evidence: a large upload while commands are committed; both go through") {
  Server s(false);
  REQUIRE(s.post("/v1/programmes", programme_body({.id = "p"})).status == 201);
  std::atomic<bool> uploading{true};
  std::atomic<int> written{0}, refused{0};
  std::thread commands([&] {
    for (int i = 0; uploading.load() || i < 10; ++i) {
      Resp r = s.post("/v1/programmes/p/mentees",
                      mentee_body({.id = "m" + std::to_string(i), .name = "Mentee", .cluster_name = "Cluster"}));
      (r.status == 201 ? written : refused)++;
    }
  });
  std::string big = png(20 * kMiB, 12);
  Resp r = upload(s, big, "image/png");
  uploading = false;
  commands.join();
  REQUIRE_MESSAGE(r.status == 201, r.body);
  CHECK(refused.load() == 0);
  CHECK(written.load() >= 10);
  CHECK(s.head() == static_cast<std::uint64_t>(written.load()) + 1);
  CHECK(get(s, "/v1/evidence/" + r.j()["sha256"].get<std::string>(), "auditor").body == big);
  CHECK(s.get("/v1/audit/verify").j()["ok"] == true);
}

TEST_CASE("evidence: a backup holds the documents; served from it, a document is the same") {
  Server s(false);
  std::string doc = pdf(2 * kMiB + 3, 13);
  Resp up = upload(s, doc);
  REQUIRE(up.status == 201);
  std::string hex = up.j()["sha256"];
  std::string backup = s.dir().sub("backup"), out;
  REQUIRE(run_ledger({"backup", "--data", s.data(), "--to", backup, "--copy"}, &out) == 0);
  // The ledger's own store goes, the backup's takes its place.
  REQUIRE(s.stop() == 0);
  std::filesystem::rename(s.data() + "/ledger", s.dir().sub("gone"));
  std::filesystem::rename(backup + "/ledger", s.data() + "/ledger");
  std::filesystem::remove_all(s.dir().sub("gone"));
  s.start();
  Resp back = get(s, "/v1/evidence/" + hex, "auditor");
  REQUIRE(back.status == 200);
  CHECK(back.body == doc);
  CHECK(get(s, "/v1/evidence/" + hex + "/meta", "auditor").j()["filename"] == "invoice.pdf");
}

TEST_CASE("evidence: attached, a document is read by whoever reads its entity; an unknown one is refused") {
  Server s(false);
  std::string other = add_mentor_token(s, "t-other-mentor", "e2");
  // Programme p; mentors e1 (the mentor token's) and e2, each with a pair
  // (p1 with m1, p2 with m2), and an invoice i1 of p1.
  open_programme(s);
  for (const char* m : {"m1", "m2"}) enrol_mentee(s, {.id = m});
  for (int i : {1, 2}) {
    std::string n = std::to_string(i);
    accept_mentor(s, {.application = "a" + n, .mentor = "e" + n});
    add_pair(s, {.id = "p" + n, .mentor = "e" + n, .mentee = "m" + n});
  }
  REQUIRE(s.post("/v1/pairs/p1/invoices", invoice_body("i1", "E1-1"), "finance").status == 201);

  std::string doc = pdf(5000, 20), theirs_doc = pdf(5000, 21);
  std::string hex = upload(s, doc).j()["sha256"];  // by finance
  std::string theirs = upload(s, theirs_doc, "application/pdf", "coordinator").j()["sha256"];
  auto as_other = [&](const std::string& target) {
    return request(s.port, "GET", target, "", {{"Authorization", "Bearer " + other}});
  };
  // Not attached: not the mentors'.
  CHECK(get(s, "/v1/evidence/" + hex, "mentor").status == 404);

  // An unknown document is not attached; nothing is written.
  std::uint64_t head = s.head();
  Resp unknown = s.post("/v1/invoices/i1/evidence", {{"sha256", std::string(64, 'b')}, {"kind", "invoice"}}, "finance");
  CHECK(unknown.status == 422);
  CHECK(unknown.code() == "unknown_evidence");
  // Nor one the caller may not read (a mentor, another's document).
  Resp not_its = s.post("/v1/pairs/p1/evidence", {{"sha256", hex}, {"kind", "report"}}, "mentor");
  CHECK(not_its.status == 422);
  CHECK(not_its.code() == "unknown_evidence");
  CHECK(s.head() == head);

  // Attached to e1's invoice: e1 reads it, e2 does not.
  Resp attached = s.post("/v1/invoices/i1/evidence", {{"sha256", hex}, {"kind", "invoice"}}, "finance");
  REQUIRE_MESSAGE(attached.status == 201, attached.body);
  Resp read = get(s, "/v1/evidence/" + hex, "mentor");
  CHECK(read.status == 200);
  CHECK(read.body == doc);
  CHECK(as_other("/v1/evidence/" + hex).status == 404);
  json meta = get(s, "/v1/evidence/" + hex + "/meta", "mentor").j();
  REQUIRE(meta["attachments"].size() == 1);
  CHECK(meta["attachments"][0]["entity"] == "invoice");
  CHECK(meta["attachments"][0]["entity_id"] == "i1");
  CHECK(meta["attachments"][0]["kind"] == "invoice");
  CHECK(meta["attachments"][0]["filename"] == "invoice.pdf");
  CHECK(meta["attachments"][0]["size"] == doc.size());
  // The invoice shows it.
  json inv = get(s, "/v1/invoices/i1", "finance").j();
  REQUIRE(inv["evidence"].size() == 1);
  CHECK(inv["evidence"][0]["sha256"] == hex);

  // Attached to e2's pair: e2 reads it, e1 does not; the attachments a
  // mentor sees are its own.
  REQUIRE(s.post("/v1/pairs/p2/evidence", {{"sha256", theirs}, {"kind", "report"}}).status == 201);
  REQUIRE(s.post("/v1/pairs/p2/evidence", {{"sha256", hex}, {"kind", "other"}}).status == 201);
  CHECK(as_other("/v1/evidence/" + theirs).status == 200);
  CHECK(get(s, "/v1/evidence/" + theirs, "mentor").status == 404);
  CHECK(get(s, "/v1/evidence/" + theirs + "/meta", "mentor").status == 404);
  CHECK(get(s, "/v1/evidence/" + hex + "/meta", "mentor").j()["attachments"].size() == 1);
  CHECK(get(s, "/v1/evidence/" + hex + "/meta", "auditor").j()["attachments"].size() == 2);
  CHECK(as_other("/v1/evidence/" + hex + "/meta").j()["attachments"].size() == 1);
  // A session's document: its pair's mentor reads it.
  std::string notes = "Attendance: both present.\n";
  std::string nhex = upload(s, notes, "text/plain", "mentor", "attendance.txt").j()["sha256"];
  REQUIRE(s.post("/v1/pairs/p1/sessions",
                 {{"id", "s1"},
                  {"date", "2026-03-10"},
                  {"minutes", 120},
                  {"mode", "remote"},
                  {"format", "bilateral"},
                  {"topics", {"strategy"}},
                  {"summary", "Worked on the plan."}},
                 "mentor")
              .status == 201);
  Resp sess = s.post("/v1/pairs/p1/sessions/s1/evidence", {{"sha256", nhex}, {"kind", "attendance"}}, "mentor");
  REQUIRE_MESSAGE(sess.status == 201, sess.body);
  CHECK(get(s, "/v1/evidence/" + nhex, "mentor").body == notes);
  CHECK(as_other("/v1/evidence/" + nhex).status == 404);
  CHECK(get(s, "/v1/evidence/" + nhex, "controller").status == 200);
}
