// Evidence documents end to end, the store's side: one name and type per
// document, a damaged document under a stopped server (the ledger starts,
// that document alone fails, health and the command line say so), quotas,
// expiry and purge, and the disk.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>

#include "evidence_http.h"
#include "fixtures.h"

using namespace pl::test;

namespace {

Resp get(const Server& s, const std::string& target, const std::string& role = "auditor") {
  return request(s.port, "GET", target, "", {{"Authorization", "Bearer " + s.tokens.at(role)}});
}

// Flips one byte of `doc`'s last piece where the store's blob files hold it
// (the server stopped): its pieces are kept there as they were sent. Returns
// the number of files changed.
int damage_blob_files(const Server& s, const std::string& doc) {
  std::string needle = doc.substr(doc.size() - 200, 64);
  int changed = 0;
  for (auto& entry : std::filesystem::directory_iterator(s.data() + "/ledger")) {
    if (entry.path().extension() != ".blob") continue;
    std::string bytes = read_file(entry.path().string());
    auto at = bytes.find(needle);
    if (at == std::string::npos) continue;
    bytes[at + 10] = static_cast<char>(bytes[at + 10] ^ 0x01);
    std::ofstream out(entry.path(), std::ios::binary | std::ios::trunc);
    out << bytes;
    ++changed;
  }
  return changed;
}

}  // namespace

TEST_CASE("evidence: the same bytes under another name or type are refused, not answered with a name not kept") {
  Server s(false);
  // Text that is a PDF's start too: both types take it.
  std::string doc = "%PDF-1.4 minutes of the meeting of 12 March\n";
  Resp first = upload(s, doc, "text/plain", "finance", "minutes.txt");
  REQUIRE_MESSAGE(first.status == 201, first.body);
  std::string hex = first.j()["sha256"];

  Resp as_pdf = upload(s, doc, "application/pdf", "coordinator", "minutes.pdf");
  CHECK(as_pdf.status == 409);
  CHECK(as_pdf.code() == "evidence_conflict");
  std::string message = as_pdf.j()["error"]["message"];
  CHECK_MESSAGE(message.find("'minutes.txt' (text/plain; charset=utf-8)") != std::string::npos, message);
  Resp renamed = upload(s, doc, "text/plain", "coordinator", "other.txt");
  CHECK(renamed.status == 409);
  CHECK(renamed.code() == "evidence_conflict");

  // Refused, the coordinator did not become an uploader: the document is
  // still not theirs to read.
  CHECK(get(s, "/v1/evidence/" + hex, "coordinator").status == 404);
  json meta = get(s, "/v1/evidence/" + hex + "/meta", "controller").j();
  CHECK(meta["filename"] == "minutes.txt");
  CHECK(meta["content_type"] == "text/plain; charset=utf-8");
  CHECK(meta["uploaded_by"] == json::array({"t-finance"}));

  // Under the name and type kept, the same bytes are taken: the answer is
  // what the store keeps, and every download gives it.
  Resp same = upload(s, doc, "text/plain; charset=utf-8", "coordinator", "minutes.txt");
  REQUIRE_MESSAGE(same.status == 201, same.body);
  CHECK(same.j()["stored"] == false);
  CHECK(same.j()["filename"] == "minutes.txt");
  CHECK(same.j()["content_type"] == "text/plain; charset=utf-8");
  Resp back = get(s, "/v1/evidence/" + hex, "coordinator");
  CHECK(back.status == 200);
  CHECK(back.headers["content-type"] == "text/plain; charset=utf-8");
  CHECK(back.headers["content-disposition"].find("filename=\"minutes.txt\"") != std::string::npos);
}

