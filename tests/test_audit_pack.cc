// The auditor's pack: built from the demonstration ledger, checked offline,
// and refused, for the right reason, whatever is changed in it.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>

#include "app/demo.h"
#include "audit/audit_pack.h"
#include "audit/tar.h"
#include "audit_pack_util.h"
#include "base/build_paths.h"
#include "domain/sampling.h"
#include "log/note.h"
#include "log/signer.h"
#include "read/replay.h"
#include "render/event_json.h"
#include "render/sample_json.h"
#include "render/views_json.h"
#include "server_process.h"
#include "util.h"

using namespace pl;
using json = nlohmann::json;

using namespace pack_util;

TEST_CASE("audit pack: the demonstration ledger's pack checks out offline") {
  const Demo& d = demo();
  std::size_t largest = 0;
  std::string tar = d.pack(0, &largest);
  CHECK(largest <= audit::kPieceBytes);
  std::uint64_t head = d.store->head().position;
  REQUIRE(head > 100);

  auto r = check(tar, d.keys());
  INFO(r.text());
  REQUIRE(r.ok);
  CHECK(r.dir == "ledger-pack-" + std::to_string(head));
  REQUIRE(r.documents > 100);  // the demonstration's evidence documents
  CHECK(r.files == 8 + r.documents);
  CHECK(r.events == head);
  CHECK(r.tree_size == head);
  CHECK(r.root == d.store->tree_root(head).value());
  CHECK(r.ndjson_lines == head);
  CHECK(r.programmes == 2);
  CHECK(r.pairs > 0);
  CHECK(r.totals_values > 1000);
  CHECK(r.text().rfind("ok: ledger-pack-", 0) == 0);
  // The demonstration's sample, drawn again from the pack's events alone.
  REQUIRE(r.samples.size() == 1);
  CHECK(r.samples[0].matches);
  CHECK(r.samples[0].id == "tnst-2019-s1");
  CHECK(r.text().find("samples 1 drawn again") != std::string::npos);

  // The layout, in order; the bytes are the ledger's own.
  auto items = unpack(tar);
  std::string dir = "ledger-pack-" + std::to_string(head) + "/";
  std::vector<std::string> names;
  for (auto& it : items) names.push_back(it.name);
  REQUIRE(names.size() == 11 + r.documents);
  CHECK(std::vector<std::string>(names.begin(), names.begin() + 11) ==
        std::vector<std::string>{dir, dir + "README.md", dir + "MANIFEST.sha256", dir + "checkpoint.txt",
                                 dir + "verifier-keys.txt", dir + "events.fbs", dir + "totals.json", dir + "events.bin",
                                 dir + "events.ndjson", dir + "evidence.json", dir + "evidence/"});
  // The documents: every one the events attach, in hash order, as stored.
  json evidence = json::parse(file(items, "evidence.json"));
  REQUIRE(evidence["documents"].size() == r.documents);
  for (std::size_t i = 0; i < r.documents; ++i) {
    const json& doc = evidence["documents"][i];
    std::string hex = doc["sha256"];
    CHECK(items[11 + i].name == dir + "evidence/" + hex);
    CHECK(to_hex(sha256(items[11 + i].data)) == hex);
    Hash h{};
    REQUIRE(from_hex(hex, &h));
    CHECK(items[11 + i].data == d.store->read_evidence(h).value());
    CHECK(doc["size"] == items[11 + i].data.size());
    CHECK(doc["attachments"].size() >= 1);
  }
  CHECK(file(items, "checkpoint.txt") == d.signer->checkpoint(head).value());
  CHECK(file(items, "verifier-keys.txt") == d.signer->verifiers().back() + "\n");
  CHECK(file(items, "events.fbs") == audit::events_schema());
  CHECK(file(items, "events.fbs").find("table Envelope") != std::string::npos);
  CHECK(file(items, "README.md").find("ledger audit check " + dir.substr(0, dir.size() - 1) + ".tar") !=
        std::string::npos);
  auto first = d.store->read_one(1).value();
  CHECK(records(file(items, "events.bin")).front().substr(4) == first.bytes());
  CHECK(records(file(items, "events.bin")).size() == head);
  const std::string& nd = file(items, "events.ndjson");
  CHECK(nd.substr(0, nd.find('\n') + 1) == ndjson_line(first.view(), nullptr));

  // totals.json is the API's JSON at the head.
  auto rm = replay<ReadModels>(*d.store).value();
  json totals = json::parse(file(items, "totals.json"));
  CHECK(totals["position"] == head);
  for (auto& p : totals["programmes"]) {
    std::string pid = p["programme"]["id"];
    CHECK(p["budget"] == budget_answer(rm, pid, true));
    CHECK(p["hours_by_mentee"] == hours_answer(rm, pid, HoursBy::mentee, "mentee"));
    CHECK(p["budget"]["totals"].contains("explain"));
  }

  // The same ledger makes the same bytes.
  CHECK(d.pack() == tar);
}

