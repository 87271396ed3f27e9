// Personal data (docs/PRIVACY.md): no personal field of the demonstration is
// in any file of the data directory in clear, and the API shows them opened.
#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "base/build_paths.h"
#include "log/merkle.h"
#include "log/note.h"
#include "log/store.h"
#include "server_process.h"
#include "util.h"

using nlohmann::json;
using namespace pl::test;

namespace {

// The fields of the demonstration's commands that are personal data, by
// command (docs/PRIVACY.md, "What is sealed, for whom").
const std::map<std::string, std::set<std::string>> kPersonal = {
    {"open_programme", {"coordinator"}},
    {"enrol_mentee", {"name", "cluster_name", "website"}},
    {"diagnose_needs", {"note"}},
    {"submit_application", {"applicant_name", "organisation", "email"}},
    {"reject_application", {"reason"}},
    {"assign_pair", {"override_reason"}},
    {"log_session", {"summary"}},
    {"void_session", {"reason"}},
    {"submit_report", {"progress", "outcomes"}},
    {"terminate_pair", {"reason"}},
    {"cancel_invoice", {"reason"}},
    {"issue_credit_note", {"reason"}},
    {"verify_expenditure", {"note"}},
    {"record_finding", {"description"}},
    {"apply_correction", {"reason"}},
    {"request_sample", {"reason"}},
    {"register_tour_participant", {"name", "organisation"}},
};

// The demonstration's strings, personal (`personal`: each at least 8 bytes,
// shorter ones could be in any file by chance) and not (`other`).
void strings_of(const json& j, const std::set<std::string>* fields, const std::string& key,
                std::set<std::string>& personal, std::set<std::string>& other) {
  if (j.is_object()) {
    for (auto& [k, v] : j.items()) strings_of(v, fields, k, personal, other);
  } else if (j.is_array()) {
    for (auto& v : j) strings_of(v, fields, key, personal, other);
  } else if (j.is_string()) {
    const std::string& v = j.get_ref<const std::string&>();
    if (fields && fields->contains(key))
      (v.size() >= 8 ? personal : other).insert(v);
    else
      other.insert(v);
  }
}

std::string file_bytes(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

}  // namespace

TEST_CASE("no file of the data directory holds a personal field of the demonstration in clear") {
  json demo = json::parse(file_bytes(pl::build_paths::demo_file));
  std::set<std::string> personal, other;
  for (const json& step : demo["steps"]) {
    auto it = kPersonal.find(step.value("command", ""));
    strings_of(step, it == kPersonal.end() ? nullptr : &it->second, "", personal, other);
  }
  // A personal text that is also part of a text that is not (an organisation
  // named in a tour's organiser) cannot be told apart in the bytes.
  std::erase_if(personal, [&](const std::string& p) {
    return std::any_of(other.begin(), other.end(),
                       [&](const std::string& o) { return o.find(p) != std::string::npos; });
  });
  REQUIRE(personal.size() > 100);
  MESSAGE(personal.size() << " personal strings of the demonstration looked for");

  TempDir dir;
  std::string data = dir.sub("data");
  std::string out;
  REQUIRE(run_ledger({"demo", "--data", data}, &out, true) == 0);

  // Every file, whatever it is: table files, write-ahead log, MANIFEST, the
  // mark, checkpoints, keys, tokens.
  std::size_t files = 0, bytes = 0;
  for (auto& f : std::filesystem::recursive_directory_iterator(data)) {
    if (!f.is_regular_file()) continue;
    std::string b = file_bytes(f.path());
    ++files;
    bytes += b.size();
    for (const auto& s : personal)
      CHECK_MESSAGE(b.find(s) == std::string::npos, f.path().string() << " holds \"" << s << "\"");
  }
  MESSAGE(files << " files, " << bytes << " bytes scanned");
  CHECK(files > 5);

  // The ledger still has them: the export opens them with the master key.
  REQUIRE(run_ledger({"export", "--data", data, "--format", "ndjson"}, &out) == 0);
  std::size_t shown = 0;
  for (const auto& s : personal)
    shown += out.find(json(s).dump().substr(1, json(s).dump().size() - 2)) != std::string::npos;
  CHECK(shown == personal.size());
}

TEST_CASE("erasure over HTTP: only the DPO erases; the person reads [erased], every figure and proof holds") {
  Server s;  // the demonstration
  const std::string mentee = "cluster-north-west-olive-oil", subject = "mentee:" + mentee;
  const std::string budget_path = "/v1/programmes/tnst-2019/budget";
  json budget_before = s.get(budget_path, "finance").j();
  json mentee_before = s.get("/v1/mentees/" + mentee, "coordinator").j();
  REQUIRE(mentee_before["name"] == "Sara Mansour");
  std::uint64_t head = s.head();
  const json order = {
      {"basis", "court_order"}, {"court_reference", "TJ Paris 26/0417"}, {"reason", "order of the court"}};

  // The access document (Art. 15): the DPO's alone; every event that names
  // the person, as the log holds them (counted here from the store itself).
  for (const char* role : {"coordinator", "finance", "auditor", "controller"})
    CHECK(s.get("/v1/subjects/" + subject, role).status == 403);
  CHECK(s.get("/v1/subjects/mentee:nobody", "dpo").status == 404);
  Resp access = s.get("/v1/subjects/" + subject, "dpo");
  REQUIRE_MESSAGE(access.status == 200, access.body);
  json doc = access.j();
  CHECK(doc["subject"] == subject);
  CHECK(doc["erased"] == false);
  std::set<std::uint64_t> naming;
  {
    pl::StoreOptions ro;
    ro.create_if_missing = false;
    ro.read_only = true;
    auto store = pl::Store::open(s.data() + "/ledger", ro).value();
    REQUIRE(store->scan(1, 0, [&](const pl::EventView& e) {
      if (const auto* sealed = e.env->sealed())
        for (const auto* f : *sealed)
          for (const auto* id : *f->subjects())
            if (id->str() == subject) naming.insert(e.position());
      return pl::Status::ok();
    }));
  }
  REQUIRE(!naming.empty());
  std::set<std::uint64_t> listed;
  bool name_shown = false;
  for (auto& ev : doc["events"]) {
    listed.insert(ev["position"].get<std::uint64_t>());
    CHECK(!ev["named_in"].empty());
    name_shown = name_shown || ev["data"].value("name", "") == "Sara Mansour";
  }
  CHECK(listed == naming);
  CHECK(name_shown);

  // Refused, with nothing written: another role, an unknown person, a court
  // order without its reference, an unknown basis.
  for (const char* role : {"coordinator", "finance", "auditor", "controller"}) {
    Resp r = s.post("/v1/subjects/" + subject + "/erasure", order, role);
    CHECK(r.status == 403);
  }
  CHECK(s.post("/v1/subjects/mentee:nobody/erasure", order, "dpo").status == 404);
  CHECK(s.post("/v1/subjects/" + subject + "/erasure", {{"basis", "court_order"}, {"reason", "x"}}, "dpo").status ==
        400);
  CHECK(s.post("/v1/subjects/" + subject + "/erasure", {{"basis", "asked"}, {"reason", "x"}}, "dpo").status == 400);
  CHECK(s.head() == head);

  // A checkpoint signed before the erasure, to prove the tree after it extends it.
  auto key = pl::note::parse_verifier(current_verifier(s.port));
  REQUIRE(key);
  auto checkpoint = [&] {
    Resp cp = s.get("/v1/audit/checkpoint");
    REQUIRE(cp.status == 200);
    return pl::note::parse_checkpoint(pl::note::open(cp.body, {*key}).value()).value();
  };
  const pl::note::Checkpoint signed_before = checkpoint();
  const std::string verifier = current_verifier(s.port);
  // An auditor's pack made before the erasure, and (below) one made after:
  // both check out offline.
  auto fetch_pack = [&](std::uint64_t at, const std::string& name) {
    Resp pack = request(s.port, "GET", "/v1/audit/pack?at=" + std::to_string(at), "",
                        {{"Authorization", "Bearer " + s.tokens.at("auditor")}}, 30000);
    REQUIRE(pack.status == 200);
    std::string file = s.dir().sub(name);
    {
      std::ofstream out(file, std::ios::binary);
      out << pack.body;
    }
    return file;
  };
  auto pack_checks = [&](const std::string& file) {
    std::string out;
    CHECK_MESSAGE(run_ledger({"audit", "check", file, "--key", verifier}, &out, true) == 0, out);
  };
  const std::string pack_before = fetch_pack(head, "before.tar");

  Resp erased = s.post("/v1/subjects/" + subject + "/erasure", order, "dpo");
  REQUIRE_MESSAGE(erased.status == 201, erased.body);
  CHECK(s.head() == head + 1);
  Resp again = s.post("/v1/subjects/" + subject + "/erasure", order, "dpo");
  CHECK(again.status == 409);
  CHECK(again.code() == "subject_erased");
  CHECK(s.head() == head + 1);

  // The person's fields read as erased; their figures are as they were.
  json mentee_after = s.get("/v1/mentees/" + mentee, "coordinator").j();
  CHECK(mentee_after["name"] == "[erased]");
  CHECK(mentee_after["cluster_name"] == "[erased]");
  CHECK(mentee_after["minutes_used"] == mentee_before["minutes_used"]);
  // Every figure of the budget is as it was: only the erased texts differ.
  json budget_after = s.get(budget_path, "finance").j();
  budget_after.erase("position");
  budget_before.erase("position");
  for (auto& line : budget_after["mentees"])
    if (line["mentee_id"] == mentee) {
      CHECK(line["name"] == "[erased]");
      line["name"] = mentee_before["cluster_name"];
    }
  CHECK(budget_after == budget_before);

  // The event holds no personal data, and the log verifies.
  json ev = s.get("/v1/events?from=" + std::to_string(head + 1)).j()["events"][0];
  CHECK(ev["type"] == "eu.programme-ledger.SubjectErased");
  CHECK(ev["data"]["subject"] == subject);
  CHECK(ev["data"]["court_reference"] == "TJ Paris 26/0417");
  CHECK(ev["data"]["programme_ids"] == json::array({"tnst-2019"}));
  CHECK(s.get("/v1/audit/verify").j()["ok"] == true);
  // The checkpoint signed before is consistent with the tree after (RFC 6962).
  const pl::note::Checkpoint signed_after = checkpoint();
  REQUIRE(signed_after.size == signed_before.size + 1);
  json proof = s.get("/v1/audit/proof/consistency?from=" + std::to_string(signed_before.size) +
                     "&to=" + std::to_string(signed_after.size))
                   .j();
  std::vector<pl::Hash> hashes;
  for (auto& h : proof["hashes"]) {
    auto raw = pl::note::unbase64(h.get<std::string>()).value();
    pl::Hash x;
    std::copy(raw.begin(), raw.end(), x.begin());
    hashes.push_back(x);
  }
  CHECK(pl::merkle::verify_consistency(signed_before.size, signed_after.size, signed_before.root, signed_after.root,
                                       hashes));

  pack_checks(pack_before);
  pack_checks(fetch_pack(head + 1, "after.tar"));

  // The access document after: the same events and the erasure, their
  // fields erased.
  json doc_after = s.get("/v1/subjects/" + subject, "dpo").j();
  CHECK(doc_after["erased"] == true);
  REQUIRE(doc_after["events"].size() == doc["events"].size() + 1);
  CHECK(doc_after["events"].back()["type"] == "eu.programme-ledger.SubjectErased");
  CHECK(doc_after["events"].dump().find("Sara Mansour") == std::string::npos);
  CHECK(doc_after["events"].dump().find("[erased]") != std::string::npos);
  // After a restart, still erased.
  REQUIRE(s.stop() == 0);
  s.start();
  CHECK(s.get("/v1/mentees/" + mentee, "coordinator").j()["name"] == "[erased]");
}

TEST_CASE("ledger key rotate-master: a new master key wraps every data key; what was readable stays readable") {
  TempDir dir;
  const std::string data = dir.sub("data");
  REQUIRE(run_ledger({"demo", "--data", data}) == 0);
  std::string out;
  REQUIRE(run_ledger({"key", "master", "--data", data}, &out) == 0);
  json shown = json::parse(out);
  const std::string before = shown["master_key_id"];
  CHECK(before.size() == 8);
  CHECK(shown["data_keys"].get<std::size_t>() > 10);
  const std::string key_text = read_file(data + "/master.key");
  CHECK(out.find(key_text.substr(25, 20)) == std::string::npos);  // the id, never the key

  REQUIRE(run_ledger({"key", "rotate-master", "--data", data}, &out) == 0);
  const std::string after = out.substr(0, out.find('\n'));
  CHECK(after != before);
  CHECK(read_file(data + "/master.key") != key_text);
  CHECK(!std::filesystem::exists(data + "/master.key.next"));
  REQUIRE(run_ledger({"key", "master", "--data", data}, &out) == 0);
  CHECK(json::parse(out)["master_key_id"] == after);
  CHECK(json::parse(out)["data_keys"] == shown["data_keys"]);
  // The fields open as before, and verify holds.
  REQUIRE(run_ledger({"export", "--data", data, "--format", "ndjson"}, &out) == 0);
  CHECK(out.find("Sara Mansour") != std::string::npos);
  CHECK(out.find("[unreadable]") == std::string::npos);
  CHECK(run_ledger({"verify", "--data", data}, &out) == 0);
  // The old key no longer opens anything: put back, every field reads as
  // unreadable, none as erased.
  {
    std::ofstream f(data + "/master.key", std::ios::trunc);
    f << key_text;
  }
  REQUIRE(run_ledger({"export", "--data", data, "--format", "ndjson"}, &out) == 0);
  CHECK(out.find("Sara Mansour") == std::string::npos);
  CHECK(out.find("[unreadable]") != std::string::npos);
  CHECK(out.find("[erased]") == std::string::npos);
}
