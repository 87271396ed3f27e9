// Helpers shared by the test suites.
#pragma once

#include <rocksdb/db.h>

#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <string>
#include <vector>

#include "base/sha256.h"
#include "domain/state.h"
#include "events_generated.h"
#include "log/store.h"
#include "log/vault.h"

namespace pl::test {

// The vault of a test's store: its master key made in `dir` (beside the store).
inline std::unique_ptr<Vault> open_vault(const std::string& dir, Store& store) {
  auto v = Vault::open(dir, store, true);
  if (!v) std::abort();
  return std::move(v).value();
}

// One master key for every test vault made by test_vault(): a store reopened
// in a test is opened by another vault with the same key.
inline const MasterKey& test_master_key() {
  static const MasterKey key = [] {
    DataKey bytes{};
    for (std::size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<unsigned char>(i * 7 + 1);
    return MasterKey::of(bytes);
  }();
  return key;
}

// A vault over `store` under test_master_key(), kept until the test binary
// ends (a writer's vault must outlive it).
inline Vault* test_vault(Store& store) {
  static std::mutex mu;
  static std::vector<std::unique_ptr<Vault>> all;
  std::lock_guard lock(mu);
  // New keys are a function of the record's name: two stores given the same
  // commands hold the same events.
  all.push_back(std::make_unique<Vault>(store, test_master_key(), [](std::string_view record, DataKey& out) {
    Hash h = sha256("test-key " + std::string(record));
    std::copy(h.begin(), h.end(), out.begin());
    return Status::ok();
  }));
  return all.back().get();
}

// A fresh directory under the system temporary directory, removed at the end.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "ledger-test-XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr) std::abort();
    path_ = tmpl;
  }
  // LEDGER_KEEP_TEST_DIRS=1 keeps them (server logs included), to look into
  // a failure.
  ~TempDir() {
    if (const char* keep = std::getenv("LEDGER_KEEP_TEST_DIRS"); keep && std::string(keep) == "1") return;
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string sub(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// A finished Payload buffer from its object form.
inline std::string pack(const fb::PayloadT& p) {
  flatbuffers::FlatBufferBuilder b(256);
  b.Finish(fb::Payload::Pack(b, &p));
  return std::string(reinterpret_cast<const char*>(b.GetBufferPointer()), b.GetSize());
}

// A payload of type `type` with every field set, varied by `seed`.
fb::PayloadT sample_event(fb::Event type, int seed);

// A small event of a type used for load tests.
inline std::string small_payload(int seed) {
  fb::PayloadT p;
  fb::SessionLoggedT s;
  s.pair_id = "pair-" + std::to_string(seed % 97);
  s.session_id = "s" + std::to_string(seed);
  s.date = 18650 + seed % 300;
  s.minutes = 90;
  s.topics = {"strategy"};
  s.summary = "Reviewed the cluster's service portfolio and next steps.";
  p.event.Set(std::move(s));
  return pack(p);
}

// The stored bytes of the event at `pos`, read past the store's checks
// (empty if there is none), and the same bytes written back: how the tests
// tamper with a ledger.
inline std::string raw_get(Store& store, std::uint64_t pos) {
  std::string v;
  if (!store.raw_db()->Get(rocksdb::ReadOptions(), store.cf_events(), position_key(pos), &v).ok()) v.clear();
  return v;
}
inline bool raw_put(Store& store, std::uint64_t pos, const std::string& v) {
  return store.raw_db()->Put(rocksdb::WriteOptions(), store.cf_events(), position_key(pos), v).ok();
}

}  // namespace pl::test