TEST_CASE("audit pack: a pack of an earlier position, and what tar and sha256sum make of it") {
  const Demo& d = demo();
  std::string tar = d.pack(100);
  auto r = check(tar, d.keys());
  INFO(r.text());
  REQUIRE(r.ok);
  CHECK(r.events == 100);
  CHECK(r.root == d.store->tree_root(100).value());

  std::string before;
  auto past = audit::build_pack(*d.store, *d.signer, d.store->head().position + 1,
                                [&](std::string_view p) { return before.append(p), Status::ok(); });
  CHECK(past.status().is(Kind::invalid_argument));

  // The system's tar reads it and sha256sum -c agrees with the manifest.
  if (std::system("command -v tar >/dev/null && command -v sha256sum >/dev/null") == 0) {
    test::TempDir out;
    {
      std::ofstream f(out.sub("pack.tar"), std::ios::binary);
      f << tar;
    }
    std::string cmd = "cd '" + out.path() + "' && tar -xf pack.tar && cd ledger-pack-100 && sha256sum -c --quiet " +
                      "MANIFEST.sha256 && test \"$(stat -c %a events.bin)\" = 644";
    CHECK(std::system(cmd.c_str()) == 0);
  }
}

TEST_CASE("audit check: a changed event is caught by the manifest, and by its hash when the manifest follows") {
  const Demo& d = demo();
  const std::string tar = d.pack();
  auto items = unpack(tar);
  auto rs = records(file(items, "events.bin"));
  // Event 42's stream id, one letter changed: the envelope still decodes.
  std::string& rec = rs[41];
  std::string envelope = rec.substr(4);
  std::string stream(decode_event(envelope).value().stream());
  REQUIRE(stream.size() > 3);
  std::size_t at = rec.find(stream, 4);
  REQUIRE(at != std::string::npos);
  rec[at] = static_cast<char>(rec[at] ^ 0x20);
  file(items, "events.bin") = joined(rs);

  refused(check(repack(items), d.keys()), "events.bin", 0, "sha256");
  update_manifest(items);
  auto r = check(repack(items), d.keys());
  refused(r, "events.bin", 42, "hash");
  CHECK(r.message.find("its contents hash to") != std::string::npos);
}

TEST_CASE("audit check: events swapped or missing") {
  {
    auto r = with_records([](std::vector<std::string>& rs) { std::swap(rs[9], rs[10]); });
    refused(r, "events.bin", 10, "position");
    CHECK(r.message.find("holds position 11") != std::string::npos);
  }
  {
    auto r = with_records([](std::vector<std::string>& rs) { rs.erase(rs.begin() + 20); });
    refused(r, "events.bin", 21, "position");
    CHECK(r.message.find("holds position 22") != std::string::npos);
  }
  {
    // The last event gone: the chain holds, the tree is one short.
    auto r = with_records([](std::vector<std::string>& rs) { rs.pop_back(); });
    refused(r, "events.bin", 0, "");
    CHECK(r.message.find("checkpoint.txt is of a tree of") != std::string::npos);
  }
}

