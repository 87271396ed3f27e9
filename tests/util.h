// Helpers shared by the test suites.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <string>

#include "events_generated.h"
#include "ledger/state.h"

namespace pl::test {

// A fresh directory under the system temporary directory, removed at the end.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "ledger-test-XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr) std::abort();
    path_ = tmpl;
  }
  ~TempDir() {
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

}  // namespace pl::test
