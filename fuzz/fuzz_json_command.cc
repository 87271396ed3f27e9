// Fuzz target: a request body, as JSON, decoded into a command.
// The first byte picks the command; the rest is the body text.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "http/json_commands.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const auto& specs = pl::command_specs();
  const pl::CommandSpec& spec = *specs[data[0] % specs.size()];
  std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  auto body = pl::parse_json(text);
  if (!body) return 0;
  nlohmann::json params = {{"pid", "p"},  {"aid", "a1"}, {"pair", "p1"}, {"sid", "s1"},
                           {"iid", "i1"}, {"tid", "t1"}, {"mid", "m1"}};
  auto cmd = spec.parse(params, *body);
  (void)cmd;
  return 0;
}