TEST_CASE("audit check: the checkpoint must verify with a key the caller gives") {
  const Demo& d = demo();
  const std::string tar = d.pack();
  {
    // One byte of the root changed.
    auto items = unpack(tar);
    std::string& cp = file(items, "checkpoint.txt");
    std::size_t third = cp.find('\n', cp.find('\n') + 1) + 1;
    cp[third + 3] = cp[third + 3] == 'A' ? 'B' : 'A';
    refused(check(repack(items), d.keys()), "checkpoint.txt", 0, "sha256");
    update_manifest(items);
    auto r = check(repack(items), d.keys());
    refused(r, "checkpoint.txt", 0, "signature");
  }
  {
    // Signed by another key of the same name, listed in the pack's own keys:
    // the pack's keys prove nothing, the caller's key refuses it.
    auto items = unpack(tar);
    auto other = note::generate(d.signer->origin()).value();
    std::uint64_t head = d.store->head().position;
    note::Checkpoint c{d.signer->origin(), head, d.store->tree_root(head).value()};
    file(items, "checkpoint.txt") = note::sign(note::checkpoint_text(c), other);
    file(items, "verifier-keys.txt") = other.verifier() + "\n";
    update_manifest(items);
    std::string forged = repack(items);
    auto r = check(forged, d.keys());
    refused(r, "checkpoint.txt", 0, "signature");
    // With the forger's key it opens, and everything else holds.
    CHECK(check(forged, {note::parse_verifier(other.verifier()).value()}).ok);
    // With both keys, but the pack not listing the key that signed.
    file(items, "verifier-keys.txt") = d.signer->verifier() + "\n";
    update_manifest(items);
    auto both = d.keys();
    both.push_back(note::parse_verifier(other.verifier()).value());
    refused(check(repack(items), both), "verifier-keys.txt", 0, "");
  }
}

TEST_CASE("audit check: a changed total or NDJSON line names its place") {
  const Demo& d = demo();
  const std::string tar = d.pack();
  {
    auto items = unpack(tar);
    json totals = json::parse(file(items, "totals.json"));
    totals["programmes"][1]["budget"]["totals"]["net_invoiced_cents"] =
        totals["programmes"][1]["budget"]["totals"]["net_invoiced_cents"].get<std::int64_t>() + 100;
    file(items, "totals.json") = totals.dump(2) + "\n";
    update_manifest(items);
    auto r = check(repack(items), d.keys());
    refused(r, "totals.json", 0, "/programmes/1/budget/totals/net_invoiced_cents");
    CHECK(r.message.find("the events give") != std::string::npos);
  }
  {
    auto items = unpack(tar);
    std::string& nd = file(items, "events.ndjson");
    std::size_t start = 0;
    for (int i = 0; i < 6; ++i) start = nd.find('\n', start) + 1;  // line 7
    std::size_t end = nd.find('\n', start);
    json line = json::parse(nd.substr(start, end - start));
    line["time"] = "2001-01-01T00:00:00Z";
    nd.replace(start, end - start, line.dump());
    update_manifest(items);
    auto r = check(repack(items), d.keys());
    refused(r, "events.ndjson", 7, "/time");
  }
  {
    // The same JSON with other spacing is not what the export writes.
    auto items = unpack(tar);
    std::string& nd = file(items, "events.ndjson");
    nd.insert(1, " ");
    update_manifest(items);
    refused(check(repack(items), d.keys()), "events.ndjson", 1, "");
  }
}

TEST_CASE("audit check: events are checked against the signed root before anything is folded from them") {
  Invented invented;
  auto invented_items = unpack(invented.pack());
  const std::string invented_bin = file(invented_items, "events.bin");
  // The demonstration's pack with the invented chain for events (the
  // manifest follows): not the tree the checkpoint signs, said as such.
  refused(changed("events.bin", [&](std::string& bin) { bin = invented_bin; }), "events.bin", 0, "");
  // The invented ledger's own pack, signed with its own key: the chain and
  // the tree hold, and the sample is refused as the writer would refuse it.
  audit::CheckReport own = check(invented.pack(), invented.keys());
  refused(own, "events.bin", 7, "sample");
  CHECK_MESSAGE(own.message.find("does not fit in 63 bits") != std::string::npos, own.message);
}