TEST_CASE("evidence: a damaged newest document; the ledger starts, that document alone fails, the tools say so") {
  Server s(false);
  std::string older = pdf(300'000, 40), newest = pdf(kMiB + 70'000, 41);
  std::string older_hex = upload(s, older).j()["sha256"];
  Resp up = upload(s, newest);
  REQUIRE(up.status == 201);
  std::string hex = up.j()["sha256"];
  REQUIRE(s.stop() == 0);
  REQUIRE(damage_blob_files(s, newest) == 1);

  // The tools, server stopped: verify checks the documents too, and so does
  // the backup's check of its copy.
  std::string out;
  CHECK(run_ledger({"verify", "--data", s.data()}, &out) == 2);
  json rep = json::parse(out);
  CHECK(rep["ok"] == false);
  CHECK(rep["documents"]["checked"] == 2);
  REQUIRE(rep["documents"]["corrupt"].size() == 1);
  CHECK(rep["documents"]["corrupt"][0]["sha256"] == hex);
  std::string backup = s.dir().sub("backup");
  CHECK(run_ledger({"backup", "--data", s.data(), "--to", backup, "--copy"}, &out) == 2);
  rep = json::parse(out);
  CHECK(rep["ok"] == false);
  REQUIRE(rep["documents"]["corrupt"].size() == 1);
  CHECK(rep["documents"]["corrupt"][0]["sha256"] == hex);

  // The server starts, and serves everything but that document.
  REQUIRE_NOTHROW(s.start());
  CHECK(get(s, "/healthz").status == 200);
  Resp r = get(s, "/v1/evidence/" + hex);
  CHECK(r.status == 500);
  CHECK(r.code() == "corrupt");
  CHECK(get(s, "/v1/evidence/" + older_hex).body == older);
  CHECK(get(s, "/v1/evidence/" + hex + "/meta").status == 200);
  Resp another = upload(s, pdf(5000, 42));
  CHECK(another.status == 201);
  CHECK(get(s, "/v1/evidence/" + another.j()["sha256"].get<std::string>()).status == 200);
  CHECK(s.post("/v1/programmes", programme_body({.id = "p"})).status == 201);
  Resp health = get(s, "/healthz");
  CHECK(health.status == 503);
  CHECK(health.j()["reason"].get<std::string>().find(hex) != std::string::npos);
}

TEST_CASE("evidence: a verify of the events does not clear a damaged document's fault") {
  Server s(false);
  std::string older = pdf(kMiB + 20'000, 43), newest = pdf(200'000, 44);
  Resp up = upload(s, older);
  REQUIRE(up.status == 201);
  std::string hex = up.j()["sha256"];
  REQUIRE(upload(s, newest).status == 201);
  REQUIRE(s.stop() == 0);
  REQUIRE(damage_blob_files(s, older) == 1);
  s.start();

  CHECK(get(s, "/v1/evidence/" + hex).status == 500);
  CHECK(get(s, "/healthz").status == 503);
  Resp verify = get(s, "/v1/audit/verify");
  REQUIRE(verify.status == 200);
  CHECK(verify.j()["ok"] == true);  // the events are fine
  // The document is not: health still says so, and names it.
  Resp health = get(s, "/healthz");
  CHECK(health.status == 503);
  CHECK(health.j()["reason"].get<std::string>().find(hex) != std::string::npos);
  CHECK(get(s, "/v1/evidence/" + hex).status == 500);
}

