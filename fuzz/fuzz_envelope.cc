// Fuzz target: stored bytes decoded as an event envelope, then rendered as a
// CloudEvent and a CSV line, as the log and the export would.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

#include "log/envelope.h"
#include "render/event_json.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // FlatBuffers are read at the alignment RocksDB values get (see store.cc).
  std::string bytes(reinterpret_cast<const char*>(data), size);
  auto ev = pl::decode_event(bytes);
  if (!ev) return 0;
  auto j = pl::cloud_event(*ev, nullptr);
  (void)j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  (void)pl::csv_line(*ev, nullptr);
  (void)pl::envelope_hash(ev->ref());
  return 0;
}
