// The auditor's pack in the tests: ledgers to pack (the demonstration, and
// events no writer would accept, signed), a pack taken apart into its files
// and put together again, its manifest written again, and the check of a
// changed pack with the file and field it must fail at.
#pragma once

#include <doctest/doctest.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>

#include "app/demo.h"
#include "audit/audit_pack.h"
#include "audit/tar.h"
#include "base/build_paths.h"
#include "domain/sampling.h"
#include "log/note.h"
#include "log/signer.h"
#include "read/replay.h"
#include "render/event_json.h"
#include "render/views_json.h"
#include "server_process.h"
#include "util.h"

namespace pack_util {

using namespace pl;
using json = nlohmann::json;

// A ledger in a temporary directory, with its signer.
struct SignedLedger {
  test::TempDir dir;
  std::unique_ptr<Store> store;
  std::unique_ptr<Signer> signer;
  SignedLedger() { store = std::move(Store::open(dir.sub("ledger"))).value(); }
  void sign() {
    auto s = Signer::open(dir.path(), *store);
    REQUIRE_MESSAGE(s.is_ok(), s.status().to_string());
    signer = std::move(s).value();
  }
  std::string pack(std::uint64_t at = 0, std::size_t* largest_piece = nullptr) const {
    std::string out;
    auto sum = audit::build_pack(*store, *signer, at, [&](std::string_view piece) {
      if (largest_piece) *largest_piece = std::max(*largest_piece, piece.size());
      out.append(piece);
      return Status::ok();
    });
    REQUIRE_MESSAGE(sum.is_ok(), sum.status().to_string());
    CHECK(sum->bytes == out.size());
    return out;
  }
  std::vector<note::Verifier> keys() const { return {note::parse_verifier(signer->verifier()).value()}; }
};

// The demonstration ledger.
struct Demo : SignedLedger {
  Demo() {
    auto r = load_demo(*store, *test::test_vault(*store), pl::build_paths::demo_file);
    REQUIRE_MESSAGE(r.is_ok(), r.status().to_string());
    sign();
  }
};

// Events no writer would accept, each hashed and chained to the one before
// and signed by the ledger's own key (an operator who signs what they
// invented): a programme, a pair, four invoices of 2^62 cents, and a
// monetary-unit sample of them, whose population's total does not fit in 63
// bits.
struct Invented : SignedLedger {
  static constexpr std::int64_t kAmount = std::int64_t{1} << 62;
  Invented() {
    std::int64_t now = 1'700'000'000'000'000;
    auto add = [&](const std::string& stream, const fb::PayloadT& p) {
      Batch b = store->begin(now++);
      EventMeta meta;
      meta.actor_id = "staff:operator";
      meta.actor_role = "coordinator";
      meta.programme_id = "x";
      auto added = b.add(stream, std::nullopt, p.event.type, test::pack(p), meta);
      REQUIRE_MESSAGE(added.is_ok(), added.status().to_string());
      REQUIRE(store->commit(b).is_ok());
    };
    fb::PayloadT opened;
    fb::ProgrammeOpenedT o;
    o.programme_id = "x";
    o.name = "Invented";
    o.coordinator = "operator";
    o.rules = std::make_unique<fb::RulesT>();
    opened.event.Set(std::move(o));
    add("programme-x", opened);
    fb::PayloadT assigned;
    fb::PairAssignedT a;
    a.programme_id = "x";
    a.pair_id = "x-p1";
    a.mentor_id = "e1";
    a.mentee_id = "m1";
    assigned.event.Set(std::move(a));
    add("pair-x-p1", assigned);
    std::vector<PopulationItem> items;
    for (int i = 1; i <= 4; ++i) {
      fb::PayloadT issued;
      fb::InvoiceIssuedT inv;
      inv.invoice_id = "x-i" + std::to_string(i);
      inv.pair_id = "x-p1";
      inv.mentor_id = "e1";
      inv.mentee_id = "m1";
      inv.net_cents = kAmount;
      items.push_back({inv.invoice_id, kAmount});
      issued.event.Set(std::move(inv));
      add("invoice-x-i" + std::to_string(i), issued);
    }
    fb::PayloadT drawn;
    fb::SampleDrawnT d;
    d.programme_id = "x";
    d.sample_id = "s1";
    d.population = "invoices";
    d.method = "monetary_unit";
    d.size = 2;
    Hash seed = store->head().hash;
    d.seed.assign(seed.begin(), seed.end());
    d.population_count = 4;
    d.population_sha256 = population_sha256(items, Population::invoices);
    drawn.event.Set(std::move(d));
    add("programme-x", drawn);
    sign();
  }
};

inline const Demo& demo() {
  static Demo d;
  return d;
}

inline audit::CheckReport check(const std::string& tar, const std::vector<note::Verifier>& keys) {
  return audit::check_pack(*audit::memory_source(tar), keys);
}

// A tar's entries as (name, type, bytes), and back.
struct Item {
  std::string name;
  char type;
  std::string data;
};

inline std::vector<Item> unpack(const std::string& tar_bytes) {
  std::vector<Item> out;
  std::size_t off = 0;
  while (off + tar::kBlock <= tar_bytes.size()) {
    auto h = tar::parse_header(std::string_view(tar_bytes).substr(off, tar::kBlock));
    REQUIRE(h.is_ok());
    if (!*h) break;
    off += tar::kBlock;
    out.push_back({(*h)->name, (*h)->type, tar_bytes.substr(off, (*h)->size)});
    off += (*h)->size + tar::padding((*h)->size);
  }
  return out;
}

inline std::string repack(const std::vector<Item>& items) {
  std::string out;
  for (auto& it : items) {
    tar::Entry e;
    e.name = it.name;
    e.type = it.type;
    e.size = it.data.size();
    out += tar::header(e).value() + it.data + std::string(tar::padding(it.data.size()), '\0');
  }
  return out + tar::trailer();
}

inline std::string& file(std::vector<Item>& items, const std::string& rel) {
  for (auto& it : items)
    if (it.name.size() > rel.size() && it.name.compare(it.name.size() - rel.size(), rel.size(), rel) == 0 &&
        it.name[it.name.size() - rel.size() - 1] == '/')
      return it.data;
  FAIL("no " << rel << " in the pack");
  static std::string none;
  return none;
}

// Writes the manifest again for the files as they are now.
inline void update_manifest(std::vector<Item>& items) {
  std::string m;
  for (auto& it : items) {
    if (it.type != '0') continue;
    std::string rel = it.name.substr(it.name.find('/') + 1);
    if (rel != audit::kManifest) m += to_hex(sha256(it.data)) + "  " + rel + "\n";
  }
  file(items, audit::kManifest) = m;
}

// events.bin split into its records (each with its 4-byte length) and joined.
inline std::vector<std::string> records(const std::string& bin) {
  std::vector<std::string> out;
  for (std::size_t off = 0; off + 4 <= bin.size();) {
    std::size_t n = (std::size_t(std::uint8_t(bin[off])) << 24) | (std::size_t(std::uint8_t(bin[off + 1])) << 16) |
                    (std::size_t(std::uint8_t(bin[off + 2])) << 8) | std::size_t(std::uint8_t(bin[off + 3]));
    out.push_back(bin.substr(off, 4 + n));
    off += 4 + n;
  }
  return out;
}
inline std::string joined(const std::vector<std::string>& rs) {
  std::string out;
  for (auto& r : rs) out += r;
  return out;
}

// The demonstration's pack with its file `rel` made `text` (its records
// given to `change` when it is events.bin), the manifest following, checked.
inline audit::CheckReport changed(const std::string& rel, const std::function<void(std::string&)>& change) {
  auto items = unpack(demo().pack());
  change(file(items, rel));
  update_manifest(items);
  return check(repack(items), demo().keys());
}
inline audit::CheckReport with_records(const std::function<void(std::vector<std::string>&)>& change) {
  return changed("events.bin", [&](std::string& bin) {
    auto rs = records(bin);
    change(rs);
    bin = joined(rs);
  });
}

// The checks a changed pack must fail, with the file and field that failed.
inline void refused(const audit::CheckReport& r, const std::string& file_name, std::uint64_t position,
                    const std::string& field) {
  INFO(r.text());
  CHECK_FALSE(r.ok);
  CHECK_FALSE(r.unusable);
  CHECK(r.file == file_name);
  CHECK(r.position == position);
  CHECK(r.field == field);
  CHECK(r.text().rfind("FAILED: " + file_name, 0) == 0);
}

}  // namespace pack_util