TEST_CASE("audit check: JSON nested too deep, in totals.json, evidence.json or an NDJSON line, is refused") {
  const std::string deep = std::string(100000, '[') + std::string(100000, ']');
  for (const char* name : {audit::kTotals, audit::kEvidence}) {
    CAPTURE(name);
    audit::CheckReport r = changed(name, [&](std::string& text) { text = deep; });
    refused(r, name, 0, "");
    CHECK_MESSAGE(r.message.find("nested deeper than") != std::string::npos, r.message);
  }
  audit::CheckReport r =
      changed(audit::kEventsNdjson, [&](std::string& nd) { nd = "[" + deep + "]\n" + nd.substr(nd.find('\n') + 1); });
  refused(r, audit::kEventsNdjson, 1, "");
  CHECK_MESSAGE(r.message.find("nested deeper than") != std::string::npos, r.message);
}

TEST_CASE("audit check: files missing or extra, and an archive that is not a pack") {
  const Demo& d = demo();
  const std::string tar = d.pack();
  {
    auto items = unpack(tar);
    items.push_back({items[0].name + "notes.txt", '0', "a file of my own\n"});
    update_manifest(items);
    refused(check(repack(items), d.keys()), "notes.txt", 0, "");
  }
  {
    auto items = unpack(tar);
    items.erase(items.begin() + 6);  // totals.json
    update_manifest(items);
    refused(check(repack(items), d.keys()), "totals.json", 0, "");
  }
  {
    auto items = unpack(tar);
    file(items, "MANIFEST.sha256").erase(0, file(items, "MANIFEST.sha256").find('\n') + 1);  // README unlisted
    auto r = check(repack(items), d.keys());
    refused(r, "MANIFEST.sha256", 0, "");
    CHECK(r.message.find("README.md") != std::string::npos);
  }
  auto cut = check(tar.substr(0, tar.size() / 2), d.keys());
  CHECK_FALSE(cut.ok);
  CHECK(cut.unusable);
  auto junk = check(std::string(4096, 'x'), d.keys());
  CHECK(junk.unusable);
}

TEST_CASE("audit pack: the file is written new, never through a link planted at its name or beside it") {
  test::TempDir dir;
  std::string data = dir.sub("data");
  REQUIRE(test::run_ledger({"demo", "--data", data}) == 0);
  std::string victim = dir.sub("victim"), to = dir.sub("pack.tar");
  {
    std::ofstream v(victim);
    v << "not to be touched";
  }
  std::filesystem::create_symlink(victim, to + ".part");
  std::string out;
  CHECK(test::run_ledger({"audit", "pack", "--data", data, "--to", to}, &out, true) != 0);
  CHECK_MESSAGE(out.find("pack.tar.part") != std::string::npos, out);
  CHECK(test::read_file(victim) == "not to be touched");
  CHECK_FALSE(std::filesystem::exists(to));
  // Once the link is gone, the pack is written and checks out.
  std::filesystem::remove(to + ".part");
  REQUIRE(test::run_ledger({"audit", "pack", "--data", data, "--to", to}, &out, true) == 0);
  CHECK(std::filesystem::is_regular_file(to));
  CHECK_FALSE(std::filesystem::exists(to + ".part"));
  CHECK((std::filesystem::status(to).permissions() & std::filesystem::perms::others_read) ==
        std::filesystem::perms::none);
}