TEST_CASE("evidence quotas: an uploader's unattached documents, and all documents, refused with their codes") {
  // 1 MiB of unattached documents per uploader, 2 MiB in all.
  Server s(false, {"--evidence-quota-mib", "1", "--evidence-total-mib", "2"});
  set_up_pair(s);
  REQUIRE(s.post("/v1/pairs/p1/invoices", invoice_body("i1", "E1-1"), "finance").status == 201);

  std::string a = pdf(600'000, 50), b = pdf(600'000, 51);
  Resp first = upload(s, a);
  REQUIRE(first.status == 201);
  Resp over = upload(s, b);
  CHECK(over.status == 413);
  CHECK(over.code() == "evidence_quota_exceeded");
  CHECK(get(s, "/v1/evidence/" + evp_sha256_hex(b), "controller").status == 404);  // nothing kept
  // Another uploader has a quota of its own.
  Resp theirs = upload(s, pdf(300'000, 52), "application/pdf", "coordinator", "c.pdf");
  CHECK(theirs.status == 201);

  // Attached, a document no longer counts against its uploader.
  REQUIRE(
      s.post("/v1/invoices/i1/evidence", {{"sha256", first.j()["sha256"]}, {"kind", "invoice"}}, "finance").status ==
      201);
  Resp now = upload(s, b);
  CHECK(now.status == 201);

  // Every document together: 1.5 MB stored, 0.7 MB more passes 2 MiB.
  Resp full = upload(s, pdf(700'000, 53), "application/pdf", "controller", "x.pdf");
  CHECK(full.status == 507);
  CHECK(full.code() == "evidence_storage_full");
  CHECK(upload(s, pdf(400'000, 54), "application/pdf", "controller", "y.pdf").status == 201);
  CHECK(get(s, "/healthz").status == 200);
}

TEST_CASE("evidence purge: an expired unattached document goes, an attached one and a recent one stay") {
  Server s(false);
  set_up_pair(s);
  REQUIRE(s.post("/v1/pairs/p1/invoices", invoice_body("i1", "E1-1"), "finance").status == 201);
  std::string attached = upload(s, pdf(2 * kMiB + 5, 60)).j()["sha256"];
  std::string loose = upload(s, pdf(1000, 61), "application/pdf", "coordinator", "loose.pdf").j()["sha256"];
  REQUIRE(s.post("/v1/invoices/i1/evidence", {{"sha256", attached}, {"kind", "invoice"}}, "finance").status == 201);

  // Not while a server holds the store.
  std::string out;
  CHECK(run_ledger({"evidence", "purge", "--data", s.data(), "--expire-days", "0"}, &out, true) == 1);
  CHECK_MESSAGE(out.find("stop the server first") != std::string::npos, out);
  REQUIRE(s.stop() == 0);

  // Within the default expiry (7 days), nothing goes.
  REQUIRE(run_ledger({"evidence", "purge", "--data", s.data()}, &out) == 0);
  json kept = json::parse(out);
  CHECK(kept["removed"].empty());
  CHECK(kept["kept_recent"] == 1);
  CHECK(kept["kept_attached"] == 1);
  // Expired (an expiry of 0 days): the unattached one goes, the attached one stays.
  REQUIRE(run_ledger({"evidence", "purge", "--data", s.data(), "--expire-days", "0"}, &out) == 0);
  json purged = json::parse(out);
  REQUIRE(purged["removed"].size() == 1);
  CHECK(purged["removed"][0]["sha256"] == loose);
  CHECK(purged["kept_attached"] == 1);
  CHECK(purged["freed_bytes"] == 1000);

  REQUIRE(run_ledger({"verify", "--data", s.data()}, &out) == 0);
  CHECK(json::parse(out)["documents"]["checked"] == 1);
  s.start();
  CHECK(get(s, "/v1/evidence/" + attached).status == 200);
  CHECK(get(s, "/v1/evidence/" + loose).status == 404);
  CHECK(get(s, "/v1/invoices/i1", "finance").j()["evidence"][0]["sha256"] == attached);
  // Its bytes can be uploaded again.
  CHECK(upload(s, pdf(1000, 61), "application/pdf", "coordinator", "loose.pdf").status == 201);
  CHECK(get(s, "/v1/evidence/" + loose).status == 200);
}

TEST_CASE("evidence: under the free-space threshold, /healthz fails and no document is taken") {
  // A threshold far above any disk's free space.
  Server s(false, {"--disk-low-mib", "100000000"});
  Resp health = get(s, "/healthz");
  CHECK(health.status == 503);
  CHECK(health.j()["reason"].get<std::string>().find("low disk") != std::string::npos);
  CHECK(health.j()["disk_free_bytes"].is_number());
  Resp refused = upload(s, pdf(1000, 70));
  CHECK(refused.status == 507);
  CHECK(refused.code() == "disk_low");
  // Commands still go through: the space left is the events'.
  CHECK(s.post("/v1/programmes", programme_body({.id = "p"})).status == 201);
}
