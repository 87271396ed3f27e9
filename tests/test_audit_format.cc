// What a pack may lack, by the format it declares (totals.json's pack_format):
// a pack of format 1 lacks the figures and fields added since and still
// checks; any other key missing fails with its JSON pointer.
#include <doctest/doctest.h>

#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>

#include "audit/audit_pack.h"
#include "audit_pack_util.h"
#include "server_process.h"
#include "util.h"

using namespace pack_util;

namespace {

// events.ndjson with `change` applied to each line, parsed, and written again.
std::string each_line(const std::string& nd, const std::function<void(json&)>& change) {
  std::string out;
  for (std::size_t start = 0; start < nd.size();) {
    std::size_t end = nd.find('\n', start);
    json line = json::parse(nd.substr(start, end - start));
    change(line);
    out += line.dump() + "\n";
    start = end + 1;
  }
  return out;
}

}  // namespace

TEST_CASE("audit check: a pack of format 1, without the figures and fields added since, still checks") {
  const Demo& d = demo();
  auto items = unpack(d.pack());
  // As the ledger wrote it before packs declared their format: no
  // pack_format, no VAT figures in the totals, no vat_cents in the payments' data.
  json totals = json::parse(file(items, "totals.json"));
  CHECK(totals["pack_format"] == audit::kPackFormat);
  totals.erase("pack_format");
  json& t = totals["programmes"][1]["budget"]["totals"];
  t.erase("vat_paid_cents");
  t.erase("eligible_cents");
  file(items, "totals.json") = totals.dump(2) + "\n";
  std::size_t dropped = 0;
  file(items, "events.ndjson") = each_line(file(items, "events.ndjson"), [&](json& line) {
    if (line["type"] == "eu.programme-ledger.InvoicePaid") dropped += line["data"].erase("vat_cents");
  });
  REQUIRE(dropped > 0);
  update_manifest(items);
  auto r = check(repack(items), d.keys());
  REQUIRE_MESSAGE(r.ok, r.message);
  CHECK(r.format == 1);
  CHECK(r.totals_absent == 2);
  CHECK(r.ndjson_absent == dropped);
  CHECK(r.text().find("a pack of format 1") != std::string::npos);
  // What it does give is still compared.
  t["paid_cents"] = t["paid_cents"].get<std::int64_t>() + 1;
  file(items, "totals.json") = totals.dump(2) + "\n";
  update_manifest(items);
  refused(check(repack(items), d.keys()), "totals.json", 0, "/programmes/1/budget/totals/paid_cents");
}

TEST_CASE("audit check: a pack lacks only what its format had not: empty event lines, a missing figure, fail") {
  const Demo& d = demo();
  const std::string tar = d.pack();
  auto whole = check(tar, d.keys());
  REQUIRE(whole.ok);
  CHECK(whole.format == audit::kPackFormat);
  CHECK(whole.text().find("note") == std::string::npos);
  auto totals_without = [&](bool declared, const std::function<void(json&)>& change) {
    auto items = unpack(tar);
    json totals = json::parse(file(items, "totals.json"));
    if (!declared) totals.erase("pack_format");
    change(totals);
    file(items, "totals.json") = totals.dump(2) + "\n";
    update_manifest(items);
    return check(repack(items), d.keys());
  };
  SUBCASE("lines of {} in events.ndjson, in a pack of either format") {
    for (bool declared : {true, false}) {
      auto items = unpack(tar);
      if (!declared) {
        json totals = json::parse(file(items, "totals.json"));
        totals.erase("pack_format");
        file(items, "totals.json") = totals.dump(2) + "\n";
      }
      file(items, "events.ndjson") = each_line(file(items, "events.ndjson"), [](json& line) { line = json::object(); });
      update_manifest(items);
      auto r = check(repack(items), d.keys());
      refused(r, "events.ndjson", 1, "/actor");
      CHECK(r.message.find("missing; the events give") != std::string::npos);
      if (declared) continue;
      // The command line says the same and exits 2.
      test::TempDir dir;
      std::string path = dir.sub("pack.tar"), out;
      {
        std::ofstream f(path, std::ios::binary);
        f << repack(items);
      }
      CHECK(test::run_ledger({"audit", "check", path, "--key", d.signer->verifier()}, &out, true) == 2);
      CHECK_MESSAGE(out.find("FAILED: events.ndjson, position 1, /actor: line 1: missing") != std::string::npos, out);
    }
  }
  SUBCASE("a line without a field its event's type had in format 1") {
    auto items = unpack(tar);
    file(items, "events.ndjson") = each_line(file(items, "events.ndjson"), [](json& line) {
      if (line["type"] == "eu.programme-ledger.InvoicePaid") line["data"].erase("amount_cents");
    });
    update_manifest(items);
    auto r = check(repack(items), d.keys());
    CHECK_FALSE(r.ok);
    CHECK(r.file == "events.ndjson");
    CHECK(r.field == "/data/amount_cents");
  }
  SUBCASE("a line of format 2 without a field added since format 1") {
    auto items = unpack(tar);
    file(items, "events.ndjson") = each_line(file(items, "events.ndjson"), [](json& line) {
      if (line["type"] == "eu.programme-ledger.InvoicePaid") line["data"].erase("vat_cents");
    });
    update_manifest(items);
    auto r = check(repack(items), d.keys());
    CHECK_FALSE(r.ok);
    CHECK(r.field == "/data/vat_cents");
  }
  SUBCASE("totals.json without the certified figures, in a pack of format 2") {
    auto r = totals_without(true, [](json& t) { t["programmes"][0]["budget"]["totals"].erase("certified_cents"); });
    refused(r, "totals.json", 0, "/programmes/0/budget/totals/certified_cents");
    CHECK(r.message.find("missing; the events give") != std::string::npos);
    CHECK(r.text().rfind("FAILED: totals.json, /programmes/0/budget/totals/certified_cents: missing", 0) == 0);
  }
  SUBCASE("totals.json without a figure every format has, in a pack of format 1") {
    auto r = totals_without(false, [](json& t) { t["programmes"][0]["budget"]["totals"].erase("paid_cents"); });
    refused(r, "totals.json", 0, "/programmes/0/budget/totals/paid_cents");
  }
  SUBCASE("a declared format that is none, or newer than this ledger reads") {
    for (json bad : {json(1), json(0), json("2"), json(2.5), json(-2)}) {
      auto r = totals_without(true, [&](json& t) { t["pack_format"] = bad; });
      refused(r, "totals.json", 0, "/pack_format");
    }
    auto r = totals_without(true, [](json& t) { t["pack_format"] = audit::kPackFormat + 1; });
    CHECK_FALSE(r.ok);
    CHECK(r.unusable);
    CHECK(r.message.find("format " + std::to_string(audit::kPackFormat + 1)) != std::string::npos);
  }
  SUBCASE("evidence.json without a key, in a pack of either format") {
    auto items = unpack(tar);
    json ev = json::parse(file(items, "evidence.json"));
    ev["documents"][0].erase("content_type");
    file(items, "evidence.json") = ev.dump(2) + "\n";
    update_manifest(items);
    refused(check(repack(items), d.keys()), "evidence.json", 0, "/documents/0/content_type");
  }
}