TEST_CASE("audit sample: the command line draws the pack's samples again, with their populations") {
  const Demo& d = demo();
  test::TempDir dir;
  std::string file = dir.sub("pack.tar");
  {
    std::ofstream out(file, std::ios::binary);
    out << d.pack();
  }
  std::string out;
  REQUIRE(test::run_ledger({"audit", "sample", file, "--key", d.signer->verifier(), "--population"}, &out) == 0);
  json samples = json::parse(out);
  REQUIRE(samples.size() == 1);
  const json& s = samples[0];
  CHECK(s["matches_the_event"] == true);
  // The same selection as the ledger's own answer.
  auto rm = replay<ReadModels>(*d.store).value();
  const ProgrammeIndex* idx = State::find(rm.programmes(), "tnst-2019");
  json api = sample_json(rm, "tnst-2019", *idx, idx->samples.at(0).id);
  CHECK(s["selection"] == api["items"]);
  CHECK(s["population_sha256"] == api["population_sha256"]);
  CHECK(s["population_units"].size() == api["population_count"]);
  // The listing's hash is the hash of the population as printed.
  std::string listing;
  for (auto& u : s["population_units"])
    listing += u["id"].get<std::string>() + "\t" + std::to_string(u["amount_cents"].get<std::int64_t>()) + "\n";
  CHECK(to_hex(sha256(listing)) == s["population_sha256"]);
  CHECK(test::run_ledger({"audit", "sample", file, "--key", d.signer->verifier(), "--sample", "nope"}, &out) == 1);
  // A key that did not sign: the pack is refused before any sample is trusted.
  CHECK(test::run_ledger(
            {"audit", "sample", file, "--key", "other+12345678+AeOVEzgr5RS8Lx8w6WmzfhGYYTm2ZpV9TdSF2jsPXTWD"}, &out) !=
        0);
}

TEST_CASE("audit check: a document altered, missing or extra is caught, whatever the manifest says") {
  const Demo& d = demo();
  const std::string tar = d.pack();
  auto whole = unpack(tar);
  json evidence = json::parse(file(whole, "evidence.json"));
  REQUIRE(evidence["documents"].size() > 2);
  const json& doc = evidence["documents"][1];
  std::string name = doc["file"], hex = doc["sha256"];
  std::uint64_t position = doc["attachments"][0]["position"];
  {
    // One byte changed: the manifest catches it; a manifest written again
    // does not save it, the hash its event names does.
    auto items = unpack(tar);
    std::string& bytes = file(items, name);
    bytes[bytes.size() / 2] = static_cast<char>(bytes[bytes.size() / 2] ^ 1);
    refused(check(repack(items), d.keys()), name, 0, "sha256");
    update_manifest(items);
    auto r = check(repack(items), d.keys());
    refused(r, name, position, "sha256");
    CHECK(r.message.find("altered") != std::string::npos);
  }
  {
    // Gone, with its manifest line.
    auto items = unpack(tar);
    items.erase(
        std::remove_if(items.begin(), items.end(),
                       [&](const Item& it) { return it.name.size() > 64 && it.name.find(hex) != std::string::npos; }),
        items.end());
    update_manifest(items);
    auto r = check(repack(items), d.keys());
    refused(r, name, position, "");
    CHECK(r.message.find("missing") != std::string::npos);
  }
  {
    // A document no event attaches.
    auto items = unpack(tar);
    std::string other = "%PDF-1.4 not attached";
    items.push_back({items[0].name + "evidence/" + to_hex(sha256(other)), '0', other});
    update_manifest(items);
    refused(check(repack(items), d.keys()), "evidence/" + to_hex(sha256(other)), 0, "");
  }
  {
    // evidence.json says another name than the events.
    auto items = unpack(tar);
    json changed = evidence;
    changed["documents"][1]["filename"] = "other.pdf";
    file(items, "evidence.json") = changed.dump(2) + "\n";
    update_manifest(items);
    refused(check(repack(items), d.keys()), "evidence.json", 0, "/documents/1/filename");
  }
  {
    // A pack of a position before any document is attached has none, and checks.
    std::uint64_t first = evidence["documents"][0]["attachments"][0]["position"];
    for (auto& dj : evidence["documents"])
      for (auto& a : dj["attachments"]) first = std::min(first, a["position"].get<std::uint64_t>());
    auto r = check(d.pack(first - 1), d.keys());
    REQUIRE_MESSAGE(r.ok, r.text());
    CHECK(r.documents == 0);
  }
}
